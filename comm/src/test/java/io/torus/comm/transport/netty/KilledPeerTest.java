package io.torus.comm.transport.netty;

import io.torus.comm.ReduceOp;
import io.torus.comm.algo.Collectives;
import io.torus.comm.testing.Ranks;
import io.torus.comm.transport.PeerLostException;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A rank whose process is killed (SIGKILL) makes the others' collectives fail, naming it. */
class KilledPeerTest {

    @Test
    void killedPeer_othersFailNamingItWithinSeconds() throws Exception {
        NettyTransport rank0 = NettyTransport.bind("127.0.0.1");
        NettyTransport rank2 = NettyTransport.bind("127.0.0.1");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx64m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                RingPeerMain.class.getName(), "1")
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        try (rank0; rank2) {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String address = assertTimeoutPreemptively(Duration.ofSeconds(30), out::readLine);
            assertTrue(address != null && address.startsWith("ADDRESS "), "child said: " + address);
            String[] hp = address.substring("ADDRESS ".length()).split(":");
            List<InetSocketAddress> peers = List.of(rank0.localAddress(),
                    new InetSocketAddress(hp[0], Integer.parseInt(hp[1])), rank2.localAddress());
            Writer in = new OutputStreamWriter(child.getOutputStream(), StandardCharsets.UTF_8);
            in.write(peers.stream().map(a -> a.getHostString() + ":" + a.getPort()).collect(Collectors.joining(",")) + "\n");
            in.flush();
            List<NettyTransport> local = new ArrayList<>(List.of(rank0, rank2));
            Ranks.run(2, i -> {
                local.get(i).connect(i * 2, peers);
                return null;
            });
            assertEquals("CONNECTED", assertTimeoutPreemptively(Duration.ofSeconds(10), out::readLine));

            // Ranks 0 and 2 start an all-reduce that rank 1 will never join, then rank 1 dies.
            CompletableFuture<List<Ranks.Outcome<Object>>> outcomes = CompletableFuture.supplyAsync(() ->
                    Ranks.runAll(2, i -> {
                        new Collectives(local.get(i), -1).allReduce(new float[30_000], 0, 30_000, ReduceOp.SUM);
                        return null;
                    }));
            child.destroyForcibly();
            for (Ranks.Outcome<Object> o : assertTimeoutPreemptively(Duration.ofSeconds(10), () -> outcomes.join())) {
                PeerLostException e = assertInstanceOf(PeerLostException.class, o.error(), "local rank " + o.rank() * 2);
                assertEquals(1, e.lostRank(), e.getMessage());
                assertTrue(e.getMessage().contains("rank 1 closed its connection without saying goodbye"), e.getMessage());
            }
        } finally {
            child.destroyForcibly();
        }
    }
}
