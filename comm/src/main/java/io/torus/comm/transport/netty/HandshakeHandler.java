package io.torus.comm.transport.netty;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import io.torus.comm.protocol.Hello;
import org.slf4j.Logger;

import javax.net.ssl.SSLException;
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
 *
 * <p>With TLS (see {@link TlsConfig}) the TLS handshake comes first, in the SslHandler below this
 * handler, and the Hello is only sent once it has succeeded. A failed TLS handshake (a peer
 * without TLS, a certificate we do not trust, or one that does not trust ours) is logged with the
 * remote address and closes the connection; on the connecting side it also fails {@code connect()}
 * at once. A peer that speaks TLS to a side without it is caught by the frame decoder: its first
 * record reads as an absurd frame length.
 */
final class HandshakeHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(HandshakeHandler.class);
    private static final String JOB_SECRET_HINT = "TORUS_JOB_SECRET";
    private static final String TLS_HINT = "TORUS_TLS_CERT";

    private final CompletableFuture<Links> links;
    /** The rank we connected to, or -1 on the accepting side. */
    private final int expectedPeer;
    /** The job secret, or null when connections are not authenticated. */
    private final byte[] secret;
    /** Set once a failed TLS handshake has been reported, so that its echoes are not. */
    private boolean refused;

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

    private String who(ChannelHandlerContext ctx) {
        return (expectedPeer >= 0 ? "to rank " + expectedPeer + " at " : "from ") + ctx.channel().remoteAddress();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent done) {
            if (done.isSuccess()) {
                log.debug("TLS up on connection {} ({})", who(ctx),
                        ctx.pipeline().get(SslHandler.class).engine().getSession().getCipherSuite());
            } else {
                refuse(ctx, tlsFailure(ctx, done.cause()));
            }
        }
        super.userEventTriggered(ctx, evt);
    }

    private String tlsFailure(ChannelHandlerContext ctx, Throwable cause) {
        String why = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        return "refusing connection " + who(ctx) + ": TLS handshake failed: " + why
                + " (a peer without TLS, or with another job's certificate? see " + TLS_HINT + ")";
    }

    /** Logs why this connection is refused, fails {@code connect()} on the connecting side, and closes. */
    private void refuse(ChannelHandlerContext ctx, String problem) {
        if (!refused) {
            refused = true;
            log.warn(problem);
            if (expectedPeer >= 0) {
                links.join().rightReady.completeExceptionally(new IllegalStateException(problem));
            }
        }
        ctx.close();
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
            refuse(ctx, "refusing connection " + who(ctx) + ": its Hello "
                    + (hello.token() == null ? "carries no job token" : "carries a wrong job token") + " (not a worker of this job?)");
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
                            : " (was our job token refused? do both sides share the job secret?)")
                    + (ctx.pipeline().get(SslHandler.class) == null ? " (or does it require TLS? set " + TLS_HINT + ")" : "")));
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (refused) {
            log.debug("closing refused connection {}: {}", ctx.channel(), cause.toString());
        } else if (cause.getCause() instanceof SSLException tls) {
            // With TLS 1.3 the client's handshake is done before the server has checked its certificate:
            // a refusal then arrives as an alert on the first read.
            refuse(ctx, tlsFailure(ctx, tls));
        } else if (cause instanceof TooLongFrameException && ctx.pipeline().get(SslHandler.class) == null) {
            refuse(ctx, "refusing connection " + who(ctx) + ": its first bytes are not a Torus frame (" + cause.getMessage()
                    + "; a peer with TLS on while this worker has it off? see " + TLS_HINT + ")");
        } else {
            log.warn("closing {} during the handshake: {}", ctx.channel(), cause.toString());
        }
        ctx.close();
    }
}
