package io.torus.comm.algo;

import io.torus.comm.ReduceOp;
import io.torus.comm.testing.Ranks;
import io.torus.comm.transport.Elements;
import io.torus.comm.transport.Fold;
import io.torus.comm.transport.Tag;
import io.torus.comm.transport.Transport;
import io.torus.comm.transport.shm.ShmTransport;
import io.torus.tensor.DType;
import io.torus.tensor.Storage;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * {@link Transport#receiveReduce} and {@link Transport#receiveReduceSend}: the shared-memory
 * transport's fused folds (straight out of the mapped ring, and into the next rank's ring) against
 * the interface's defaults (receive into scratch, then fold, then send) and against the path ring
 * all-reduce took before (receive, then {@link Reductions#accumulate}), bit for bit, for every
 * dtype and op, on messages that span several fragments and wrap around a small ring.
 */
class ReceiveReduceTest {
    /** Odd, so vector loops have tails; more than the 64 KiB ring for 4- and 8-byte types, two 16 KiB fragments for BOOL. */
    private static final int LENGTH = 20_011;
    private static final int AT = 3;

    @TempDir
    Path dir;

    static Stream<Arguments> cases() {
        return Arrays.stream(DType.values()).flatMap(d -> Arrays.stream(ReduceOp.values())
                .filter(op -> !(d == DType.BOOL && op == ReduceOp.AVG)).map(op -> Arguments.of(d, op)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void receiveReduce_shmFusedFold_matchesDefaultAndReceiveThenAccumulateBitForBit(DType dtype, ReduceOp op) {
        String key = UUID.randomUUID().toString().replace("-", "");
        ShmTransport.Options options = ShmTransport.Options.defaults().withDirectory(dir).withRingBytes(64 << 10);
        List<ShmTransport> ts = Ranks.run(2, rank -> ShmTransport.connect(rank, 2, key, options));
        try {
            Object incoming = values(dtype, 1);
            Object base = values(dtype, 2);
            List<long[][]> got = Ranks.run(2, rank -> {
                ShmTransport t = ts.get(rank);
                // Several rounds, so that records start at different places and some wrap the ring.
                long[][] results = new long[9][];
                for (int round = 0; round < 3; round++) {
                    if (rank == 0) {
                        for (int m = 0; m < 3; m++) {
                            t.send(1, new Tag(round, m), incoming, 0, LENGTH);
                        }
                        continue;
                    }
                    Object fused = copyOf(base);
                    Object viaDefault = copyOf(base);
                    Object before = copyOf(base);
                    Fold fold = Reductions.fold(op);
                    // A null scratch: the fused override must not need it.
                    t.receiveReduce(0, new Tag(round, 0), fused, AT, LENGTH, fold, null);
                    defaultOnly(t).receiveReduce(0, new Tag(round, 1), viaDefault, AT, LENGTH, fold,
                            Storage.newArray(dtype, LENGTH));
                    Object scratch = Storage.newArray(dtype, LENGTH);
                    t.receive(0, new Tag(round, 2), scratch, 0, LENGTH);
                    Reductions.accumulate(op, before, AT, scratch, 0, LENGTH);
                    results[3 * round] = bits(fused);
                    results[3 * round + 1] = bits(viaDefault);
                    results[3 * round + 2] = bits(before);
                }
                return results;
            });
            long[][] r = got.get(1);
            long[] untouched = bits(base);
            for (int k = 0; k < 9; k += 3) {
                assertArrayEquals(r[k + 2], r[k], "fused fold vs receive + accumulate, round " + k / 3);
                assertArrayEquals(r[k + 2], r[k + 1], "default receiveReduce vs receive + accumulate, round " + k / 3);
                assertArrayEquals(Arrays.copyOf(untouched, AT), Arrays.copyOf(r[k], AT), "elements before the slice");
            }
        } finally {
            ts.forEach(ShmTransport::close);
        }
    }

    static Stream<Arguments> sendCases() {
        return cases().flatMap(a -> Stream.of(false, true).map(late -> Arguments.of(a.get()[0], a.get()[1], late)));
    }

    /**
     * {@link Transport#receiveReduceSend} over three shm ranks: rank 1 folds what rank 0 sends with
     * its own values straight into the ring to rank 2 (fused) and once through the interface's
     * default (receiveReduce, then send); rank 2 must receive the same bits as receive + accumulate
     * give. With {@code receiverLate} rank 2 starts receiving only after rank 1 is done, and rank 1
     * may wait for room for no time at all, so the fused path falls back to folding into its array
     * and spilling, and the spilled rest must still arrive in order.
     */
    @ParameterizedTest(name = "{0} {1}, receiver late {2}")
    @MethodSource("sendCases")
    void receiveReduceSend_shmFoldsIntoTheNextRing_matchesReceiveThenAccumulateBitForBit(DType dtype, ReduceOp op,
                                                                                           boolean receiverLate) {
        String key = UUID.randomUUID().toString().replace("-", "");
        ShmTransport.Options options = ShmTransport.Options.defaults().withDirectory(dir).withRingBytes(64 << 10)
                .withSpillAfter(receiverLate ? java.time.Duration.ZERO : java.time.Duration.ofSeconds(30));
        List<ShmTransport> ts = Ranks.run(3, rank -> ShmTransport.connect(rank, 3, key, options));
        java.util.concurrent.CountDownLatch senderDone = new java.util.concurrent.CountDownLatch(1);
        try {
            Object incoming = values(dtype, 1);
            Object base = values(dtype, 2);
            List<long[][]> got = Ranks.run(3, rank -> {
                ShmTransport t = ts.get(rank);
                long[][] results = new long[4][];
                for (int round = 0; round < 2; round++) {
                    if (rank == 0) {
                        t.send(1, new Tag(round, 2), incoming, 0, LENGTH);
                        t.send(1, new Tag(round, 0), incoming, 0, LENGTH);
                        t.send(1, new Tag(round, 1), incoming, 0, LENGTH);
                    } else if (rank == 1) {
                        Fold fold = Reductions.fold(op);
                        // One fold serves a collective's every step: receiveReduce first, as the ring does.
                        t.receiveReduce(0, new Tag(round, 2), copyOf(base), AT, LENGTH, fold, null);
                        t.receiveReduceSend(0, new Tag(round, 0), copyOf(base), AT, LENGTH, fold, null, 2,
                                new Tag(round, 10));
                        defaultOnly(t).receiveReduceSend(0, new Tag(round, 1), copyOf(base), AT, LENGTH, fold,
                                Storage.newArray(dtype, LENGTH), 2, new Tag(round, 11));
                        if (round == 1) {
                            senderDone.countDown();
                        }
                    } else {
                        if (receiverLate && round == 0) {
                            senderDone.await();
                        }
                        Object fused = Storage.newArray(dtype, LENGTH);
                        Object viaDefault = Storage.newArray(dtype, LENGTH);
                        t.receive(1, new Tag(round, 10), fused, 0, LENGTH);
                        t.receive(1, new Tag(round, 11), viaDefault, 0, LENGTH);
                        results[2 * round] = bits(fused);
                        results[2 * round + 1] = bits(viaDefault);
                    }
                }
                return results;
            });
            Object want = copyOf(base);
            Reductions.accumulate(op, want, AT, incoming, 0, LENGTH);
            long[] wantBits = Arrays.copyOfRange(bits(want), AT, AT + LENGTH);
            long[][] r = got.get(2);
            for (int k = 0; k < 4; k += 2) {
                assertArrayEquals(wantBits, r[k], "fused receiveReduceSend vs receive + accumulate, round " + k / 2);
                assertArrayEquals(wantBits, r[k + 1], "default receiveReduceSend vs receive + accumulate, round " + k / 2);
            }
        } finally {
            ts.forEach(ShmTransport::close);
        }
    }

    /** A view of {@code t} that only has the interface's default receiveReduce. */
    private static Transport defaultOnly(Transport t) {
        return new Transport() {
            @Override
            public int rank() {
                return t.rank();
            }

            @Override
            public int worldSize() {
                return t.worldSize();
            }

            @Override
            public void send(int peer, Tag tag, Object src, int offset, int length) {
                t.send(peer, tag, src, offset, length);
            }

            @Override
            public void receive(int peer, Tag tag, Object dst, int offset, int length) {
                t.receive(peer, tag, dst, offset, length);
            }

            @Override
            public void abort(int culpritRank, String reason) {
                t.abort(culpritRank, reason);
            }

            @Override
            public void close() {
                t.close();
            }
        };
    }

    /** LENGTH + AT + 5 elements (seeded) with signed zeros, infinities, NaN and overflow-prone values mixed in. */
    /**
     * The shared windows' last fold of a chunk: {@link Reductions#foldFinishWrite} in one pass
     * against fold, finish and write one after the other, bit for bit in both the array and the
     * window, for every dtype and op, 2 and 3 ranks (AVG divides by either), a big-endian and a
     * little-endian window, at unaligned byte offsets.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void foldFinishWrite_matchesFoldThenFinishThenWriteBitForBit(DType dtype, ReduceOp op) {
        int size = Elements.byteSize(dtype);
        Object incoming = values(dtype, 3);
        for (int worldSize : new int[] {2, 3}) {
            for (java.nio.ByteOrder order : List.of(java.nio.ByteOrder.BIG_ENDIAN, java.nio.ByteOrder.LITTLE_ENDIAN)) {
                java.nio.ByteBuffer in = java.nio.ByteBuffer.allocateDirect((LENGTH + 8) * size + 16).order(order);
                Elements.write(incoming, 0, LENGTH, in.duplicate().position(4));
                java.nio.ByteBuffer fusedOut = java.nio.ByteBuffer.allocateDirect(in.capacity()).order(order);
                java.nio.ByteBuffer stepsOut = java.nio.ByteBuffer.allocateDirect(in.capacity()).order(order);
                Object fused = values(dtype, 4);
                Object steps = copyOf(fused);
                Fold fold = Reductions.fold(op);
                Reductions.foldFinishWrite(fold, op, worldSize, fused, AT, in, 4, fusedOut, 8, LENGTH);
                fold.fold(steps, AT, in, 4, LENGTH);
                Reductions.finish(op, steps, AT, LENGTH, worldSize);
                Elements.write(steps, AT, LENGTH, stepsOut.duplicate().position(8));
                String where = dtype + " " + op + ", " + worldSize + " ranks, " + order;
                assertArrayEquals(bits(steps), bits(fused), where + ": array");
                Object fromFused = Storage.newArray(dtype, LENGTH);
                Object fromSteps = Storage.newArray(dtype, LENGTH);
                Elements.read(fusedOut.duplicate().position(8), fromFused, 0, LENGTH);
                Elements.read(stepsOut.duplicate().position(8), fromSteps, 0, LENGTH);
                assertArrayEquals(bits(fromSteps), bits(fromFused), where + ": window");
                org.junit.jupiter.api.Assertions.assertEquals(0, fusedOut.position(), where + ": out's position moved");
            }
        }
    }

    private static Object values(DType dtype, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int n = LENGTH + AT + 5;
        return switch (dtype) {
            case FLOAT32 -> {
                float[] a = new float[n];
                float[] special = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE};
                for (int i = 0; i < n; i++) {
                    a[i] = i % 17 == 0 ? special[rnd.nextInt(special.length)]
                            : (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(-8, 9)));
                }
                yield a;
            }
            case FLOAT64 -> {
                double[] a = new double[n];
                double[] special = {0d, -0d, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.MIN_VALUE};
                for (int i = 0; i < n; i++) {
                    a[i] = i % 17 == 0 ? special[rnd.nextInt(special.length)]
                            : rnd.nextGaussian() * Math.pow(10, rnd.nextInt(-30, 31));
                }
                yield a;
            }
            case INT64 -> rnd.longs(n).toArray();
            case INT32 -> rnd.ints(n).toArray();
            case BOOL -> {
                boolean[] a = new boolean[n];
                for (int i = 0; i < n; i++) {
                    a[i] = rnd.nextBoolean();
                }
                yield a;
            }
        };
    }

    private static Object copyOf(Object a) {
        return switch (Elements.dtype(a)) {
            case FLOAT32 -> ((float[]) a).clone();
            case FLOAT64 -> ((double[]) a).clone();
            case INT64 -> ((long[]) a).clone();
            case INT32 -> ((int[]) a).clone();
            case BOOL -> ((boolean[]) a).clone();
        };
    }

    /** Every element's raw bits (NaN payloads and the sign of zero included). */
    private static long[] bits(Object a) {
        int n = Elements.length(a);
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = switch (Elements.dtype(a)) {
                case FLOAT32 -> Float.floatToRawIntBits(((float[]) a)[i]);
                case FLOAT64 -> Double.doubleToRawLongBits(((double[]) a)[i]);
                case INT64 -> ((long[]) a)[i];
                case INT32 -> ((int[]) a)[i];
                case BOOL -> ((boolean[]) a)[i] ? 1 : 0;
            };
        }
        return out;
    }
}
