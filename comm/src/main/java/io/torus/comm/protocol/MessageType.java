package io.torus.comm.protocol;

/** The kinds of wire message, each with the byte that names it on the wire (see {@link Frame}). */
public enum MessageType {
    /** {@link Hello}: first message on every connection, in both directions. */
    HELLO(1),
    /** {@link Chunk}: float32 data of one collective step. */
    CHUNK(2),
    /** {@link Goodbye}: the sender closes its transport on purpose. */
    GOODBYE(3),
    /** {@link Abort}: the sender's group is broken; names the rank to blame. */
    ABORT(4);

    private final byte id;

    MessageType(int id) {
        this.id = (byte) id;
    }

    public byte id() {
        return id;
    }

    /** The type whose wire byte is {@code id}; throws {@link IllegalArgumentException} for unknown bytes. */
    public static MessageType of(byte id) {
        for (MessageType t : values()) {
            if (t.id == id) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown message type byte " + id + ": expected 1.." + values().length
                + " (is the peer a Torus transport of the same version?)");
    }
}
