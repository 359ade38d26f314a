package io.torus.comm.protocol;

import io.netty.buffer.ByteBuf;

/**
 * The first message on every connection, sent by both ends: who is speaking. A connection is
 * used for nothing else until both Hellos have been checked.
 *
 * <pre>
 * magic     int32  0x54525332 ("TRS2": Torus wire protocol version 2, typed chunks)
 * rank      int32  the sender's rank
 * worldSize int32  the sender's world size
 * </pre>
 */
public record Hello(int rank, int worldSize) implements Message {
    public static final int MAGIC = 0x54525332;
    static final int FIELDS_LENGTH = 12;

    public Hello {
        if (worldSize < 1 || rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("Hello: rank " + rank + " of world size " + worldSize
                    + ": expected 0 <= rank < worldSize");
        }
    }

    @Override
    public MessageType type() {
        return MessageType.HELLO;
    }

    @Override
    public int fieldsLength() {
        return FIELDS_LENGTH;
    }

    @Override
    public void writeFields(ByteBuf out) {
        out.writeInt(MAGIC).writeInt(rank).writeInt(worldSize);
    }

    public static Hello decode(ByteBuf in) {
        int magic = in.readInt();
        if (magic != MAGIC) {
            throw new IllegalArgumentException(String.format(
                    "Hello: magic 0x%08x, expected 0x%08x (is the peer a Torus transport of the same version?)", magic, MAGIC));
        }
        return new Hello(in.readInt(), in.readInt());
    }
}
