package io.torus.tensor.backend.cpu;

import io.torus.tensor.DType;
import io.torus.tensor.NDArray;

/** The pure-Java matrix product used when native BLAS is unavailable (or for integer dtypes). */
final class JavaGemm {
    private JavaGemm() {
    }

    static void gemm(NDArray a, NDArray b, NDArray c, int m, int n, int k) {
        if (a.dtype() == DType.FLOAT32) {
            float[] x = a.contiguous().toFloatArray();
            float[] y = b.contiguous().toFloatArray();
            float[] z = new float[m * n];
            for (int i = 0; i < m; i++) {
                for (int p = 0; p < k; p++) {
                    float av = x[i * k + p];
                    int yo = p * n;
                    int zo = i * n;
                    for (int j = 0; j < n; j++) {
                        z[zo + j] += av * y[yo + j];
                    }
                }
            }
            c.copy_(NDArray.of(z, m, n));
            return;
        }
        double[] x = a.toDoubleArray();
        double[] y = b.toDoubleArray();
        double[] z = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                double av = x[i * k + p];
                for (int j = 0; j < n; j++) {
                    z[i * n + j] += av * y[p * n + j];
                }
            }
        }
        c.copy_(NDArray.of(z, m, n));
    }
}
