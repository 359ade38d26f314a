package io.torus.comm.transport.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.torus.comm.protocol.Abort;
import io.torus.comm.protocol.Chunk;
import io.torus.comm.transport.Elements;
import io.torus.comm.protocol.Frame;
import io.torus.comm.protocol.Goodbye;
import io.torus.comm.protocol.Hello;
import io.torus.comm.protocol.Message;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every wire message through the real encoder and decoders, in {@link EmbeddedChannel}s. */
class WireFormatTest {

    @Test
    void messages_roundTripThroughThePipeline() {
        float[] floats = new float[Frame.MAX_CHUNK_BYTES / Float.BYTES];
        for (int i = 0; i < floats.length; i++) {
            floats[i] = i * 0.25f - 3;
        }
        List<Message> sent = List.of(
                new Hello(2, 3),
                Hello.signed(1, 3, new byte[] {1, 2, 3, 4}),
                Chunk.copyOf(7, 4, 0, 3, new float[] {1.5f, -2f, Float.NaN}, 0, 3, PooledByteBufAllocator.DEFAULT),
                Chunk.copyOf(Long.MAX_VALUE, 0, 0, 0, new float[0], 0, 0, PooledByteBufAllocator.DEFAULT),
                Chunk.copyOf(1, 2, 10, 10 + floats.length, floats, 0, floats.length, PooledByteBufAllocator.DEFAULT),
                Chunk.copyOf(3, 1, 0, 2, new double[] {Math.PI, -0.0}, 0, 2, PooledByteBufAllocator.DEFAULT),
                Chunk.copyOf(3, 2, 1, 3, new long[] {Long.MIN_VALUE, 7}, 0, 2, PooledByteBufAllocator.DEFAULT),
                Chunk.copyOf(3, 3, 0, 2, new int[] {-1, Integer.MAX_VALUE}, 0, 2, PooledByteBufAllocator.DEFAULT),
                Chunk.copyOf(3, 4, 0, 3, new boolean[] {true, false, true}, 0, 3, PooledByteBufAllocator.DEFAULT),
                Goodbye.INSTANCE,
                new Abort(1, "closed its connection (reported by rank 2) — ünïcödé"));
        EmbeddedChannel writer = new EmbeddedChannel(MessageEncoder.INSTANCE);
        EmbeddedChannel reader = new EmbeddedChannel(Frame.newDecoder(), MessageDecoder.INSTANCE);
        List<Message> expected = new ArrayList<>();
        for (Message m : sent) {
            expected.add(m instanceof Chunk c ? copy(c) : m);
            writer.writeOutbound(m);
        }
        // Feed the bytes in awkward pieces: the framing must reassemble them.
        ByteBuf wire = Unpooled.buffer();
        for (ByteBuf part; (part = writer.readOutbound()) != null; ) {
            wire.writeBytes(part);
            part.release();
        }
        while (wire.isReadable()) {
            reader.writeInbound(wire.readRetainedSlice(Math.min(wire.readableBytes(), 1 + wire.readableBytes() / 3)));
        }
        wire.release();
        for (Message want : expected) {
            Message got = reader.readInbound();
            assertEquals(want, got);
            if (got instanceof Chunk c) {
                Object back = io.torus.tensor.Storage.newArray(c.dtype(), c.elements());
                c.readInto(back, 0);
                Object original = io.torus.tensor.Storage.newArray(c.dtype(), c.elements());
                ((Chunk) want).readInto(original, 0);
                assertTrue(Objects.deepEquals(new Object[] {original}, new Object[] {back}), c.toString());
                c.release();
                ((Chunk) want).release();
            }
        }
        assertNull(reader.readInbound());
        assertTrue(!writer.finish() && !reader.finish());
    }

    /** The decoder hands out payloads that span several socket reads; elements may be cut by a boundary. */
    @Test
    void chunk_readIntoAcrossBufferBoundaries() {
        List<Object> arrays = List.of(new float[] {1.5f, -2f, Float.NaN, 7e-30f, 3}, new double[] {Math.PI, -0.0, 1e300},
                new long[] {Long.MIN_VALUE, 7, -1}, new int[] {-1, Integer.MAX_VALUE, 5, 6}, new boolean[] {true, false, true});
        for (Object array : arrays) {
            int n = Elements.length(array);
            Chunk whole = Chunk.copyOf(0, 0, 0, n, array, 0, n, PooledByteBufAllocator.DEFAULT);
            for (int step = 1; step <= 11; step++) {
                CompositeByteBuf parts = Unpooled.compositeBuffer();
                ByteBuf bytes = whole.payload();
                for (int at = 0; at < bytes.readableBytes(); at += step) {
                    int len = Math.min(step, bytes.readableBytes() - at);
                    parts.addComponent(true, Unpooled.directBuffer(len).writeBytes(bytes, at, len));
                }
                Chunk split = new Chunk(0, 0, whole.dtype(), 0, n, parts);
                Object back = io.torus.tensor.Storage.newArray(whole.dtype(), n + 2);
                split.readInto(back, 1);
                Object expected = io.torus.tensor.Storage.newArray(whole.dtype(), n + 2);
                System.arraycopy(array, 0, expected, 1, n);
                assertTrue(Objects.deepEquals(new Object[] {expected}, new Object[] {back}), whole.dtype() + " in parts of " + step);
                split.release();
            }
            whole.release();
        }
    }

    @Test
    void hello_withWrongMagicIsRejected() {
        ByteBuf frame = Unpooled.buffer().writeInt(13).writeByte(1).writeInt(0x48545450).writeInt(0).writeInt(1);
        DecoderException e = assertThrows(DecoderException.class, () -> decode(frame));
        assertTrue(e.getMessage().contains("magic 0x48545450"), e.getMessage());
    }

    @Test
    void frame_withUnknownTypeIsRejected() {
        ByteBuf frame = Unpooled.buffer().writeInt(1).writeByte(99);
        DecoderException e = assertThrows(DecoderException.class, () -> decode(frame));
        assertTrue(e.getMessage().contains("unknown message type byte 99"), e.getMessage());
    }

    @Test
    void chunk_withRaggedPayloadIsRejected() {
        ByteBuf frame = Unpooled.buffer().writeInt(1 + 21 + 3).writeByte(2).writeLong(0).writeInt(0).writeByte(1)
                .writeInt(0).writeInt(1).writeBytes(new byte[3]);
        DecoderException e = assertThrows(DecoderException.class, () -> decode(frame));
        assertTrue(e.getMessage().contains("3 bytes is not a whole number"), e.getMessage());
    }

    @Test
    void frame_longerThanTheLimitIsRejected() {
        ByteBuf frame = Unpooled.buffer().writeInt(Frame.MAX_FRAME_BYTES + 1).writeByte(2);
        assertInstanceOf(TooLongFrameException.class, assertThrows(Exception.class, () -> decode(frame)));
    }

    private static Object decode(ByteBuf bytes) {
        EmbeddedChannel reader = new EmbeddedChannel(Frame.newDecoder(), MessageDecoder.INSTANCE);
        try {
            reader.writeInbound(bytes);
            return reader.readInbound();
        } finally {
            reader.finishAndReleaseAll();
        }
    }

    private static Chunk copy(Chunk c) {
        return new Chunk(c.seq(), c.chunk(), c.dtype(), c.offset(), c.total(), c.payload().copy());
    }
}
