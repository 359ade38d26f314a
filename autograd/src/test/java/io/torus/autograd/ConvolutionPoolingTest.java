package io.torus.autograd;

import io.torus.nn.F;
import io.torus.tensor.DType;
import io.torus.tensor.Generator;
import io.torus.tensor.NDArray;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** conv2d, maxPool2d and avgPool2d as recorded ops: names, saved tensors, which gradients are computed. */
class ConvolutionPoolingTest {

    private static Tensor uniform(long seed, DType dtype, int... shape) {
        return Tensor.wrap(NDArray.uniform(new Generator(seed), -1, 1, dtype, shape));
    }

    @Test
    void gradFn_namesAreTorchs() {
        Tensor x = uniform(1, DType.FLOAT32, 1, 1, 6, 6).requiresGrad_(true);
        Tensor w = uniform(2, DType.FLOAT32, 2, 1, 3, 3).requiresGrad_(true);
        Tensor y = x.conv2d(w, null);
        assertEquals("ConvolutionBackward0", y.gradFn().name());
        assertNull(y.gradFn().nextFunctions().get(2), "no bias, no edge");
        assertEquals("MaxPool2DWithIndicesBackward0", y.maxPool2d(2).gradFn().name());
        assertEquals("AvgPool2DBackward0", y.avgPool2d(2).gradFn().name());
        assertTrue(y.maxPool2d(2).toString().contains("grad_fn=<MaxPool2DWithIndicesBackward0>"));
    }

    @Test
    void backward_lenetShapesInFloat32MatchFloat64() {
        Tensor[] grads32 = lenetGrads(DType.FLOAT32);
        Tensor[] grads64 = lenetGrads(DType.FLOAT64);
        for (int i = 0; i < grads32.length; i++) {
            assertEquals(DType.FLOAT32, grads32[i].dtype());
            assertArrayEquals(grads64[i].shape(), grads32[i].shape());
            assertArrayEquals(grads64[i].toDoubleArray(), grads32[i].to(DType.FLOAT64).toDoubleArray(), 1e-4, "parameter " + i);
        }
    }

    /** LeNet's feature extractor on a batch of 4: conv 1->6 5x5, pool 2, conv 6->16 5x5, pool 2. */
    private static Tensor[] lenetGrads(DType dt) {
        Tensor x = uniform(1, dt, 4, 1, 28, 28);
        Tensor w1 = uniform(2, dt, 6, 1, 5, 5).mul(0.2).requiresGrad_(true);
        Tensor b1 = uniform(3, dt, 6).requiresGrad_(true);
        Tensor w2 = uniform(4, dt, 16, 6, 5, 5).mul(0.1).requiresGrad_(true);
        Tensor b2 = uniform(5, dt, 16).requiresGrad_(true);
        Tensor h = F.maxPool2d(F.conv2d(x, w1, b1).relu(), 2);
        Tensor out = F.maxPool2d(F.conv2d(h, w2, b2).relu(), 2);
        assertArrayEquals(new int[] {4, 16, 4, 4}, out.shape());
        out.pow(2).sum().backward();
        assertNull(x.grad());
        return new Tensor[] {w1.grad(), b1.grad(), w2.grad(), b2.grad()};
    }

    @Test
    void backward_computesOnlyTheGradientsAsked() {
        Tensor x = uniform(1, DType.FLOAT64, 2, 2, 5, 5).requiresGrad_(true);
        Tensor w = uniform(2, DType.FLOAT64, 3, 2, 3, 3);
        Tensor b = uniform(3, DType.FLOAT64, 3).requiresGrad_(true);
        x.conv2d(w, b, 1, 1).sum().backward();
        assertNull(w.grad());
        assertArrayEquals(new int[] {2, 2, 5, 5}, x.grad().shape());
        assertArrayEquals(new double[] {50, 50, 50}, b.grad().toDoubleArray(), 1e-12); // 2 samples x 5 x 5 positions
        Tensor frozen = uniform(4, DType.FLOAT64, 2, 2, 5, 5);
        Tensor b2 = uniform(5, DType.FLOAT64, 3).requiresGrad_(true);
        frozen.conv2d(w, b2, 2, 0).sum().backward();
        assertArrayEquals(new double[] {8, 8, 8}, b2.grad().toDoubleArray(), 1e-12); // 2 samples x 2 x 2 positions
    }

    @Test
    void backward_weightModifiedInPlaceAfterForwardThrowsWithVersions() {
        Tensor x = uniform(1, DType.FLOAT32, 1, 1, 4, 4).requiresGrad_(true);
        Tensor w = uniform(2, DType.FLOAT32, 1, 1, 2, 2).requiresGrad_(true);
        Tensor y = x.conv2d(w, null).sum();
        try (GradMode.Scope s = GradMode.noGrad()) {
            w.add_(1);
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
        assertTrue(e.getMessage().contains("saved by ConvolutionBackward0, is at version 1; expected version 0"), e.getMessage());
    }

    @Test
    void pooling_gradientsAccumulateOverTwoBackwards() {
        Tensor x = Tensor.of(new float[] {1, 5, 2, 0, 3, 4, 8, 1, 0, 2, 7, 6, 9, 1, 3, 5}, 1, 1, 4, 4).requiresGrad_(true);
        x.maxPool2d(2).sum().backward();
        x.avgPool2d(2).sum().backward();
        float[] expected = new float[16];
        Arrays.fill(expected, 0.25f);
        for (int i : new int[] {1, 6, 12, 10}) {
            expected[i] += 1;
        }
        assertArrayEquals(expected, x.grad().toFloatArray());
    }
}
