package io.torus.comm.transport.netty;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.torus.comm.protocol.Frame;

import java.util.function.Supplier;

/**
 * The pipeline of every Torus connection, accepted or connected, read top to bottom as the bytes
 * travel in:
 *
 * <pre>
 *   socket bytes
 *     -> "frames"    length-prefixed frames           (Frame.newDecoder(), one per channel)
 *     -> "messages"  frame to Hello|Chunk|Goodbye|Abort (MessageDecoder, shared)
 *     -> "handshake" Hello both ways, names the peer   (HandshakeHandler, then replaced by:)
 *        "peer"      Chunk to the peer's inbox; Goodbye, Abort, close and errors to its link (PeerHandler)
 *   and out:  Message -> "encoder" -> length, type, fields, payload (MessageEncoder, shared)
 * </pre>
 */
final class TorusChannelInitializer extends ChannelInitializer<SocketChannel> {
    private final Supplier<ChannelHandler> handshake;

    TorusChannelInitializer(Supplier<ChannelHandler> handshake) {
        this.handshake = handshake;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ch.pipeline()
                .addLast("frames", Frame.newDecoder())
                .addLast("messages", MessageDecoder.INSTANCE)
                .addLast("encoder", MessageEncoder.INSTANCE)
                .addLast("handshake", handshake.get());
    }
}
