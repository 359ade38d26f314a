package io.torus.comm.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ReferenceCounted;
import io.torus.comm.transport.Elements;
import io.torus.tensor.DType;

/**
 * One fragment of the data that a collective sends in one step. A transport splits a message of
 * {@code total} elements into fragments of at most {@link Frame#MAX_CHUNK_BYTES} bytes; each
 * fragment says where it starts ({@code offset}, in elements) so the receiver can check it lost
 * nothing, and what its elements are ({@code dtype}) so that ranks passing tensors of different
 * dtypes are caught. An empty message is one fragment with no payload.
 *
 * <pre>
 * seq     int64  sequence number of the collective (0, 1, 2, ... on every rank)
 * chunk   int32  which message of that collective (the algorithm's chunk id)
 * dtype   int8   element type, {@link Elements#wireId} (1 FLOAT32, 2 FLOAT64, 3 INT64, 4 INT32, 5 BOOL)
 * offset  int32  index of this fragment's first element within the message
 * total   int32  elements in the whole message
 * payload        little-endian elements, (frame length - 22) / element size of them
 * </pre>
 *
 * <p>Reference counted through its payload (a pooled buffer): whoever holds a chunk releases it
 * once, and Netty releases it when it is written.
 */
public record Chunk(long seq, int chunk, DType dtype, int offset, int total, ByteBuf payload)
        implements Message, ReferenceCounted {
    static final int FIELDS_LENGTH = 21;

    public Chunk {
        if (seq < 0 || chunk < 0 || offset < 0 || total < 0) {
            throw new IllegalArgumentException("Chunk: seq " + seq + ", chunk " + chunk + ", offset " + offset
                    + ", total " + total + ": expected all >= 0");
        }
        int size = Elements.byteSize(dtype);
        if (payload.readableBytes() % size != 0) {
            throw new IllegalArgumentException("Chunk: payload of " + payload.readableBytes()
                    + " bytes is not a whole number of " + dtype + " values");
        }
        if ((long) offset + payload.readableBytes() / size > total) {
            throw new IllegalArgumentException("Chunk: fragment at offset " + offset + " with "
                    + payload.readableBytes() / size + " elements overruns the message total " + total);
        }
    }

    /** Copies {@code n} elements of {@code src} (an element array) from {@code srcOffset} into a new pooled chunk. */
    public static Chunk copyOf(long seq, int chunk, int offset, int total, Object src, int srcOffset, int n,
                               ByteBufAllocator alloc) {
        DType dtype = Elements.dtype(src);
        int bytes = n * Elements.byteSize(dtype);
        ByteBuf payload = alloc.directBuffer(bytes);
        try {
            Elements.write(src, srcOffset, n, payload.nioBuffer(0, bytes));
            payload.writerIndex(bytes);
            return new Chunk(seq, chunk, dtype, offset, total, payload);
        } catch (RuntimeException e) {
            payload.release();
            throw e;
        }
    }

    /** Elements in this fragment. */
    public int elements() {
        return payload.readableBytes() / Elements.byteSize(dtype);
    }

    /** Copies this fragment's elements into {@code dst} (an array of this dtype) from {@code dstOffset}; does not release. */
    public void readInto(Object dst, int dstOffset) {
        int bytes = payload.readableBytes();
        if (payload.nioBufferCount() == 1) {
            Elements.read(payload.nioBuffer(payload.readerIndex(), bytes), dst, dstOffset, elements());
        } else {
            byte[] heap = new byte[bytes];
            payload.getBytes(payload.readerIndex(), heap);
            Elements.read(java.nio.ByteBuffer.wrap(heap), dst, dstOffset, elements());
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
        out.writeLong(seq).writeInt(chunk).writeByte(Elements.wireId(dtype)).writeInt(offset).writeInt(total);
    }

    /** Reads the fields and takes a retained slice of the rest of {@code in} as the payload. */
    public static Chunk decode(ByteBuf in) {
        long seq = in.readLong();
        int chunk = in.readInt();
        DType dtype = Elements.ofWireId(in.readByte());
        int offset = in.readInt();
        int total = in.readInt();
        ByteBuf payload = in.readRetainedSlice(in.readableBytes());
        try {
            return new Chunk(seq, chunk, dtype, offset, total, payload);
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
        return "Chunk[seq=" + seq + ", chunk=" + chunk + ", dtype=" + dtype + ", offset=" + offset + ", total=" + total
                + ", elements=" + (payload.refCnt() > 0 ? elements() : "released") + "]";
    }
}
