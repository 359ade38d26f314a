package io.torus.comm.transport.netty;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.torus.comm.protocol.Frame;

import java.util.function.Supplier;

/**
 * The pipeline of every Torus connection, accepted or connected, read top to bottom as the bytes
 * travel in:
 *
 * <pre>
 *   socket bytes
 *     -> "tls"       TLS records to plain bytes, only with TLS on (SslHandler, one per channel;
 *                    mutual: both sides show the job's certificate, see TlsConfig)
 *     -> "frames"    length-prefixed frames           (Frame.newDecoder(), one per channel)
 *     -> "messages"  frame to Hello|Chunk|Goodbye|Abort (MessageDecoder, shared)
 *     -> "handshake" Hello both ways, names the peer   (HandshakeHandler, then replaced by:)
 *        "peer"      Chunk to the peer's inbox; Goodbye, Abort, close and errors to its link (PeerHandler)
 *   and out:  Message -> "encoder" -> length, type, fields, payload (MessageEncoder, shared)
 *                     -> "tls" (encrypted records) -> socket
 * </pre>
 *
 * With TLS, the Hello (and its job token) is the first thing sent inside the encrypted channel:
 * the SslHandler holds it back until the TLS handshake has succeeded.
 */
final class TorusChannelInitializer extends ChannelInitializer<SocketChannel> {
    private final SslContext tls;
    private final Supplier<ChannelHandler> handshake;

    /** @param tls the server or client TLS context of this side, or null for plain TCP */
    TorusChannelInitializer(SslContext tls, Supplier<ChannelHandler> handshake) {
        this.tls = tls;
        this.handshake = handshake;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ChannelPipeline p = ch.pipeline();
        if (tls != null) {
            p.addLast("tls", tls.newHandler(ch.alloc()));
        }
        p.addLast("frames", Frame.newDecoder())
                .addLast("messages", MessageDecoder.INSTANCE)
                .addLast("encoder", MessageEncoder.INSTANCE)
                .addLast("handshake", handshake.get());
    }
}
