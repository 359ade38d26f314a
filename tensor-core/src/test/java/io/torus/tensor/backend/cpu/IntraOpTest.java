package io.torus.tensor.backend.cpu;

import io.torus.tensor.DType;
import io.torus.tensor.Generator;
import io.torus.tensor.NDArray;
import io.torus.tensor.op.BinaryOp;
import io.torus.tensor.op.ReduceOp;
import io.torus.tensor.op.UnaryOp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class IntraOpTest {
    private final int before = IntraOp.threads();

    @AfterEach
    void restore() {
        IntraOp.setThreads(before);
    }

    @Test
    void parallelFor_runsEveryChunkOnce() {
        IntraOp.setThreads(3);
        AtomicIntegerArray seen = new AtomicIntegerArray(100);
        IntraOp.parallelFor(100, seen::incrementAndGet);
        for (int i = 0; i < 100; i++) {
            assertEquals(1, seen.get(i), "chunk " + i);
        }
    }

    @Test
    void parallelFor_propagatesAFailingChunk() {
        IntraOp.setThreads(2);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> IntraOp.parallelFor(10, c -> {
            if (c == 7) {
                throw new IllegalStateException("chunk 7 failed");
            }
        }));
        assertEquals("chunk 7 failed", e.getMessage());
    }

    @Test
    void parallelFor_nestedCallsRunInline() {
        IntraOp.setThreads(2);
        AtomicIntegerArray seen = new AtomicIntegerArray(16);
        IntraOp.parallelFor(4, outer -> IntraOp.parallelFor(4, inner -> seen.incrementAndGet(outer * 4 + inner)));
        for (int i = 0; i < 16; i++) {
            assertEquals(1, seen.get(i));
        }
    }

    @Test
    void setThreads_rejectsZero() {
        assertThrows(IllegalArgumentException.class, () -> IntraOp.setThreads(0));
    }

    /** Note [Fixed chunks]: large sums, reductions and elementwise ops give the same bits with 1 or 3 threads. */
    @Test
    void kernels_sameBitsWithAnyThreadCount() {
        Generator g = new Generator(11);
        for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            NDArray x = NDArray.uniform(g, -1, 1, dt, 300, 1001);
            NDArray y = NDArray.uniform(g, -1, 1, dt, 1001);
            assertSameAcrossThreads(x::sum, dt + " sum");
            assertSameAcrossThreads(() -> x.reduce(ReduceOp.SUM, new int[] {1}, false), dt + " row sums");
            assertSameAcrossThreads(() -> x.reduce(ReduceOp.SUM, new int[] {0}, false), dt + " column sums");
            assertSameAcrossThreads(() -> x.reduce(ReduceOp.MAX, new int[0], false), dt + " max");
            assertSameAcrossThreads(() -> x.binary(BinaryOp.MUL, y), dt + " bias-row mul");
            assertSameAcrossThreads(() -> x.unary(UnaryOp.TANH), dt + " tanh");
        }
    }

    /**
     * OpenBLAS partitions a product differently for different thread counts (so its bits may
     * change with the count, unlike the Java kernels: see GemmTest), but repeats itself at a fixed count.
     */
    @Test
    void matmul_repeatableAtAFixedThreadCount() {
        Generator g = new Generator(12);
        NDArray x = NDArray.uniform(g, -1, 1, DType.FLOAT32, 300, 1001);
        NDArray w = NDArray.uniform(g, -1, 1, DType.FLOAT32, 64, 1001).transpose(0, 1);
        IntraOp.setThreads(2);
        float[] first = x.matmul(w).toFloatArray();
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(first, x.matmul(w).toFloatArray(), 0f);
        }
    }

    private static void assertSameAcrossThreads(Supplier<NDArray> op, String what) {
        IntraOp.setThreads(1);
        double[] one = op.get().toDoubleArray();
        IntraOp.setThreads(3);
        double[] three = op.get().toDoubleArray();
        assertArrayEquals(one, three, 0.0, what);
    }
}
