package io.torus.comm.algo;

import io.torus.comm.ReduceOp;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Inputs with a closed-form all-reduce: rank r contributes {@code ((r + i) % n) + 1 + 8 (i % 4)} at
 * element i, so the largest contribution sits on a different rank for each i, and every sum,
 * average, maximum and minimum is exact in float32.
 */
final class ClosedForm {
    private ClosedForm() {
    }

    static float[] input(int rank, int n, int count) {
        float[] data = new float[count];
        for (int i = 0; i < count; i++) {
            data[i] = (rank + i) % n + 1 + 8 * (i % 4);
        }
        return data;
    }

    static float expected(ReduceOp op, int n, int i) {
        float base = 8 * (i % 4);
        return switch (op) {
            case SUM -> n * (n + 1) / 2f + n * base;
            case AVG -> (n + 1) / 2f + base;
            case MAX -> n + base;
            case MIN -> 1 + base;
        };
    }

    static void check(ReduceOp op, int n, int rank, float[] actual) {
        for (int i = 0; i < actual.length; i++) {
            float want = expected(op, n, i);
            if (Float.floatToRawIntBits(actual[i]) != Float.floatToRawIntBits(want)) {
                fail(op + " over " + n + " ranks, " + actual.length + " elements: rank " + rank + " element " + i
                        + " is " + actual[i] + ", expected " + want);
            }
        }
    }
}
