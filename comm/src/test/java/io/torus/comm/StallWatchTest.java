package io.torus.comm;

import io.torus.autograd.Tensor;
import io.torus.comm.testing.Ranks;
import io.torus.comm.transport.InMemoryTransport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Stall reports (Note [Stall report]): three ranks as threads over the in-memory transport; one
 * rank is held before a collective by a latch the test controls, past a short stall period. The
 * waiting ranks must name it; once released, the collective completes.
 */
class StallWatchTest {
    private static final Duration STALL = Duration.ofMillis(300);
    private static final int N = 3;

    private final List<CompletableFuture<String>> firstReport = new ArrayList<>();
    private final List<StallWatch> watches = new ArrayList<>();
    private final List<RingProcessGroup> groups = new ArrayList<>();

    /** Groups whose watches report into {@link #firstReport}; with {@code askPeers}, they ask each other in memory. */
    private void start(boolean askPeers) {
        List<InMemoryTransport> transports = InMemoryTransport.group(N);
        for (int r = 0; r < N; r++) {
            CompletableFuture<String> first = new CompletableFuture<>();
            firstReport.add(first);
            StallWatch w = new StallWatch(r, N, STALL, report -> {
                System.out.println(report);
                first.complete(report);
            });
            watches.add(w);
            groups.add(new RingProcessGroup(transports.get(r), null, w));
        }
        if (askPeers) {
            for (StallWatch w : watches) {
                w.askPeersWith(timeout -> {
                    Map<Integer, String> answers = new TreeMap<>();
                    for (int q = 0; q < N; q++) {
                        answers.put(q, watches.get(q).progress());
                    }
                    return answers;
                });
            }
        }
    }

    @AfterEach
    void close() {
        groups.forEach(RingProcessGroup::close);
    }

    @Test
    void allReduce_rankHeldBack_everyWaitingRankNamesItThenCompletes() throws Exception {
        start(true);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<List<float[]>> results = CompletableFuture.supplyAsync(() -> Ranks.run(N, rank -> {
            RingProcessGroup pg = groups.get(rank);
            pg.barrier(); // collective 0, on time
            if (rank == 1) {
                assertTrue(release.await(60, TimeUnit.SECONDS), "never released");
            }
            Tensor t = Tensor.full(new int[] {5000}, rank); // collective 1
            pg.allReduce(t, ReduceOp.SUM);
            return t.toFloatArray();
        }));
        // Rank 2 waits on rank 1 directly; rank 0 waits on rank 2, which waits on rank 1.
        for (int r : new int[] {0, 2}) {
            String report = firstReport.get(r).get(30, TimeUnit.SECONDS);
            assertTrue(report.startsWith("rank " + r + ": stalled: allReduce (collective 1, 5000 elements) has waited "),
                    report);
            assertTrue(report.contains("still waiting for rank [1]: rank 1 has not entered collective 1: its last was "
                    + "collective 0 (barrier), finished"), report);
            assertTrue(report.contains("from rank " + ((r + N - 1) % N) + " (its upstream neighbour in the ring)"), report);
        }
        release.countDown();
        List<float[]> out = results.get(30, TimeUnit.SECONDS);
        float[] expected = new float[5000];
        java.util.Arrays.fill(expected, 0 + 1 + 2);
        out.forEach(a -> assertArrayEquals(expected, a));
        assertFalse(firstReport.get(1).isDone(), "rank 1 never waited long: " + firstReport.get(1).getNow(""));
    }

    @Test
    void barrier_rankHeldBackWithoutPeerAnswers_ringNamesRanksNotKnownToHaveArrived() throws Exception {
        start(false);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<List<Integer>> done = CompletableFuture.supplyAsync(() -> Ranks.run(N, rank -> {
            if (rank == 2) {
                assertTrue(release.await(60, TimeUnit.SECONDS), "never released");
            }
            groups.get(rank).barrier();
            return rank;
        }));
        // Rank 1 has rank 0's round-0 message, so only rank 2 is unaccounted for; rank 0 has nothing yet.
        String one = firstReport.get(1).get(30, TimeUnit.SECONDS);
        assertTrue(one.contains("still waiting for rank [2]: not known to have entered the barrier"), one);
        String zero = firstReport.get(0).get(30, TimeUnit.SECONDS);
        assertTrue(zero.contains("still waiting for ranks [2, 1]"), zero);
        release.countDown();
        assertEquals(List.of(0, 1, 2), done.get(30, TimeUnit.SECONDS));
    }

    @Test
    void stallSeconds_invalidValue_namesKeyAndExpectation() {
        String old = System.getProperty(StallWatch.STALL_SECONDS);
        try {
            System.setProperty(StallWatch.STALL_SECONDS, "-3");
            String msg = assertThrows(IllegalArgumentException.class, StallWatch::stallSeconds).getMessage();
            assertEquals("torus.comm.stall.report.seconds=-3: expected a whole number of seconds >= 0 (0 = no reports)", msg);
            System.setProperty(StallWatch.STALL_SECONDS, "0");
            assertEquals(0, StallWatch.stallSeconds());
        } finally {
            if (old == null) {
                System.clearProperty(StallWatch.STALL_SECONDS);
            } else {
                System.setProperty(StallWatch.STALL_SECONDS, old);
            }
        }
    }
}
