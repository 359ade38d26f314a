package io.torus.launcher.jobs;

import io.torus.autograd.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class ObjectiveTest {
    @Test
    void binaryLogits_lossAndGradient_matchTheSigmoidFormulas() {
        double[] x = {-3, -0.5, 0, 0.7, 2.5};
        double[] y = {0, 1, 1, 0, 1};
        Tensor logits = Tensor.of(new float[] {-3f, -0.5f, 0f, 0.7f, 2.5f}, 5, 1).requiresGrad_(true);
        Tensor labels = Tensor.of(new float[] {0, 1, 1, 0, 1}, 5, 1);
        Tensor loss = Objective.BINARY_LOGITS.loss(logits, labels);
        loss.backward();
        double expected = 0;
        float[] grad = new float[5];
        for (int i = 0; i < 5; i++) {
            double p = 1 / (1 + Math.exp(-x[i]));
            expected -= (y[i] * Math.log(p) + (1 - y[i]) * Math.log(1 - p)) / 5;
            grad[i] = (float) ((p - y[i]) / 5);
        }
        assertEquals(expected, loss.item(), 1e-6);
        assertArrayEquals(grad, logits.grad().toFloatArray(), 1e-6f);
        // predicted 1 when the logit is > 0: right for -3 (0) and 2.5 (1) only
        assertEquals(2, Objective.BINARY_LOGITS.correct(logits, labels));
    }

    @Test
    void binaryLogits_largeLogits_stayFinite() {
        Tensor loss = Objective.BINARY_LOGITS.loss(Tensor.of(new float[] {-200f, 200f}, 2, 1), Tensor.of(new float[] {1, 0}, 2, 1));
        assertEquals(200, loss.item(), 1e-4);
    }

    @Test
    void crossEntropy_correct_countsArgMaxHits() {
        Tensor logits = Tensor.of(new float[][] {{2, 1, 0}, {0, 3, 1}, {1, 0, 0.5f}});
        assertEquals(2, Objective.CROSS_ENTROPY.correct(logits, Tensor.ofLongs(0, 1, 2)));
        assertEquals(Math.log(Math.exp(2) + Math.exp(1) + 1) - 2, Objective.CROSS_ENTROPY.loss(logits.narrow(0, 0, 1),
                Tensor.ofLongs(0)).item(), 1e-6);
    }
}
