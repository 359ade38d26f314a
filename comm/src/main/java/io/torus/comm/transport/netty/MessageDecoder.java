package io.torus.comm.transport.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageDecoder;
import io.torus.comm.protocol.Frame;

import java.util.List;

/** One frame (length already stripped) to one {@link io.torus.comm.protocol.Message}. Stateless. */
@Sharable
final class MessageDecoder extends MessageToMessageDecoder<ByteBuf> {
    static final MessageDecoder INSTANCE = new MessageDecoder();

    private MessageDecoder() {
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf frame, List<Object> out) {
        out.add(Frame.decode(frame));
    }
}
