package io.torus.comm.algo;

import io.torus.comm.ReduceOp;
import io.torus.comm.testing.Ranks;
import io.torus.comm.transport.InMemoryTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** All-reduce over the in-memory transport: world size x element count x op, against the closed form. */
class AllReduceMatrixTest {
    private static final int[] WORLD_SIZES = {1, 2, 3, 4, 5};
    private static final int LARGE = (1 << 20) + 7;

    static Stream<Arguments> ringCases() {
        return cases(true);
    }

    static Stream<Arguments> naiveCases() {
        return cases(false);
    }

    private static Stream<Arguments> cases(boolean withLarge) {
        return Arrays.stream(WORLD_SIZES).boxed().flatMap(n ->
                IntStream.of(0, 1, n - 1, 1000, LARGE).filter(c -> withLarge || c != LARGE).distinct().boxed()
                        .flatMap(count -> Arrays.stream(ReduceOp.values()).map(op -> Arguments.of(n, count, op))));
    }

    @ParameterizedTest(name = "ring, {0} ranks, {1} floats, {2}")
    @MethodSource("ringCases")
    void allReduce_ringMatchesClosedForm(int n, int count, ReduceOp op) {
        runAndCheck(n, count, op, -1);
    }

    @ParameterizedTest(name = "naive, {0} ranks, {1} floats, {2}")
    @MethodSource("naiveCases")
    void allReduce_naiveMatchesClosedForm(int n, int count, ReduceOp op) {
        runAndCheck(n, count, op, Integer.MAX_VALUE);
    }

    private static void runAndCheck(int n, int count, ReduceOp op, int naiveMax) {
        List<InMemoryTransport> transports = InMemoryTransport.group(n);
        Ranks.run(n, rank -> {
            float[] data = ClosedForm.input(rank, n, count);
            new Collectives(transports.get(rank), naiveMax).allReduce(data, 0, count, op);
            ClosedForm.check(op, n, rank, data);
            return null;
        });
    }

    @Test
    void allReduce_sliceLeavesTheRestOfTheArrayAlone() {
        List<InMemoryTransport> transports = InMemoryTransport.group(3);
        Ranks.run(3, rank -> {
            float[] data = new float[2000];
            Arrays.fill(data, -7f);
            System.arraycopy(ClosedForm.input(rank, 3, 1500), 0, data, 300, 1500);
            new Collectives(transports.get(rank), -1).allReduce(data, 300, 1500, ReduceOp.SUM);
            ClosedForm.check(ReduceOp.SUM, 3, rank, Arrays.copyOfRange(data, 300, 1800));
            for (int i : new int[] {0, 299, 1800, 1999}) {
                assertEquals(-7f, data[i], "element " + i + " outside the slice");
            }
            return null;
        });
    }

    @Test
    void allReduce_randomValuesAreBitIdenticalOnEveryRank() {
        for (int naiveMax : new int[] {-1, Integer.MAX_VALUE}) {
            for (ReduceOp op : new ReduceOp[] {ReduceOp.SUM, ReduceOp.AVG}) {
                int n = 5;
                int count = 10_007;
                List<InMemoryTransport> transports = InMemoryTransport.group(n);
                List<float[]> results = Ranks.run(n, rank -> {
                    float[] data = randomInput(rank, count);
                    new Collectives(transports.get(rank), naiveMax).allReduce(data, 0, count, op);
                    return data;
                });
                for (int r = 1; r < n; r++) {
                    assertArrayEquals(results.get(0), results.get(r), op + " naiveMax " + naiveMax + ": rank " + r
                            + " differs from rank 0");
                }
                double[] exact = new double[count];
                double[] magnitude = new double[count];
                for (int r = 0; r < n; r++) {
                    float[] in = randomInput(r, count);
                    for (int i = 0; i < count; i++) {
                        exact[i] += in[i];
                        magnitude[i] += Math.abs(in[i]);
                    }
                }
                for (int i = 0; i < count; i++) {
                    double want = op == ReduceOp.AVG ? exact[i] / n : exact[i];
                    // float32 rounding: a few ulps of the largest partial sum
                    assertEquals(want, results.get(0)[i], 1e-6 * magnitude[i] + 1e-30, op + " element " + i);
                }
            }
        }
    }

    /**
     * The ring's arithmetic, pinned: chunk c of {@code new ChunkPlan(count, N)} is summed starting
     * at rank c and going round, {@code x[c+N-1] + (... + (x[c+1] + x[c]))}, whatever the pipeline's
     * schedule or piece size. Random floats make every other order give different bits.
     */
    @Test
    void allReduce_ringSumsEachChunkInRingOrder() {
        int n = 4;
        int count = 3 * (RingAllReduce.pieceBytes(n) / Float.BYTES) * n + 5;   // several pieces per chunk
        List<InMemoryTransport> transports = InMemoryTransport.group(n);
        List<float[]> results = Ranks.run(n, rank -> {
            float[] data = randomInput(rank, count);
            new Collectives(transports.get(rank), -1).allReduce(data, 0, count, ReduceOp.SUM);
            return data;
        });
        float[][] inputs = new float[n][];
        for (int r = 0; r < n; r++) {
            inputs[r] = randomInput(r, count);
        }
        ChunkPlan plan = new ChunkPlan(count, n);
        float[] want = new float[count];
        for (int c = 0; c < n; c++) {
            for (int i = plan.offset(c); i < plan.end(c); i++) {
                float acc = inputs[c][i];
                for (int k = 1; k < n; k++) {
                    acc = inputs[(c + k) % n][i] + acc;
                }
                want[i] = acc;
            }
        }
        for (int r = 0; r < n; r++) {
            assertArrayEquals(want, results.get(r), "rank " + r);
        }
    }

    @Test
    void pieceBytes_keepsWhatARankCanRunAheadWithinTheInFlightBudget() {
        assertEquals(RingAllReduce.PIECE_BYTES, RingAllReduce.pieceBytes(2));
        assertEquals(RingAllReduce.PIECE_BYTES, RingAllReduce.pieceBytes(3));
        assertEquals(RingAllReduce.PIECE_BYTES / 2, RingAllReduce.pieceBytes(4));
        for (int n = 2; n <= 64; n++) {
            long ahead = (long) n * 2 * (n - 1) * RingAllReduce.pieceBytes(n);
            if (RingAllReduce.pieceBytes(n) > RingAllReduce.MIN_PIECE_BYTES) {
                assertEquals(true, ahead <= RingAllReduce.IN_FLIGHT_BYTES, n + " ranks: " + ahead + " bytes ahead");
            } else {
                assertEquals(RingAllReduce.MIN_PIECE_BYTES, RingAllReduce.pieceBytes(n), n + " ranks");
            }
        }
    }

    static float[] randomInput(int rank, int count) {
        Random random = new Random(1234 + rank);
        float[] data = new float[count];
        for (int i = 0; i < count; i++) {
            data[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(7) - 3));
        }
        return data;
    }
}
