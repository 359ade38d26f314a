package io.torus.tensor.backend.cuda;

import io.torus.tensor.DType;

/** Element sizes and kernel-name suffixes of the dtypes on the device (BOOL is one byte, 0 or 1). */
final class CudaTypes {
    private CudaTypes() {
    }

    static int size(DType dt) {
        return switch (dt) {
            case FLOAT32, INT32 -> 4;
            case FLOAT64, INT64 -> 8;
            case BOOL -> 1;
        };
    }

    /** The suffix of the kernels instantiated for {@code dt} (TORUS_FOR_ALL in torus_cuda.cuh). */
    static String suffix(DType dt) {
        return switch (dt) {
            case FLOAT32 -> "f32";
            case FLOAT64 -> "f64";
            case INT64 -> "i64";
            case INT32 -> "i32";
            case BOOL -> "b8";
        };
    }

    /** {@code v} boxed as the kernel parameter type of {@code dt} (float, double, long long, int, unsigned char). */
    static Object scalar(DType dt, double v) {
        return switch (dt) {
            case FLOAT32 -> (float) v;
            case FLOAT64 -> v;
            case INT64 -> (long) v;
            case INT32 -> (int) v;
            case BOOL -> (byte) (v != 0 ? 1 : 0);
        };
    }
}
