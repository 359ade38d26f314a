package io.torus.comm.algo;

import io.torus.comm.ReduceOp;
import io.torus.comm.testing.Ranks;
import io.torus.comm.transport.CollectiveMismatchException;
import io.torus.comm.transport.InMemoryTransport;
import io.torus.comm.transport.PeerLostException;
import io.torus.comm.transport.Transport;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.IntFunction;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Broadcast, all-gather, barrier, mixed sequences and misuse, over the in-memory transport. */
class CollectivesTest {

    @Test
    void broadcast_fromEveryRootIncludingMultiSegmentVectors() {
        int n = 4;
        for (int count : new int[] {0, 1, 1000, RingBroadcast.SEGMENT_BYTES / Float.BYTES * 2 + 3}) {
            for (int root = 0; root < n; root++) {
                int r0 = root;
                List<InMemoryTransport> transports = InMemoryTransport.group(n);
                Ranks.run(n, rank -> {
                    float[] data = filled(count, rank == r0 ? i -> i * 0.5f : i -> -1f);
                    new Collectives(transports.get(rank)).broadcast(data, 0, count, r0);
                    assertArrayEquals(filled(count, i -> i * 0.5f), data, "rank " + rank + ", root " + r0 + ", " + count);
                    return null;
                });
            }
        }
    }

    @Test
    void allGather_placesEveryRanksBlockInRankOrder() {
        for (int length : new int[] {0, 1, 5, 3001}) {
            int n = 5;
            List<InMemoryTransport> transports = InMemoryTransport.group(n);
            Ranks.run(n, rank -> {
                float[] mine = filled(length, i -> rank * 10_000 + i);
                float[] out = new float[n * length + 2];
                new Collectives(transports.get(rank)).allGather(mine, 0, length, out, 1);
                for (int r = 0; r < n; r++) {
                    int rr = r;
                    assertArrayEquals(filled(length, i -> rr * 10_000 + i),
                            Arrays.copyOfRange(out, 1 + r * length, 1 + (r + 1) * length), "block " + r + " on rank " + rank);
                }
                return null;
            });
        }
    }

    @Test
    void barrier_noRankLeavesBeforeEveryRankHasEntered() {
        int n = 4;
        int rounds = 50;
        AtomicIntegerArray entered = new AtomicIntegerArray(rounds);
        List<InMemoryTransport> transports = InMemoryTransport.group(n);
        Ranks.run(n, rank -> {
            Collectives c = new Collectives(transports.get(rank));
            for (int round = 0; round < rounds; round++) {
                entered.incrementAndGet(round);
                c.barrier();
                assertEquals(n, entered.get(round), "rank " + rank + " left barrier " + round + " early");
            }
            return null;
        });
    }

    @Test
    void collectives_manyBackToBackKeepTheirOrder() {
        runMixedSequence(InMemoryTransport.group(3), 300);
    }

    /**
     * Every rank draws the same random sequence of collectives (kinds, sizes, roots, ops) and
     * checks each result; a reused or skipped sequence number fails the tag checks.
     */
    static void runMixedSequence(List<? extends Transport> transports, int collectives) {
        int n = transports.size();
        Ranks.run(n, rank -> {
            Collectives c = new Collectives(transports.get(rank));
            Random plan = new Random(42);
            int[] sizes = {0, 1, 7, 1024, 1025, 5000};
            for (int k = 0; k < collectives; k++) {
                int size = sizes[plan.nextInt(sizes.length)];
                switch (plan.nextInt(4)) {
                    case 0 -> {
                        ReduceOp op = ReduceOp.values()[plan.nextInt(4)];
                        float[] data = ClosedForm.input(rank, n, size);
                        c.allReduce(data, 0, size, op);
                        ClosedForm.check(op, n, rank, data);
                    }
                    case 1 -> {
                        int root = plan.nextInt(n);
                        int kk = k;
                        float[] data = filled(size, i -> rank == root ? kk + i : -1);
                        c.broadcast(data, 0, size, root);
                        assertArrayEquals(filled(size, i -> kk + i), data, "broadcast " + k + " on rank " + rank);
                    }
                    case 2 -> {
                        float[] out = new float[n * size];
                        c.allGather(filled(size, i -> rank), 0, size, out, 0);
                        for (int i = 0; i < out.length; i++) {
                            assertEquals(i / Math.max(size, 1), out[i], "allGather " + k + " element " + i);
                        }
                    }
                    default -> c.barrier();
                }
            }
            assertEquals(collectives, c.issued());
            return null;
        });
    }

    @Test
    void allReduce_differentLengthsFailOnEveryRankInsteadOfHanging() {
        List<InMemoryTransport> transports = InMemoryTransport.group(3);
        List<Ranks.Outcome<Object>> outcomes = assertTimeoutPreemptively(Duration.ofSeconds(10), () ->
                Ranks.runAll(3, rank -> {
                    int length = rank == 2 ? 3001 : 3000;
                    new Collectives(transports.get(rank)).allReduce(new float[length], 0, length, ReduceOp.SUM);
                    return null;
                }));
        boolean someoneSawTheMismatch = false;
        for (Ranks.Outcome<Object> o : outcomes) {
            assertTrue(o.failed(), "rank " + o.rank() + " should fail");
            someoneSawTheMismatch |= o.error() instanceof CollectiveMismatchException;
            assertTrue(o.error().getMessage().contains("same number of elements"), o.error().getMessage());
        }
        assertTrue(someoneSawTheMismatch);
    }

    @Test
    void allReduce_peerThatClosedMidwayFailsTheOthersNamingIt() {
        List<InMemoryTransport> transports = InMemoryTransport.group(3);
        List<Ranks.Outcome<Object>> outcomes = assertTimeoutPreemptively(Duration.ofSeconds(10), () ->
                Ranks.runAll(3, rank -> {
                    if (rank == 1) {
                        transports.get(1).close();
                        return null;
                    }
                    new Collectives(transports.get(rank)).allReduce(new float[5000], 0, 5000, ReduceOp.SUM);
                    return null;
                }));
        for (int r : new int[] {0, 2}) {
            PeerLostException e = assertInstanceOf(PeerLostException.class, outcomes.get(r).error());
            assertEquals(1, e.lostRank(), e.getMessage());
            assertTrue(e.getMessage().contains("rank 1 closed its transport"), e.getMessage());
        }
    }

    @Test
    void collectives_rejectBadArgumentsNamingThem() {
        Collectives c = new Collectives(InMemoryTransport.group(2).get(0));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> c.broadcast(new float[1], 0, 1, 2))
                .getMessage().contains("root 2"));
        assertThrows(IndexOutOfBoundsException.class, () -> c.allReduce(new float[4], 2, 3, ReduceOp.SUM));
        assertTrue(assertThrows(IndexOutOfBoundsException.class, () -> c.allGather(new float[3], 0, 3, new float[5], 0))
                .getMessage().contains("2 x 3"));
        assertEquals(0, c.issued(), "rejected calls must not use up sequence numbers");
    }

    static float[] filled(int n, IntFunction<Number> f) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = f.apply(i).floatValue();
        }
        return a;
    }
}
