package io.torus.comm;

import io.torus.autograd.Tensor;
import io.torus.comm.algo.ChunkPlan;
import io.torus.comm.testing.Ranks;
import io.torus.comm.transport.Elements;
import io.torus.comm.transport.Transport;
import io.torus.tensor.DType;
import io.torus.tensor.NDArray;
import io.torus.tensor.Storage;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The collective test matrix (STYLE.md habit 9) at the {@link ProcessGroup} level, run by one thin
 * subclass per transport: world size {1, 2, 3, 4, 5, 8} x dtype, and within each case element
 * counts {0, 1, N - 1, 1000, 100003, 2^20 + 7} through every collective back to back on one group (which
 * also catches sequence reuse): allReduce with SUM, AVG, MAX, MIN, reduceScatter, allGather,
 * broadcast, barrier, every answer in closed form and compared bit for bit.
 *
 * <p>Inputs: rank r contributes {@code v = ((r + i) % N) + 1 + 8 (i % 4)} at element i (exact in
 * every numeric dtype); BOOL contributes true, false, or "r + i divisible by N" by {@code i % 3}.
 */
abstract class CollectiveMatrixContract {
    /** Above the naive algorithm's limit and within the shm windows (4 MiB) in every dtype: SharedMemoryAllReduce over shm. */
    static final int MEDIUM = 100_003;
    static final int LARGE = (1 << 20) + 7;
    /** allGather output above this many bytes per rank is skipped (eight ranks of 2^20 doubles would need 512 MiB). */
    private static final long GATHER_BYTES_LIMIT = 40L << 20;

    /** {@code n} connected transports in rank order. */
    abstract List<? extends Transport> transports(int n);

    static Stream<Arguments> cases() {
        return Stream.of(1, 2, 3, 4, 5, 8).flatMap(n -> Arrays.stream(DType.values()).map(d -> Arguments.of(n, d)));
    }

    @ParameterizedTest(name = "{0} ranks, {1}")
    @MethodSource("cases")
    void everyCollective_matchesClosedForm(int n, DType dtype) {
        List<? extends Transport> ts = transports(n);
        Ranks.run(n, rank -> {
            try (ProcessGroup pg = ProcessGroups.overTransport(ts.get(rank))) {
                for (int count : new int[] {0, 1, n - 1, 1000, MEDIUM, LARGE}) {
                    for (ReduceOp op : ReduceOp.values()) {
                        if (op == ReduceOp.AVG && dtype == DType.BOOL) {
                            continue;
                        }
                        Tensor t = tensor(input(dtype, rank, n, count));
                        pg.allReduce(t, op);
                        check("allReduce " + op, dtype, op, n, rank, count, t.data().storage().array(), 0, 0, count);
                    }
                    ReduceOp rsOp = dtype == DType.BOOL ? ReduceOp.MIN : ReduceOp.AVG;
                    Tensor in = tensor(input(dtype, rank, n, count));
                    Tensor mine = pg.reduceScatter(in, rsOp);
                    ChunkPlan plan = new ChunkPlan(count, n);
                    check("reduceScatter " + rsOp, dtype, rsOp, n, rank, count, mine.data().storage().array(),
                            mine.data().offset(), plan.offset(rank), plan.length(rank));
                    assertArrayEquals(toLongs(input(dtype, rank, n, count)), toLongs(in.data().storage().array()),
                            "reduceScatter modified its input");
                    if ((long) count * n * Elements.byteSize(dtype) <= GATHER_BYTES_LIMIT) {
                        List<Tensor> all = pg.allGather(tensor(input(dtype, rank, n, count)));
                        for (int r = 0; r < n; r++) {
                            NDArray got = all.get(r).data();
                            long[] want = toLongs(input(dtype, r, n, count));
                            long[] have = toLongs(got.storage().array());
                            assertArrayEquals(want, Arrays.copyOfRange(have, got.offset(), got.offset() + count),
                                    "allGather block " + r + " on rank " + rank + ", " + count + " elements");
                        }
                    }
                    int root = n - 1;
                    Tensor b = tensor(input(dtype, rank, n, count));
                    pg.broadcast(b, root);
                    assertArrayEquals(toLongs(input(dtype, root, n, count)), toLongs(b.data().storage().array()),
                            "broadcast from " + root + " on rank " + rank + ", " + count + " elements");
                    pg.barrier();
                }
            }
            return null;
        });
    }

