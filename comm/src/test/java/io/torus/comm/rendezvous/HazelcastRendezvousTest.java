package io.torus.comm.rendezvous;

import com.hazelcast.core.Hazelcast;
import io.torus.comm.testing.Ranks;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Embedded Hazelcast members in this JVM, each test in its own cluster on free ports. */
class HazelcastRendezvousTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static RendezvousSpec spec(String job, Endpoint endpoint, int rank, int worldSize) {
        return new RendezvousSpec(job, endpoint, rank, worldSize, "127.0.0.1",
                new InetSocketAddress("127.0.0.1", 40_000 + rank), "host-" + rank, RendezvousSpec.newNonce());
    }

    @Test
    void join_twoMembersAgreeOnRanksAndAddressesAndReportACrash() throws Exception {
        String job = "rdzv-test-" + UUID.randomUUID();
        Endpoint endpoint = new Endpoint("127.0.0.1", freePort());
        List<RendezvousSpec> specs = List.of(spec(job, endpoint, 0, 2), spec(job, endpoint, 1, 2));
        List<HazelcastRendezvous> members = Ranks.run(2, rank -> HazelcastRendezvous.start(specs.get(rank), TIMEOUT));
        try {
            List<RendezvousInfo> infos = Ranks.run(2, rank -> members.get(rank).await(TIMEOUT));
            List<InetSocketAddress> expected = List.of(new InetSocketAddress("127.0.0.1", 40_000),
                    new InetSocketAddress("127.0.0.1", 40_001));
            for (int rank = 0; rank < 2; rank++) {
                assertEquals(new RendezvousInfo(rank, 2, 0, expected, List.of("host-0", "host-1"), specs.get(0).nonce()),
                        infos.get(rank));
                assertFalse(infos.get(rank).allOnOneHost());
            }

            CompletableFuture<Integer> lost = new CompletableFuture<>();
            members.get(0).onMemberLost(lost::complete);
            Hazelcast.getHazelcastInstanceByName("torus-" + job + "-rank-1").getLifecycleService().terminate();
            assertEquals(1, lost.get(10, TimeUnit.SECONDS));
        } finally {
            members.forEach(HazelcastRendezvous::close);
        }
    }

    @Test
    void memberLost_reportsACrashButNotAnOrderlyClose() throws Exception {
        String job = "rdzv-test-" + UUID.randomUUID();
        Endpoint endpoint = new Endpoint("127.0.0.1", freePort());
        List<HazelcastRendezvous> members = Ranks.run(3, rank ->
                HazelcastRendezvous.start(spec(job, endpoint, rank, 3), TIMEOUT));
        try {
            Ranks.run(3, rank -> members.get(rank).await(TIMEOUT));
            List<Integer> reported = new CopyOnWriteArrayList<>();
            CompletableFuture<Void> crashSeen = new CompletableFuture<>();
            members.get(0).onMemberLost(rank -> {
                reported.add(rank);
                if (rank == 2) {
                    crashSeen.complete(null);
                }
            });
            members.get(1).close();
            Hazelcast.getHazelcastInstanceByName("torus-" + job + "-rank-2").getLifecycleService().terminate();
            crashSeen.get(15, TimeUnit.SECONDS);
            // Removals are reported one at a time, in order: rank 1's would have come first.
            assertEquals(List.of(2), reported);
        } finally {
            members.forEach(HazelcastRendezvous::close);
        }
    }

    @Test
    void await_timesOutNamingTheMissingRanks() throws Exception {
        String job = "rdzv-test-" + UUID.randomUUID();
        try (HazelcastRendezvous alone = HazelcastRendezvous.start(
                spec(job, new Endpoint("127.0.0.1", freePort()), 0, 3), TIMEOUT)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> alone.await(Duration.ofMillis(300)));
            assertTrue(e.getMessage().contains("1 of 3 workers present (ranks [0]), missing ranks [1, 2]"), e.getMessage());
        }
    }

    @Test
    void endpoint_parsesAndValidates() {
        assertEquals(new Endpoint("127.0.0.1", 29500), Endpoint.parse("127.0.0.1:29500"));
        assertEquals(new Endpoint("::1", 7), Endpoint.parse("[::1]:7"));
        assertEquals("[::1]:7", Endpoint.parse("[::1]:7").toString());
        assertEquals("127.0.0.1", Endpoint.parse("localhost:29500").localHost());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Endpoint.parse("host:http")).getMessage()
                .contains("port 'http'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Endpoint.parse("host:0")).getMessage()
                .contains("port 0"));
        assertThrows(IllegalArgumentException.class, () -> Endpoint.parse("29500"));
    }
}
