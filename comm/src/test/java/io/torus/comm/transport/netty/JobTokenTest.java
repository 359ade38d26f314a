package io.torus.comm.transport.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.torus.comm.ReduceOp;
import io.torus.comm.algo.Collectives;
import io.torus.comm.protocol.Chunk;
import io.torus.comm.protocol.Hello;
import io.torus.comm.testing.Ranks;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The job token in the Netty handshake: only peers that know the job secret join the ring. */
class JobTokenTest {
    private static final byte[] SECRET = "job-42-secret-0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] OTHER = "job-43-secret-0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private final List<NettyTransport> open = new ArrayList<>();

    @AfterEach
    void closeAll() {
        open.forEach(NettyTransport::close);
    }

    private NettyTransport bind(byte[] secret) {
        NettyTransport t = NettyTransport.bind("127.0.0.1", NettyTransport.Options.defaults()
                .withConnectTimeout(Duration.ofSeconds(2)).withJobSecret(secret));
        open.add(t);
        return t;
    }

    @Test
    void hello_tokenVerifiesOnlyWithTheSameSecretAndFields() {
        Hello h = Hello.signed(1, 4, SECRET);
        assertTrue(h.verify(SECRET));
        assertFalse(h.verify(OTHER));
        assertFalse(new Hello(1, 4).verify(SECRET));
        assertFalse(new Hello(2, 4, h.token()).verify(SECRET), "a token moved onto another rank's Hello");
        assertFalse(new Hello(1, 5, h.token()).verify(SECRET), "a token moved onto another world size");
    }

    @Test
    void sameSecret_connectsAndAllReduces() {
        List<NettyTransport> ts = List.of(bind(SECRET), bind(SECRET), bind(SECRET));
        List<InetSocketAddress> addresses = ts.stream().map(NettyTransport::localAddress).toList();
        List<float[]> results = Ranks.run(3, rank -> {
            ts.get(rank).connect(rank, addresses);
            float[] data = {rank, 10 * rank, 1};
            new Collectives(ts.get(rank), -1).allReduce(data, 0, 3, ReduceOp.SUM);
            return data;
        });
        for (float[] r : results) {
            assertArrayEquals(new float[] {3, 30, 3}, r);
        }
    }

    @Test
    void wrongSecret_isRefusedBothWays() {
        assertRefused(bind(SECRET), bind(OTHER));
    }

    @Test
    void noToken_isRefusedWhenASecretIsRequired() {
        assertRefused(bind(SECRET), bind(null));
    }

    private static void assertRefused(NettyTransport a, NettyTransport b) {
        List<InetSocketAddress> addresses = List.of(a.localAddress(), b.localAddress());
        CompletableFuture<Void> ra = CompletableFuture.runAsync(() -> a.connect(0, addresses));
        CompletableFuture<Void> rb = CompletableFuture.runAsync(() -> b.connect(1, addresses));
        // The side holding the secret names the token; the other (wrong or no secret) just fails.
        ExecutionException ea = assertThrows(ExecutionException.class, ra::get);
        String message = assertInstanceOf(IllegalStateException.class, ea.getCause()).getMessage();
        assertTrue(message.contains("job token"), message);
        ExecutionException eb = assertThrows(ExecutionException.class, rb::get);
        assertInstanceOf(IllegalStateException.class, eb.getCause());
    }

    @Test
    void intruderWithoutToken_isClosedUnansweredAndDeliversNothing() throws Exception {
        NettyTransport r0 = bind(SECRET);
        NettyTransport r1 = bind(SECRET);
        // An outsider claims rank 1 without a token and immediately pushes data.
        EmbeddedChannel encoder = new EmbeddedChannel(MessageEncoder.INSTANCE);
        encoder.writeOutbound(new Hello(1, 2));
        encoder.writeOutbound(Chunk.copyOf(0, 1, 0, 3, new float[] {1e9f, 1e9f, 1e9f}, 0, 3, PooledByteBufAllocator.DEFAULT));
        try (Socket s = new Socket()) {
            s.connect(r0.localAddress(), 2000);
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            for (ByteBuf part; (part = encoder.readOutbound()) != null; ) {
                byte[] bytes = new byte[part.readableBytes()];
                part.readBytes(bytes);
                part.release();
                try {
                    out.write(bytes);
                    out.flush();
                } catch (SocketException closedAlready) {
                    // the transport may refuse and close before all the data is written
                }
            }
            InputStream in = s.getInputStream();
            int first;
            try {
                first = in.read();
            } catch (SocketException reset) {
                first = -1;
            }
            assertEquals(-1, first, "the refused intruder must get no answering Hello, only a close");
        }
        // The real ring still forms and nothing the intruder sent shows up in its results.
        List<NettyTransport> ts = List.of(r0, r1);
        List<InetSocketAddress> addresses = ts.stream().map(NettyTransport::localAddress).toList();
        List<float[]> results = Ranks.run(2, rank -> {
            ts.get(rank).connect(rank, addresses);
            float[] data = {rank + 1, rank + 1, rank + 1};
            new Collectives(ts.get(rank), -1).allReduce(data, 0, 3, ReduceOp.SUM);
            return data;
        });
        for (float[] r : results) {
            assertArrayEquals(new float[] {3, 3, 3}, r);
        }
    }
}
