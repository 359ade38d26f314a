package io.torus.comm.transport.netty;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.torus.comm.protocol.Hello;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletableFuture;

/**
 * The first exchange on every connection. The connecting side sends its {@link Hello} as soon as
 * the connection is up; the accepting side answers with its own once {@code connect()} has told
 * it who its peers are (a left neighbour may connect before that). Each side checks the other's
 * rank and world size, registers the connection with its {@link Links} and replaces this handler
 * with a {@link PeerHandler}. Nothing but Hello may arrive before that.
 *
 * <p>With a job secret, every Hello carries the job token ({@link Hello#signed}) and each side
 * verifies the other's before anything else: a connection whose Hello has no token or a wrong one
 * is logged (with its remote address, never the secret) and closed. The accepting side then
 * closes without answering, so an outsider learns nothing and none of its data is delivered.
 */
final class HandshakeHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(HandshakeHandler.class);
    private static final String JOB_SECRET_HINT = "TORUS_JOB_SECRET";

    private final CompletableFuture<Links> links;
    /** The rank we connected to, or -1 on the accepting side. */
    private final int expectedPeer;
    /** The job secret, or null when connections are not authenticated. */
    private final byte[] secret;

    private HandshakeHandler(CompletableFuture<Links> links, int expectedPeer, byte[] secret) {
        this.links = links;
        this.expectedPeer = expectedPeer;
        this.secret = secret;
    }

    /** For a connection this rank opens to {@code peer}. */
    static HandshakeHandler connecting(Links links, int peer, byte[] secret) {
        return new HandshakeHandler(CompletableFuture.completedFuture(links), peer, secret);
    }

    /** For connections that peers open to this rank; {@code links} completes in {@code connect()}. */
    static HandshakeHandler accepting(CompletableFuture<Links> links, byte[] secret) {
        return new HandshakeHandler(links, -1, secret);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        if (expectedPeer >= 0) {
            Links l = links.join();
            ctx.writeAndFlush(Hello.signed(l.rank, l.worldSize, secret));
        }
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Hello hello)) {
            ReferenceCountUtil.release(msg);
            log.warn("closing {}: expected Hello as its first message, got {}", ctx.channel().remoteAddress(), msg);
            ctx.close();
            return;
        }
        if (secret != null && !hello.verify(secret)) {
            String problem = "refusing connection " + (expectedPeer >= 0 ? "to rank " + expectedPeer + " at " : "from ")
                    + ctx.channel().remoteAddress() + ": its Hello " + (hello.token() == null ? "carries no job token" : "carries a wrong job token")
                    + " (not a worker of this job?)";
            log.warn(problem);
            if (expectedPeer >= 0) {
                links.join().rightReady.completeExceptionally(new IllegalStateException(problem));
            }
            ctx.close();
            return;
        }
        if (expectedPeer >= 0) {
            Links l = links.join();
            String problem = l.acceptOutbound(hello, ctx.channel(), expectedPeer);
            finish(ctx, l, expectedPeer, problem, l.rightReady);
        } else {
            links.whenCompleteAsync((l, notConnected) -> {
                if (notConnected != null) {
                    ctx.close();
                    return;
                }
                // Answer even a peer we are about to reject: its error can then say who answered.
                ctx.writeAndFlush(Hello.signed(l.rank, l.worldSize, secret));
                String problem = l.acceptInbound(hello, ctx.channel());
                finish(ctx, l, hello.rank(), problem, l.leftReady);
            }, ctx.executor());
        }
    }

    private void finish(ChannelHandlerContext ctx, Links l, int peer, String problem, CompletableFuture<Void> ready) {
        if (problem != null) {
            log.warn(problem);
            ready.completeExceptionally(new IllegalStateException(problem));
            ctx.channel().eventLoop().execute(ctx::close); // after the answering Hello is out
            return;
        }
        Links.Direction direction = expectedPeer >= 0 ? Links.Direction.OUTBOUND : Links.Direction.INBOUND;
        ctx.pipeline().replace(this, "peer", new PeerHandler(l, peer, direction));
        log.debug("rank {}: connected with rank {} ({})", l.rank, peer, ctx.channel());
        ready.complete(null);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        log.debug("connection {} closed during the handshake", ctx.channel());
        if (expectedPeer >= 0) {
            links.join().connectFailed(new IllegalStateException("rank " + expectedPeer + " closed the connection during the handshake"
                    + (secret == null ? " (does it require a job token? set " + JOB_SECRET_HINT + ")"
                            : " (was our job token refused? do both sides share the job secret?)")));
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.warn("closing {} during the handshake: {}", ctx.channel(), cause.toString());
        ctx.close();
    }
}
