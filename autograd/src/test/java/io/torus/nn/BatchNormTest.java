package io.torus.nn;

import io.torus.autograd.Tensor;
import io.torus.tensor.DType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Batch norm against statistics worked by hand. The two batches used throughout, features in columns:
 * <pre>
 * step 1: [[1, 2], [3, 4], [5, 4], [7, 10]]  means [4, 5]  biased vars [5, 9]  unbiased [20/3, 12]
 * step 2: [[0, 1], [2, 1], [4, 1], [6, 5]]   means [3, 2]  biased vars [5, 3]  unbiased [20/3, 4]
 * </pre>
 * so with momentum 0.1, from running mean 0 and running variance 1:
 * <pre>
 * after step 1: mean 0.1·[4, 5] = [0.4, 0.5];  var 0.9 + 0.1·[20/3, 12] = [1.5667, 2.1]
 * after step 2: mean 0.9·[0.4, 0.5] + 0.1·[3, 2] = [0.66, 0.65];  var 0.9·[1.5667, 2.1] + 0.1·[20/3, 4] = [2.0767, 2.29]
 * </pre>
 */
class BatchNormTest {
    private static final double EPS = 1e-5;

    private static Tensor step1() {
        return Tensor.of(new float[][] {{1, 2}, {3, 4}, {5, 4}, {7, 10}});
    }

    private static Tensor step2() {
        return Tensor.of(new float[][] {{0, 1}, {2, 1}, {4, 1}, {6, 5}});
    }

    @Test
    void batchNorm1d_trainNormalisesWithBiasedBatchVariance() {
        BatchNorm1d bn = new BatchNorm1d(2);
        bn.weight().setData(new float[] {2, 0.5f});
        bn.bias().setData(new float[] {1, -1});
        Tensor y = bn.call(step1());
        double s0 = Math.sqrt(5 + EPS);
        double s1 = Math.sqrt(9 + EPS);
        float[] expected = new float[8];
        float[][] x = {{1, 2}, {3, 4}, {5, 4}, {7, 10}};
        for (int i = 0; i < 4; i++) {
            expected[2 * i] = (float) (2 * (x[i][0] - 4) / s0 + 1);
            expected[2 * i + 1] = (float) (0.5 * (x[i][1] - 5) / s1 - 1);
        }
        assertArrayEquals(expected, y.toFloatArray(), 1e-5f);
    }

    @Test
    void batchNorm1d_runningStatsAfterTwoStepsUseUnbiasedVariance() {
        BatchNorm1d bn = new BatchNorm1d(2);
        bn.call(step1());
        assertArrayEquals(new float[] {0.4f, 0.5f}, bn.runningMean().toFloatArray(), 1e-6f);
        assertArrayEquals(new float[] {0.9f + 2f / 3, 2.1f}, bn.runningVar().toFloatArray(), 1e-6f);
        bn.call(step2());
        assertArrayEquals(new float[] {0.66f, 0.65f}, bn.runningMean().toFloatArray(), 1e-6f);
        double var0 = 0.9 * (0.9 + 2.0 / 3) + 0.1 * 20.0 / 3;
        assertArrayEquals(new float[] {(float) var0, 2.29f}, bn.runningVar().toFloatArray(), 1e-6f);
        assertEquals(2, bn.numBatchesTracked().item());
        assertEquals(DType.INT64, bn.numBatchesTracked().dtype());
        assertEquals(0, bn.numBatchesTracked().dim());

        bn.eval();
        Tensor y = bn.call(Tensor.of(new float[][] {{1.66f, 0.65f + (float) Math.sqrt(2.29 + EPS)}}));
        assertArrayEquals(new float[] {(float) (1 / Math.sqrt(var0 + EPS)), 1f}, y.toFloatArray(), 1e-5f);
        assertEquals(2, bn.numBatchesTracked().item(), "evaluation leaves the statistics alone");
        assertArrayEquals(new float[] {0.66f, 0.65f}, bn.runningMean().toFloatArray(), 1e-6f);
    }

    @Test
    void batchNorm1d_threeDimInputNormalisesOverBatchAndLength() {
        // [N=2, C=1, L=2]: channel 0 holds 1, 3, 5, 7 -> mean 4, biased var 5
        BatchNorm1d bn = new BatchNorm1d(1);
        Tensor y = bn.call(Tensor.of(new float[] {1, 3, 5, 7}, 2, 1, 2));
        double s = Math.sqrt(5 + EPS);
        assertArrayEquals(new float[] {(float) (-3 / s), (float) (-1 / s), (float) (1 / s), (float) (3 / s)}, y.toFloatArray(), 1e-5f);
        assertArrayEquals(new float[] {0.1f * 20 / 3 + 0.9f}, bn.runningVar().toFloatArray(), 1e-6f);
    }

    @Test
    void batchNorm2d_statisticsPerChannelOverBatchHeightWidth() {
        // [N=2, C=2, H=2, W=2]: channel 0 holds 1..8 (mean 4.5, biased var 5.25, unbiased 6), channel 1 all 3 (var 0)
        float[] data = {1, 2, 3, 4, 3, 3, 3, 3, 5, 6, 7, 8, 3, 3, 3, 3};
        BatchNorm2d bn = new BatchNorm2d(2);
        Tensor y = bn.call(Tensor.of(data, 2, 2, 2, 2));
        double s = Math.sqrt(5.25 + EPS);
        float[] out = y.toFloatArray();
        for (int n = 0; n < 2; n++) {
            for (int k = 0; k < 4; k++) {
                assertEquals((float) ((data[n * 8 + k] - 4.5) / s), out[n * 8 + k], 1e-5f);
                assertEquals(0f, out[n * 8 + 4 + k], 1e-6f, "a constant channel normalises to zero");
            }
        }
        assertArrayEquals(new float[] {0.45f, 0.3f}, bn.runningMean().toFloatArray(), 1e-6f);
        assertArrayEquals(new float[] {1.5f, 0.9f}, bn.runningVar().toFloatArray(), 1e-6f);
    }

