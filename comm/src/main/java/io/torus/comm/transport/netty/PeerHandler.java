package io.torus.comm.transport.netty;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.torus.comm.protocol.Abort;
import io.torus.comm.protocol.Chunk;
import io.torus.comm.protocol.Goodbye;

/** After the handshake: hands what one peer sends, and what happens to its connection, to {@link Links}. */
final class PeerHandler extends ChannelInboundHandlerAdapter {
    private final Links links;
    private final int peer;
    private final Links.Direction direction;

    PeerHandler(Links links, int peer, Links.Direction direction) {
        this.links = links;
        this.peer = peer;
        this.direction = direction;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Chunk chunk) {
            links.onChunk(peer, chunk);
        } else if (msg instanceof Goodbye) {
            links.onGoodbye(peer, direction);
        } else if (msg instanceof Abort abort) {
            links.onAbort(peer, abort);
        } else {
            ReferenceCountUtil.release(msg);
            links.fail(peer, "broke the protocol: sent " + msg + " after the handshake");
            ctx.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        links.onClosed(peer, direction);
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        links.onError(peer, direction, cause);
        ctx.close();
    }
}