    static Tensor tensor(Object array) {
        Storage s = switch (Elements.dtype(array)) {
            case FLOAT32 -> Storage.wrap((float[]) array);
            case FLOAT64 -> Storage.wrap((double[]) array);
            case INT64 -> Storage.wrap((long[]) array);
            case INT32 -> Storage.wrap((int[]) array);
            case BOOL -> Storage.wrap((boolean[]) array);
        };
        int n = Elements.length(array);
        return Tensor.wrap(new NDArray(s, new int[] {n}, new int[] {1}, 0));
    }

    static Object input(DType dtype, int rank, int n, int count) {
        Object a = io.torus.tensor.Storage.newArray(dtype, count);
        for (int i = 0; i < count; i++) {
            int v = (rank + i) % n + 1 + 8 * (i % 4);
            switch (dtype) {
                case FLOAT32 -> ((float[]) a)[i] = v;
                case FLOAT64 -> ((double[]) a)[i] = v;
                case INT64 -> ((long[]) a)[i] = v;
                case INT32 -> ((int[]) a)[i] = v;
                case BOOL -> ((boolean[]) a)[i] = i % 3 == 0 || (i % 3 == 2 && (rank + i) % n == 0);
            }
        }
        return a;
    }

    /** The closed-form answer at element i, as a long (bools as 0/1; floats are exact integers or halves x 2). */
    static double expected(DType dtype, ReduceOp op, int n, int i) {
        if (dtype == DType.BOOL) {
            return switch (i % 3) {
                case 0 -> 1;
                case 1 -> 0;
                default -> op == ReduceOp.MIN ? (n == 1 ? 1 : 0) : 1;
            };
        }
        int base = 8 * (i % 4);
        boolean integer = dtype == DType.INT32 || dtype == DType.INT64;
        return switch (op) {
            case SUM -> n * (n + 1) / 2 + n * base;
            case AVG -> integer ? (n + 1) / 2 + base : (n + 1) / 2.0 + base;
            case MAX -> n + base;
            case MIN -> 1 + base;
        };
    }

    private static void check(String what, DType dtype, ReduceOp op, int n, int rank, int count, Object actual,
                              int at, int first, int length) {
        for (int k = 0; k < length; k++) {
            double want = expected(dtype, op, n, first + k);
            double have = switch (dtype) {
                case FLOAT32 -> ((float[]) actual)[at + k];
                case FLOAT64 -> ((double[]) actual)[at + k];
                case INT64 -> ((long[]) actual)[at + k];
                case INT32 -> ((int[]) actual)[at + k];
                case BOOL -> ((boolean[]) actual)[at + k] ? 1 : 0;
            };
            if (have != want) {
                fail(what + " of " + dtype + " over " + n + " ranks, " + count + " elements: rank " + rank + " element "
                        + (first + k) + " is " + have + ", expected " + want);
            }
        }
    }

    /** Any element array as longs (exact for these inputs), for assertArrayEquals. */
    static long[] toLongs(Object array) {
        int n = Elements.length(array);
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = switch (Elements.dtype(array)) {
                case FLOAT32 -> Double.doubleToLongBits(((float[]) array)[i]);
                case FLOAT64 -> Double.doubleToLongBits(((double[]) array)[i]);
                case INT64 -> ((long[]) array)[i];
                case INT32 -> ((int[]) array)[i];
                case BOOL -> ((boolean[]) array)[i] ? 1 : 0;
            };
        }
        return out;
    }

}
