package io.torus.tensor.backend.cpu;

import io.torus.tensor.DType;
import io.torus.tensor.Generator;
import io.torus.tensor.NDArray;
import io.torus.tensor.op.Conv2dParams;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The workspace without native BLAS (Java loops) and the one that stages operands in native memory
 * must agree with the default one (pinned OpenBLAS where the library is built).
 */
class CpuConvolutionTest {

    @Test
    void javaFallback_matchesNativeBlasInBothLayoutsAndDtypes() {
        assertAgreesWithDefault(ConvWorkspace.Gemm.JAVA);
    }

    @Test
    void stagedOperands_matchDefaultInBothLayoutsAndDtypes() {
        assertAgreesWithDefault(ConvWorkspace.Gemm.STAGED);
    }

    private static void assertAgreesWithDefault(ConvWorkspace.Gemm gemm) {
        assertTrue(OpenBlas.available(), "this test compares against native OpenBLAS");
        for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            // wide columns with padding, compact columns (stride 2, dilation), wide without padding
            for (Conv2dParams p : new Conv2dParams[] {Conv2dParams.of(1, 1), Conv2dParams.of(2, 1, 2), Conv2dParams.of(1, 0)}) {
                Generator g = new Generator(21);
                NDArray x = NDArray.uniform(g, -1, 1, dt, 3, 2, 9, 8);
                NDArray w = NDArray.uniform(g, -1, 1, dt, 4, 2, 3, 2);
                NDArray b = NDArray.uniform(g, -1, 1, dt, 4);
                NDArray viaBlas = x.conv2d(w, b, p);
                NDArray gradOut = NDArray.uniform(g, -1, 1, dt, viaBlas.shape());
                NDArray[] gradsBlas = gradOut.conv2dBackward(x, w, p, true, true, true);

                ConvWorkspace ws = new ConvWorkspace(dt, gemm);
                NDArray out = NDArray.empty(dt, viaBlas.shape());
                CpuConvolution.forward(ws, x, w, b, p, out);
                NDArray dx = NDArray.empty(dt, x.shape());
                CpuConvolution.backwardInput(ws, gradOut, w, p, dx);
                NDArray dw = NDArray.empty(dt, w.shape());
                NDArray db = NDArray.empty(dt, 4);
                CpuConvolution.backwardWeight(ws, gradOut, x, p, dw, db);

                double tol = dt == DType.FLOAT32 ? 1e-5 : 1e-12;
                assertArrayEquals(viaBlas.toDoubleArray(), out.toDoubleArray(), tol, gemm + " " + dt + " " + p);
                assertArrayEquals(gradsBlas[0].toDoubleArray(), dx.toDoubleArray(), tol, gemm + " " + dt + " " + p);
                assertArrayEquals(gradsBlas[1].toDoubleArray(), dw.toDoubleArray(), tol, gemm + " " + dt + " " + p);
                assertArrayEquals(gradsBlas[2].toDoubleArray(), db.toDoubleArray(), tol, gemm + " " + dt + " " + p);
            }
        }
    }
}
