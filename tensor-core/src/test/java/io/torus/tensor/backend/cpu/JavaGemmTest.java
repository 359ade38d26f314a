package io.torus.tensor.backend.cpu;

import io.torus.tensor.DType;
import io.torus.tensor.Generator;
import io.torus.tensor.NDArray;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** The pure-Java fallback must agree with native BLAS on the layouts the backend hands it. */
class JavaGemmTest {

    @Test
    void gemm_matchesNativeBlasOnPlainAndTransposedOperands() {
        Generator g = new Generator(3);
        NDArray a = NDArray.uniform(g, -1, 1, DType.FLOAT32, 33, 17);
        NDArray b = NDArray.uniform(g, -1, 1, DType.FLOAT32, 29, 17).transpose(0, 1);
        NDArray viaBlas = a.matmul(b);
        NDArray viaJava = NDArray.empty(DType.FLOAT32, 33, 29);
        JavaGemm.gemm(a, b, viaJava, 33, 29, 17);
        assertArrayEquals(viaBlas.toFloatArray(), viaJava.toFloatArray(), 1e-5f);
    }

    @Test
    void gemm_float64() {
        Generator g = new Generator(4);
        NDArray a = NDArray.uniform(g, -1, 1, DType.FLOAT64, 5, 6);
        NDArray b = NDArray.uniform(g, -1, 1, DType.FLOAT64, 6, 7);
        NDArray viaJava = NDArray.empty(DType.FLOAT64, 5, 7);
        JavaGemm.gemm(a, b, viaJava, 5, 7, 6);
        assertArrayEquals(a.matmul(b).toDoubleArray(), viaJava.toDoubleArray(), 1e-12);
    }
}
