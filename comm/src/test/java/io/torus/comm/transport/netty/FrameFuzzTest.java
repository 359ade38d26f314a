package io.torus.comm.transport.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import io.torus.comm.protocol.Abort;
import io.torus.comm.protocol.Chunk;
import io.torus.comm.protocol.Frame;
import io.torus.comm.protocol.Hello;
import io.torus.comm.protocol.Message;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The inbound half of the pipeline ("frames" + "messages") on random and truncated input: every
 * malformed frame ends in a {@link DecoderException} (which PeerHandler turns into a broken link),
 * nothing else escapes, and a forged length beyond {@link Frame#MAX_FRAME_BYTES} is refused before
 * anything is buffered for it.
 */
class FrameFuzzTest {
    private static final int CASES = 5_000;

    @Test
    void randomFrames_failOnlyWithDecoderExceptions() {
        Random random = new Random(42);
        int decoded = 0;
        for (int i = 0; i < CASES; i++) {
            byte[] body = new byte[random.nextInt(64)];
            random.nextBytes(body);
            if (body.length > 0 && random.nextBoolean()) {
                body[0] = (byte) (1 + random.nextInt(4)); // a known type byte, random fields
            }
            ByteBuf frame = Unpooled.buffer().writeInt(body.length).writeBytes(body);
            decoded += feed(frame, "random frame " + i);
        }
        assertTrue(decoded >= 0);
    }

    @Test
    void truncatedAndCorruptedValidFrames_failOnlyWithDecoderExceptions() {
        Random random = new Random(7);
        List<Message> valid = List.of(new Hello(1, 4), new Abort(2, "gone"),
                Chunk.copyOf(3, 1, 0, 5, new double[] {1, 2, 3, 4, 5}, 0, 5, PooledByteBufAllocator.DEFAULT));
        EmbeddedChannel writer = new EmbeddedChannel(MessageEncoder.INSTANCE);
        ByteBuf wire = Unpooled.buffer();
        for (Message m : valid) {
            writer.writeOutbound(m);
        }
        for (ByteBuf part; (part = writer.readOutbound()) != null; ) {
            wire.writeBytes(part);
            part.release();
        }
        byte[] bytes = new byte[wire.readableBytes()];
        wire.readBytes(bytes);
        wire.release();
        for (int i = 0; i < CASES; i++) {
            byte[] copy = bytes.clone();
            int flips = random.nextInt(4);
            for (int f = 0; f < flips; f++) {
                copy[random.nextInt(copy.length)] = (byte) random.nextInt(256);
            }
            int cut = random.nextInt(copy.length + 1);
            feed(Unpooled.wrappedBuffer(copy, 0, cut), "corrupted stream " + i + " cut at " + cut);
        }
    }

    @Test
    void forgedLengthBeyondTheLimit_isRefusedWithoutBuffering() {
        for (int length : new int[] {Frame.MAX_FRAME_BYTES + 1, Integer.MAX_VALUE, -1, Integer.MIN_VALUE}) {
            EmbeddedChannel reader = new EmbeddedChannel(Frame.newDecoder(), MessageDecoder.INSTANCE);
            try {
                reader.writeInbound(Unpooled.buffer().writeInt(length).writeByte(2).writeLong(0));
                fail("length " + length + " was accepted");
            } catch (DecoderException expected) {
                // TooLongFrameException / CorruptedFrameException
            } finally {
                reader.finishAndReleaseAll();
            }
        }
    }

    /** Feeds {@code bytes} to a fresh reader; returns how many messages came out. */
    private static int feed(ByteBuf bytes, String what) {
        EmbeddedChannel reader = new EmbeddedChannel(Frame.newDecoder(), MessageDecoder.INSTANCE);
        int out = 0;
        try {
            reader.writeInbound(bytes);
        } catch (DecoderException expected) {
            // malformed: the real pipeline's PeerHandler breaks the link on it
        } catch (RuntimeException e) {
            fail(what + ": " + e + " escaped the decoder", e);
        } finally {
            for (Object m; (m = reader.readInbound()) != null; ) {
                out++;
                ReferenceCountUtil.release(m);
            }
            reader.finishAndReleaseAll();
        }
        return out;
    }
}