    @Test
    void batchNorm_backwardThroughBatchStatistics() {
        // with weight 1 and bias 0 the outputs of each channel sum to zero whatever x is, so d(sum y)/dx = 0;
        // y² summed per channel is n·var/(var+eps) ≈ n, also nearly constant
        BatchNorm1d bn = new BatchNorm1d(2);
        Tensor x = step1().requiresGrad_(true);
        bn.call(x).sum().backward();
        assertArrayEquals(new float[8], x.grad().toFloatArray(), 1e-5f);
        assertArrayEquals(new float[] {0, 0}, bn.weight().grad().toFloatArray(), 1e-5f);
        assertArrayEquals(new float[] {4, 4}, bn.bias().grad().toFloatArray(), 1e-6f);
    }

    @Test
    void batchNorm_withoutRunningStatsUsesBatchStatisticsInEval() {
        BatchNorm1d bn = new BatchNorm1d(2, 1e-5, 0.1, false, false);
        assertEquals(Map.of(), bn.stateDict());
        assertNull(bn.runningMean());
        bn.eval();
        Tensor y = bn.call(step1());
        assertEquals(-3 / Math.sqrt(5 + EPS), y.toFloatArray()[0], 1e-5);
    }

    @Test
    void batchNorm_momentumAndEpsAreHonoured() {
        BatchNorm1d bn = new BatchNorm1d(2, 0.5, 1.0, true, true);
        Tensor y = bn.call(step1());
        assertEquals(-3 / Math.sqrt(5.5), y.toFloatArray()[0], 1e-5);
        assertArrayEquals(new float[] {4, 5}, bn.runningMean().toFloatArray(), 1e-6f, "momentum 1 keeps only the last batch");
    }

    @Test
    void batchNorm_errorsNameTheShape() {
        IllegalArgumentException oneValue = assertThrows(IllegalArgumentException.class,
                () -> new BatchNorm1d(3).call(Tensor.ones(1, 3)));
        assertTrue(oneValue.getMessage().contains("more than 1 value per channel") && oneValue.getMessage().contains("[1, 3]"),
                oneValue.getMessage());
        IllegalArgumentException rank = assertThrows(IllegalArgumentException.class,
                () -> new BatchNorm2d(3).call(Tensor.ones(2, 3)));
        assertTrue(rank.getMessage().contains("expected 4D input (got 2D input [2, 3])"), rank.getMessage());
        IllegalArgumentException channels = assertThrows(IllegalArgumentException.class,
                () -> new BatchNorm1d(3).call(Tensor.ones(4, 2)));
        assertTrue(channels.getMessage().contains("BatchNorm1d(3)") && channels.getMessage().contains("[4, 2]"), channels.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new BatchNorm1d(0));
        assertThrows(IllegalArgumentException.class, () -> new BatchNorm1d(2, 1e-5, 1.5, true, true));
        // one sample is fine in evaluation mode
        BatchNorm1d eval = new BatchNorm1d(3);
        eval.eval();
        assertArrayEquals(new float[] {1, 1, 1}, eval.call(Tensor.ones(1, 3)).toFloatArray(), 1e-4f);
    }

    @Test
    void loadStateDict_restoresRunningStatisticsAndBatchCount() {
        Sequential a = new Sequential(new Linear(2, 2), new BatchNorm1d(2));
        a.call(step1());
        a.call(step2());
        Sequential b = new Sequential(new Linear(2, 2), new BatchNorm1d(2));
        b.loadStateDict(a.stateDict(), true);
        BatchNorm1d bnB = (BatchNorm1d) b.children().get(1);
        assertArrayEquals(((BatchNorm1d) a.children().get(1)).runningVar().toFloatArray(), bnB.runningVar().toFloatArray());
        assertEquals(2, bnB.numBatchesTracked().item());
        assertEquals(DType.INT64, bnB.numBatchesTracked().dtype());
        a.eval();
        b.eval();
        assertArrayEquals(a.call(step2()).toFloatArray(), b.call(step2()).toFloatArray());

        Map<String, Tensor> partial = new java.util.LinkedHashMap<>(a.stateDict());
        partial.remove("1.num_batches_tracked");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.loadStateDict(partial, true));
        assertTrue(e.getMessage().contains("Missing key(s) in state_dict: [1.num_batches_tracked]"), e.getMessage());
        b.loadStateDict(partial, false);
    }

    @Test
    void resetRunningStats_backToZerosOnesAndZeroCount() {
        BatchNorm2d bn = new BatchNorm2d(2);
        bn.call(Tensor.rand(2, 2, 3, 3));
        bn.resetRunningStats();
        assertArrayEquals(new float[] {0, 0}, bn.runningMean().toFloatArray());
        assertArrayEquals(new float[] {1, 1}, bn.runningVar().toFloatArray());
        assertEquals(0, bn.numBatchesTracked().item());
        assertEquals(List.of("weight", "bias", "running_mean", "running_var", "num_batches_tracked"), List.copyOf(bn.stateDict().keySet()));
    }
}
