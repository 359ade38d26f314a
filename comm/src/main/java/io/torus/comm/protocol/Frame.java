package io.torus.comm.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;

/**
 * The framing around every {@link Message}:
 *
 * <pre>
 * length  int32  bytes that follow this field (type byte + fields + payload)
 * type    int8   {@link MessageType#id()}
 * fields         the message's own layout (see each record)
 * payload        only for {@link Chunk}: little-endian elements
 * </pre>
 *
 * Integers are big-endian (network order); element payloads are little-endian, the memory order of
 * x86 and ARM, so that copying them is a plain memory copy on both ends.
 */
public final class Frame {
    /** Largest payload of one {@link Chunk} fragment, in bytes (1 MiB). */
    public static final int MAX_CHUNK_BYTES = 1 << 20;
    /** Largest frame accepted, not counting the length field. */
    public static final int MAX_FRAME_BYTES = 1 + Abort.MAX_REASON_BYTES + 8 + MAX_CHUNK_BYTES;

    private Frame() {
    }

    /** A decoder that cuts the byte stream into frames and strips the length field. */
    public static LengthFieldBasedFrameDecoder newDecoder() {
        return new LengthFieldBasedFrameDecoder(MAX_FRAME_BYTES, 0, Integer.BYTES, 0, Integer.BYTES);
    }

    /**
     * Writes the length field, type byte and fields of {@code message} into a new buffer. The
     * payload of a {@link Chunk} is not copied: write it right after this header.
     */
    public static ByteBuf encodeHeader(Message message, ByteBufAllocator alloc) {
        int payload = message instanceof Chunk c ? c.payload().readableBytes() : 0;
        ByteBuf header = alloc.buffer(Integer.BYTES + 1 + message.fieldsLength());
        header.writeInt(1 + message.fieldsLength() + payload).writeByte(message.type().id());
        message.writeFields(header);
        return header;
    }

    /**
     * Decodes one frame (length field already stripped). A {@link Chunk} keeps a retained slice of
     * {@code frame}; the caller still releases {@code frame} itself.
     *
     * @throws IllegalArgumentException if the frame is not a well-formed message
     */
    public static Message decode(ByteBuf frame) {
        Message message = switch (MessageType.of(frame.readByte())) {
            case HELLO -> Hello.decode(frame);
            case CHUNK -> Chunk.decode(frame);
            case GOODBYE -> Goodbye.decode(frame);
            case ABORT -> Abort.decode(frame);
        };
        if (frame.isReadable()) {
            int left = frame.readableBytes();
            if (message instanceof Chunk c) {
                c.release();
            }
            throw new IllegalArgumentException(message.type() + " frame has " + left + " unexpected trailing bytes");
        }
        return message;
    }
}
