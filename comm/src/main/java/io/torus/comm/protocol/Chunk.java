package io.torus.comm.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ReferenceCounted;

import java.nio.ByteOrder;

/**
 * One fragment of the float32 data that a collective sends in one step. A transport splits a
 * message of {@code total} floats into fragments of at most {@link Frame#MAX_CHUNK_FLOATS} floats;
 * each fragment says where it starts ({@code offset}) so the receiver can check it lost nothing.
 * An empty message is one fragment with no payload.
 *
 * <pre>
 * seq     int64  sequence number of the collective (0, 1, 2, ... on every rank)
 * chunk   int32  which message of that collective (the algorithm's chunk id)
 * offset  int32  index of this fragment's first float within the message
 * total   int32  floats in the whole message
 * payload        float32 little-endian, (frame length - 21) / 4 of them
 * </pre>
 *
 * <p>Reference counted through its payload (a pooled buffer): whoever holds a chunk releases it
 * once, and Netty releases it when it is written.
 */
public record Chunk(long seq, int chunk, int offset, int total, ByteBuf payload) implements Message, ReferenceCounted {
    static final int FIELDS_LENGTH = 20;

    public Chunk {
        if (seq < 0 || chunk < 0 || offset < 0 || total < 0) {
            throw new IllegalArgumentException("Chunk: seq " + seq + ", chunk " + chunk + ", offset " + offset
                    + ", total " + total + ": expected all >= 0");
        }
        if (payload.readableBytes() % Float.BYTES != 0) {
            throw new IllegalArgumentException("Chunk: payload of " + payload.readableBytes()
                    + " bytes is not a whole number of float32 values");
        }
        if ((long) offset + payload.readableBytes() / Float.BYTES > total) {
            throw new IllegalArgumentException("Chunk: fragment at offset " + offset + " with "
                    + payload.readableBytes() / Float.BYTES + " floats overruns the message total " + total);
        }
    }

    /** Copies {@code n} floats of {@code src} from {@code srcOffset} into a new pooled chunk. */
    public static Chunk copyOf(long seq, int chunk, int offset, int total, float[] src, int srcOffset, int n,
                               ByteBufAllocator alloc) {
        ByteBuf payload = alloc.directBuffer(n * Float.BYTES);
        try {
            payload.nioBuffer(0, n * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(src, srcOffset, n);
            payload.writerIndex(n * Float.BYTES);
            return new Chunk(seq, chunk, offset, total, payload);
        } catch (RuntimeException e) {
            payload.release();
            throw e;
        }
    }

    /** Floats in this fragment. */
    public int floats() {
        return payload.readableBytes() / Float.BYTES;
    }

    /** Copies this fragment's floats into {@code dst} from {@code dstOffset}; does not release. */
    public void readFloats(float[] dst, int dstOffset) {
        int n = floats();
        if (payload.nioBufferCount() == 1) {
            payload.nioBuffer(payload.readerIndex(), n * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN)
                    .asFloatBuffer().get(dst, dstOffset, n);
        } else {
            for (int i = 0, at = payload.readerIndex(); i < n; i++, at += Float.BYTES) {
                dst[dstOffset + i] = payload.getFloatLE(at);
            }
        }
    }

    @Override
    public MessageType type() {
        return MessageType.CHUNK;
    }

    @Override
    public int fieldsLength() {
        return FIELDS_LENGTH;
    }

    @Override
    public void writeFields(ByteBuf out) {
        out.writeLong(seq).writeInt(chunk).writeInt(offset).writeInt(total);
    }

    /** Reads the fields and takes a retained slice of the rest of {@code in} as the payload. */
    public static Chunk decode(ByteBuf in) {
        long seq = in.readLong();
        int chunk = in.readInt();
        int offset = in.readInt();
        int total = in.readInt();
        ByteBuf payload = in.readRetainedSlice(in.readableBytes());
        try {
            return new Chunk(seq, chunk, offset, total, payload);
        } catch (RuntimeException e) {
            payload.release();
            throw e;
        }
    }

    @Override
    public int refCnt() {
        return payload.refCnt();
    }

    @Override
    public Chunk retain() {
        payload.retain();
        return this;
    }

    @Override
    public Chunk retain(int increment) {
        payload.retain(increment);
        return this;
    }

    @Override
    public Chunk touch() {
        payload.touch();
        return this;
    }

    @Override
    public Chunk touch(Object hint) {
        payload.touch(hint);
        return this;
    }

    @Override
    public boolean release() {
        return payload.release();
    }

    @Override
    public boolean release(int decrement) {
        return payload.release(decrement);
    }

    @Override
    public String toString() {
        return "Chunk[seq=" + seq + ", chunk=" + chunk + ", offset=" + offset + ", total=" + total
                + ", floats=" + (payload.refCnt() > 0 ? floats() : "released") + "]";
    }
}
