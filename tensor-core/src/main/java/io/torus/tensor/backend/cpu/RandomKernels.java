package io.torus.tensor.backend.cpu;

import io.torus.tensor.DType;
import io.torus.tensor.Generator;
import io.torus.tensor.NDArray;

/**
 * The CPU's random fills, each a direct transcription of the formula in the Backend's Javadoc
 * (Note [Random fills]): element {@code i} in row-major order draws from counter {@code base + i}.
 */
final class RandomKernels {
    private RandomKernels() {
    }

    static void uniform(NDArray out, Generator gen, double low, double high) {
        long n = out.numel();
        long base = gen.reserve(n);
        boolean float32 = out.dtype() == DType.FLOAT32;
        float below = Math.nextDown((float) high);
        for (long i = 0; i < n; i++) {
            double v = low + (high - low) * gen.uniform(base + i);
            if (float32 && (float) v >= (float) high && high > low) {
                v = below; // rounding to float must not reach the excluded upper bound
            }
            out.setDouble(i, v);
        }
    }

    static void bernoulli(NDArray p, NDArray out, Generator gen) {
        long n = out.numel();
        long base = gen.reserve(n);
        for (long i = 0; i < n; i++) {
            out.setDouble(i, gen.uniform(base + i) < p.getDouble(i) ? 1 : 0);
        }
    }

    static void randint(NDArray out, Generator gen, long low, long high) {
        long n = out.numel();
        long base = gen.reserve(n);
        long range = high - low; // read as unsigned: exact even when the difference overflows a long
        boolean int64 = out.dtype() == DType.INT64;
        for (long i = 0; i < n; i++) {
            long v = low + unsignedMultiplyHigh(gen.bits(base + i), range);
            if (int64) {
                out.storage().longs()[out.storageIndex(i)] = v;
            } else {
                out.setDouble(i, v);
            }
        }
    }

    /** The high 64 bits of the unsigned 128-bit product {@code a * b}. */
    static long unsignedMultiplyHigh(long a, long b) {
        return Math.multiplyHigh(a, b) + ((a >> 63) & b) + ((b >> 63) & a);
    }
}
