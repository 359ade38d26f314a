package io.torus.comm.algo;

import io.torus.comm.ReduceOp;
import io.torus.comm.testing.Ranks;
import io.torus.comm.transport.CollectiveMismatchException;
import io.torus.comm.transport.PeerLostException;
import io.torus.comm.transport.shm.ShmTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link SharedMemoryAllReduce} over real shm windows (ranks as threads): rounding-sensitive inputs
 * give the rank-order result bit for bit on every rank and in every run, and misuse or a lost peer
 * fails every rank instead of hanging. The closed-form matrix runs over it in ShmCollectiveMatrixTest.
 */
class SharedMemoryAllReduceTest {
    private static final Duration LIMIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private List<ShmTransport> group(int n, int windowBytes) {
        String key = UUID.randomUUID().toString().replace("-", "");
        ShmTransport.Options options = ShmTransport.Options.defaults().withDirectory(dir).withWindowBytes(windowBytes);
        return Ranks.run(n, rank -> ShmTransport.connect(rank, n, key, options));
    }

    private static float[] randomFloats(int rank, int length) {
        Random random = new Random(1000 + rank);
        float[] x = new float[length];
        for (int i = 0; i < length; i++) {
            x[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(8) - 4));
        }
        return x;
    }

    @Test
    void run_roundingSensitiveFloats_equalTheRankOrderSumBitForBitOnEveryRankAndRun() {
        int n = 3;
        int length = 300_001; // chunks of several pieces, an odd tail
        float[] expected = randomFloats(0, length);
        for (int r = 1; r < n; r++) {
            float[] x = randomFloats(r, length);
            for (int i = 0; i < length; i++) {
                expected[i] += x[i];
            }
        }
        List<ShmTransport> ts = group(n, 4 << 20);
        try {
            for (int run = 0; run < 3; run++) {
                long seq = run;
                List<float[]> results = assertTimeoutPreemptively(LIMIT, () -> Ranks.run(n, rank -> {
                    ShmTransport t = ts.get(rank);
                    assertNotNull(t.sharedWindows());
                    assertTrue(SharedMemoryAllReduce.fits(t.sharedWindows(), io.torus.tensor.DType.FLOAT32, length));
                    float[] x = randomFloats(rank, length);
                    SharedMemoryAllReduce.run(t, t.sharedWindows(), seq, x, 0, length, ReduceOp.SUM);
                    return x;
                }));
                for (int r = 0; r < n; r++) {
                    assertArrayEquals(expected, results.get(r), "run " + run + ", rank " + r);
                }
            }
        } finally {
            ts.forEach(ShmTransport::close);
        }
    }

    @Test
    void allReduce_differentLengthsOnTheWindows_failEveryRankNamingTheMismatch() {
        assertLengthsFailEveryRank(1 << 20, rank -> rank == 2 ? 5001 : 5000);
    }

    @Test
    void allReduce_oneRankOnTheRingTheOthersOnTheWindows_failEveryRankInsteadOfHanging() {
        // 160 KB does not fit a 64 KiB window: rank 1 takes the ring
        assertLengthsFailEveryRank(64 << 10, rank -> rank == 1 ? 40_000 : 5000);
    }

    /** Three ranks with windows of {@code windowBytes} all-reduce {@code lengthOf(rank)} floats: every rank must fail on the mismatch. */
    private void assertLengthsFailEveryRank(int windowBytes, java.util.function.IntUnaryOperator lengthOf) {
        List<ShmTransport> ts = group(3, windowBytes);
        try {
            List<Ranks.Outcome<Object>> outcomes = assertTimeoutPreemptively(LIMIT, () -> Ranks.runAll(3, rank -> {
                int length = lengthOf.applyAsInt(rank);
                new Collectives(ts.get(rank)).allReduce(new float[length], 0, length, ReduceOp.SUM);
                return null;
            }));
            assertEveryRankFailedOnTheMismatch(outcomes);
        } finally {
            ts.forEach(ShmTransport::close);
        }
    }

    @Test
    void allReduce_peerClosedInsteadOfJoining_failsTheOthersNamingIt() {
        List<ShmTransport> ts = group(3, 1 << 20);
        try {
            List<Ranks.Outcome<Object>> outcomes = assertTimeoutPreemptively(LIMIT, () -> Ranks.runAll(3, rank -> {
                if (rank == 2) {
                    ts.get(2).close();
                    return null;
                }
                new Collectives(ts.get(rank)).allReduce(new float[5000], 0, 5000, ReduceOp.SUM);
                return null;
            }));
            for (int r : new int[] {0, 1}) {
                PeerLostException e = assertInstanceOf(PeerLostException.class, outcomes.get(r).error(), "rank " + r);
                assertEquals(2, e.lostRank(), e.getMessage());
                assertTrue(e.getMessage().contains("rank 2 closed its transport"), e.getMessage());
            }
        } finally {
            ts.forEach(ShmTransport::close);
        }
    }

    private static void assertEveryRankFailedOnTheMismatch(List<Ranks.Outcome<Object>> outcomes) {
        boolean someoneSawTheMismatch = false;
        for (Ranks.Outcome<Object> o : outcomes) {
            assertTrue(o.failed(), "rank " + o.rank() + " should fail");
            someoneSawTheMismatch |= o.error() instanceof CollectiveMismatchException;
            assertTrue(o.error().getMessage().contains("same number of elements"), o.error().getMessage());
            assertTrue(o.error().getMessage().contains("collective 0"), o.error().getMessage());
        }
        assertTrue(someoneSawTheMismatch);
    }
}
