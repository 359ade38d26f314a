package io.torus.comm;

import com.hazelcast.core.Hazelcast;
import io.torus.autograd.Tensor;
import io.torus.comm.testing.Ranks;
import io.torus.comm.transport.PeerLostException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ProcessGroups#join}: Hazelcast rendezvous, the ring (shared memory, as all ranks are on
 * this machine, or Netty when forced) and teardown, ranks as threads.
 */
class ProcessGroupsJoinTest {

    private static List<ProcessGroup> joinAll(int n) throws IOException {
        String job = "join-test-" + UUID.randomUUID();
        String endpoint = freeEndpoint();
        return Ranks.run(n, rank -> ProcessGroups.join(new WorkerEnv(rank, n, rank, endpoint, job, Path.of("."), "cpu")));
    }

    private static String freeEndpoint() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "127.0.0.1:" + s.getLocalPort();
        }
    }

    @Test
    void join_twoRanksRendezvousAllReduceAndCloseInOrder() throws Exception {
        List<ProcessGroup> pgs = joinAll(2);
        List<float[]> results = Ranks.run(2, rank -> {
            try (ProcessGroup pg = pgs.get(rank)) {
                assertTrue(pg.toString().contains("ShmTransport"), pg.toString());
                assertEquals(rank, pg.rank());
                assertEquals(2, pg.worldSize());
                Tensor t = Tensor.of(new float[] {rank, 10 + rank, 0.1f * (rank + 1)}, 3);
                pg.allReduce(t, ReduceOp.AVG);
                pg.barrier();
                return t.toFloatArray();
            }
        });
        assertArrayEquals(new float[] {0.5f, 10.5f, (0.1f + 0.2f) / 2}, results.get(0));
        assertArrayEquals(results.get(0), results.get(1), "ranks must agree bit for bit");
    }

    @Test
    void join_transportNetty_connectsTheNettyRingOnOneHost() throws Exception {
        System.setProperty("torus.comm.transport", "netty");
        List<ProcessGroup> pgs;
        try {
            pgs = joinAll(2);
        } finally {
            System.clearProperty("torus.comm.transport");
        }
        List<float[]> results = Ranks.run(2, rank -> {
            try (ProcessGroup pg = pgs.get(rank)) {
                assertTrue(pg.toString().contains("NettyTransport"), pg.toString());
                Tensor t = Tensor.of(new float[] {rank + 1, 2 * rank}, 2);
                pg.allReduce(t, ReduceOp.SUM);
                return t.toFloatArray();
            }
        });
        assertArrayEquals(new float[] {3, 2}, results.get(0));
        assertArrayEquals(new float[] {3, 2}, results.get(1));
    }

    @Test
    void join_workerThatExitsWithoutClosingStillDeliversItsLastCollective() throws Exception {
        String job = "join-test-" + UUID.randomUUID();
        String endpoint = freeEndpoint();
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                ExitWithoutCloseMain.class.getName(), "1", "2", endpoint, job)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        try (ProcessGroup pg = ProcessGroups.join(new WorkerEnv(0, 2, 0, endpoint, job, Path.of("."), "cpu"))) {
            assertEquals(0, assertTimeoutPreemptively(Duration.ofSeconds(30), () -> child.waitFor()));
            // Rank 1 is gone; what it sent before exiting must still arrive, and nothing may be broken.
            Tensor t = Tensor.of(new float[3], 3);
            pg.broadcast(t, 1);
            assertArrayEquals(new float[] {4, 5, 6}, t.toFloatArray());
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void join_aRankThatStopsHeartbeatingFailsTheOthersCollectivesNamingIt() throws Exception {
        List<ProcessGroup> pgs = joinAll(2);
        String job = null;
        try {
            // Rank 1 never issues this all-reduce; its sockets stay open, so only the membership
            // listener can tell rank 0 that rank 1 is gone.
            Work pending = pgs.get(0).allReduceAsync(Tensor.of(new float[4096], 4096), ReduceOp.SUM);
            Hazelcast.getAllHazelcastInstances().stream()
                    .filter(hz -> hz.getName().endsWith("-rank-1") && hz.getName().startsWith("torus-join-test-"))
                    .filter(hz -> hz.getCluster().getMembers().size() == 2)
                    .forEach(hz -> hz.getLifecycleService().terminate());
            PeerLostException e = assertTimeoutPreemptively(Duration.ofSeconds(15),
                    () -> assertThrows(PeerLostException.class, pending::await));
            assertEquals(1, e.lostRank(), e.getMessage());
            assertTrue(e.getMessage().contains("rank 1 left the job"), e.getMessage());
        } finally {
            pgs.forEach(ProcessGroup::close);
        }
    }
}
