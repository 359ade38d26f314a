package io.torus.comm.transport.netty;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import io.torus.comm.protocol.Chunk;
import io.torus.comm.protocol.Frame;
import io.torus.comm.protocol.Message;

import java.util.List;

/**
 * One {@link Message} to its frame: a small header buffer (length, type, fields) followed, for a
 * {@link Chunk}, by the chunk's own payload buffer, which is written without being copied.
 * Stateless.
 */
@Sharable
final class MessageEncoder extends MessageToMessageEncoder<Message> {
    static final MessageEncoder INSTANCE = new MessageEncoder();

    private MessageEncoder() {
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Message message, List<Object> out) {
        out.add(Frame.encodeHeader(message, ctx.alloc()));
        if (message instanceof Chunk chunk && chunk.payload().isReadable()) {
            // The encoder releases the chunk after this method; the payload lives on until written.
            out.add(chunk.payload().retain());
        }
    }
}
