package io.torus.nn;

import io.torus.autograd.Tensor;
import io.torus.tensor.DType;
import io.torus.tensor.NDArray;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every loss under every reduction against values worked by hand, the edge cases PyTorch defines, and the errors. */
class LossesTest {
    private static final double LN2 = Math.log(2);

    private static Tensor longs(long... v) {
        return Tensor.ofLongs(v);
    }

    private static void assertLoss(Loss loss, Tensor input, Tensor target, float[] none, double sum, double mean) {
        assertEquals(Reduction.MEAN, newDefault(loss).reduction());
        assertArrayEquals(none, reduced(loss, Reduction.NONE).forward(input, target).toFloatArray(), 1e-5f);
        Tensor s = reduced(loss, Reduction.SUM).forward(input, target);
        assertEquals(0, s.dim());
        assertEquals(sum, s.item(), 1e-5);
        assertEquals(mean, reduced(loss, Reduction.MEAN).forward(input, target).item(), 1e-5);
    }

    private static Loss newDefault(Loss like) {
        try {
            return like.getClass().getConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    private static Loss reduced(Loss like, Reduction r) {
        try {
            return like.getClass().getConstructor(Reduction.class).newInstance(r);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void mseLoss_byHand() {
        // differences 0, 2, -2
        assertLoss(new MSELoss(), Tensor.of(1f, 2f, 3f), Tensor.of(1f, 0f, 5f), new float[] {0, 4, 4}, 8, 8.0 / 3);
        assertEquals(8.0 / 3, F.mseLoss(Tensor.of(1f, 2f, 3f), Tensor.of(1f, 0f, 5f)).item(), 1e-6);
    }

    @Test
    void l1Loss_byHandAndZeroGradientAtZero() {
        assertLoss(new L1Loss(), Tensor.of(1f, 2f, 3f), Tensor.of(1f, 0f, 5f), new float[] {0, 2, 2}, 4, 4.0 / 3);
        Tensor x = Tensor.of(1f, 2f, 3f).requiresGrad_(true);
        new L1Loss(Reduction.SUM).forward(x, Tensor.of(1f, 0f, 5f)).backward();
        assertArrayEquals(new float[] {0, 1, -1}, x.grad().toFloatArray());
    }

    @Test
    void regressionLosses_refuseATargetOfAnotherShape() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new MSELoss().forward(Tensor.zeros(4, 1), Tensor.zeros(4)));
        assertTrue(e.getMessage().contains("mseLoss") && e.getMessage().contains("[4]") && e.getMessage().contains("[4, 1]"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new L1Loss().forward(Tensor.zeros(3), Tensor.zeros(2)));
    }

    @Test
    void bceLoss_byHand() {
        float[] none = {(float) -Math.log(0.5), (float) -Math.log(0.9), (float) -Math.log(0.8)};
        double sum = none[0] + none[1] + none[2];
        assertLoss(new BCELoss(), Tensor.of(0.5f, 0.9f, 0.2f), Tensor.of(1f, 1f, 0f), none, sum, sum / 3);
        Tensor weighted = new BCELoss(Tensor.of(2f, 1f, 0f), Reduction.SUM).forward(Tensor.of(0.5f, 0.9f, 0.2f), Tensor.of(1f, 1f, 0f));
        assertEquals(2 * none[0] + none[1], weighted.item(), 1e-5);
    }

    @Test
    void bceLoss_logClampedAtMinus100AndGradientFinite() {
        Tensor x = Tensor.of(0f, 1f, 0f).requiresGrad_(true);
        Tensor loss = new BCELoss(Reduction.NONE).forward(x, Tensor.of(1f, 0f, 0f));
        assertArrayEquals(new float[] {100, 100, 0}, loss.toFloatArray());
        loss.sum().backward();
        for (float g : x.grad().toFloatArray()) {
            assertTrue(Float.isFinite(g), "finite gradient, got " + g);
        }
        assertEquals(-1e12, x.grad().toFloatArray()[0], 1e6); // (x - t) / max(x (1 - x), 1e-12), as PyTorch
        assertEquals(0, x.grad().toFloatArray()[2]);
    }

    @Test
    void bceLoss_refusesProbabilitiesOutsideZeroOne() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new BCELoss().forward(Tensor.of(0.5f, 1.5f), Tensor.of(1f, 0f)));
        assertTrue(e.getMessage().contains("between 0 and 1") && e.getMessage().contains("1.5"), e.getMessage());
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                () -> new BCELoss().forward(Tensor.of(0.5f, 0.5f), Tensor.of(1f)));
        assertTrue(shape.getMessage().contains("target size [1] must be the same as input size [2]"), shape.getMessage());
    }

    @Test
    void bceWithLogits_byHandAndStableForHugeLogits() {
        // t = 1 costs softplus(-x), t = 0 costs softplus(x)
        float[] none = {(float) LN2, (float) Math.log(1 + Math.exp(2)), (float) Math.log(1 + Math.exp(3))};
        double sum = none[0] + none[1] + none[2];
        assertLoss(new BCEWithLogitsLoss(), Tensor.of(0f, 2f, -3f), Tensor.of(1f, 0f, 1f), none, sum, sum / 3);
        Tensor huge = new BCEWithLogitsLoss(Reduction.NONE).forward(Tensor.of(100f, -100f, 100f), Tensor.of(0f, 1f, 1f));
        assertArrayEquals(new float[] {100, 100, 0}, huge.toFloatArray(), 1e-5f);
    }

    @Test
    void bceWithLogits_gradientIsSigmoidMinusTargetAlsoAtZeroLogits() {
        Tensor x = Tensor.of(0f, 0f, 2f).requiresGrad_(true);
        Tensor t = Tensor.of(0.3f, 1f, 0f).requiresGrad_(true);
        new BCEWithLogitsLoss(Reduction.SUM).forward(x, t).backward();
        float s2 = (float) (1 / (1 + Math.exp(-2)));
        assertArrayEquals(new float[] {0.2f, -0.5f, s2}, x.grad().toFloatArray(), 1e-6f);
        assertArrayEquals(new float[] {0f, 0f, -2f}, t.grad().toFloatArray(), 1e-6f); // d/dt = -x
    }

    @Test
    void bceWithLogits_posWeightScalesPositives() {
        Tensor x = Tensor.of(new float[][] {{0f, 0f}}).requiresGrad_(true);
        Tensor loss = new BCEWithLogitsLoss(null, Tensor.of(3f, 1f), Reduction.NONE).forward(x, Tensor.of(new float[][] {{1f, 1f}}));
        assertArrayEquals(new float[] {(float) (3 * LN2), (float) LN2}, loss.toFloatArray(), 1e-6f);
        loss.sum().backward();
        assertArrayEquals(new float[] {-1.5f, -0.5f}, x.grad().toFloatArray(), 1e-6f); // sigmoid(x) lw - pw t
    }

    @Test
    void nllLoss_byHandWithWeightsAndIgnoredTargets() {
        Tensor logp = Tensor.of(new float[][] {{-1, -2, -3}, {-0.5f, -1.5f, -2.5f}});
        assertLoss(new NLLLoss(), logp, longs(2, 0), new float[] {3, 0.5f}, 3.5, 1.75);
        Tensor w = Tensor.of(1f, 2f, 4f);
        Tensor target = longs(2, 0);
        assertArrayEquals(new float[] {12, 0.5f}, new NLLLoss(w, -100, Reduction.NONE).forward(logp, target).toFloatArray());
        assertEquals(12.5, new NLLLoss(w, -100, Reduction.SUM).forward(logp, target).item(), 1e-6);
        assertEquals(12.5 / 5, new NLLLoss(w, -100, Reduction.MEAN).forward(logp, target).item(), 1e-6, "mean divides by summed weights");
        assertArrayEquals(new float[] {3, 0}, new NLLLoss(Reduction.NONE).forward(logp, longs(2, -100)).toFloatArray());
        assertEquals(3, new NLLLoss().forward(logp, longs(2, -100)).item(), 1e-6, "ignored targets leave the divisor");
        assertEquals(0.5, new NLLLoss(null, 2, Reduction.MEAN).forward(logp, target).item(), 1e-6);
        assertTrue(Double.isNaN(new NLLLoss().forward(logp, longs(-100, -100)).item()), "all ignored: 0/0, as PyTorch");
    }

    @Test
    void nllLoss_gradientScattersIntoTheTargetColumn() {
        Tensor logp = Tensor.of(new float[][] {{-1, -2, -3}, {-0.5f, -1.5f, -2.5f}}).requiresGrad_(true);
        new NLLLoss(Tensor.of(1f, 2f, 4f), -100, Reduction.MEAN).forward(logp, longs(2, 0)).backward();
        assertArrayEquals(new float[] {0, 0, -4f / 5, -1f / 5, 0, 0}, logp.grad().toFloatArray(), 1e-6f);
    }

    @Test
    void crossEntropy_byHandForEveryReduction() {
        // -log softmax([1, 2, 3])[2] = log(e + e² + e³) - 3; -log softmax([0, 0, 0])[0] = log 3
        double a = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)) - 3;
        double b = Math.log(3);
        Tensor logits = Tensor.of(new float[][] {{1, 2, 3}, {0, 0, 0}});
        assertLoss(new CrossEntropyLoss(), logits, longs(2, 0), new float[] {(float) a, (float) b}, a + b, (a + b) / 2);
        assertEquals(b, new CrossEntropyLoss().forward(Tensor.of(0f, 0f, 0f), Tensor.wrap(NDArray.of(new long[] {1}))).item(), 1e-6,
                "an unbatched [C] input with a 0-dim target");
    }

    @Test
    void crossEntropy_gradientIsSoftmaxMinusOneHot() {
        Tensor logits = Tensor.of(new float[][] {{0, (float) Math.log(2), (float) Math.log(5)}}).requiresGrad_(true);
        new CrossEntropyLoss().forward(logits, longs(1)).backward();
        assertArrayEquals(new float[] {0.125f, 0.25f - 1, 0.625f}, logits.grad().toFloatArray(), 1e-6f);
    }

    @Test
    void crossEntropy_spatialTargetsMatchTheFlattenedProblem() {
        Tensor.manualSeed(5);
        Tensor logits = Tensor.randn(2, 3, 2, 2); // [N, C, H, W]
        Tensor target = Tensor.randint(0, 3, 2, 2, 2);
        Tensor flatLogits = logits.permute(0, 2, 3, 1).reshape(8, 3);
        Tensor flatTarget = target.reshape(8);
        for (Reduction r : new Reduction[] {Reduction.SUM, Reduction.MEAN}) {
            assertEquals(new CrossEntropyLoss(r).forward(flatLogits, flatTarget).item(),
                    new CrossEntropyLoss(r).forward(logits, target).item(), 1e-5);
        }
        assertArrayEquals(new CrossEntropyLoss(Reduction.NONE).forward(flatLogits, flatTarget).toFloatArray(),
                new CrossEntropyLoss(Reduction.NONE).forward(logits, target).reshape(2, 2, 2).toFloatArray(), 1e-6f);
        assertArrayEquals(new int[] {2, 2, 2}, new CrossEntropyLoss(Reduction.NONE).forward(logits, target).shape());
    }

    @Test
    void crossEntropy_classProbabilities() {
        Tensor logits = Tensor.of(new float[][] {{0, 0}, {0, (float) Math.log(3)}});
        Tensor probs = Tensor.of(new float[][] {{0.25f, 0.75f}, {0f, 1f}});
        // row 0: uniform prediction costs log 2 whatever the target; row 1: -log(3/4)
        double r1 = -Math.log(0.75);
        assertLoss(new CrossEntropyLoss(), logits, probs, new float[] {(float) LN2, (float) r1}, LN2 + r1, (LN2 + r1) / 2);
    }

    @Test
    void crossEntropy_errorsNameDtypeShapeAndClass() {
        Tensor logits = Tensor.zeros(4, 3);
        IllegalArgumentException floatTarget = assertThrows(IllegalArgumentException.class,
                () -> new CrossEntropyLoss().forward(logits, Tensor.of(0f, 1f, 2f, 1f)));
        assertTrue(floatTarget.getMessage().contains("INT64") && floatTarget.getMessage().contains("FLOAT32 [4]")
                && floatTarget.getMessage().contains("[4, 3]"), floatTarget.getMessage());
        IllegalArgumentException intTarget = assertThrows(IllegalArgumentException.class,
                () -> new CrossEntropyLoss().forward(logits, Tensor.wrap(NDArray.of(new int[] {0, 1, 2, 1}, 4))));
        assertTrue(intTarget.getMessage().contains("INT64, got INT32"), intTarget.getMessage());
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                () -> new CrossEntropyLoss().forward(logits, Tensor.zeros(DType.INT64, 4, 1)));
        assertTrue(shape.getMessage().contains("[4, 3]") && shape.getMessage().contains("[4]") && shape.getMessage().contains("[4, 1]"),
                shape.getMessage());
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
                () -> new CrossEntropyLoss().forward(logits, longs(0, 3, 1, 1)));
        assertTrue(range.getMessage().contains("target 3 is out of bounds for 3 classes"), range.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new CrossEntropyLoss().forward(logits, longs(0, -1, 1, 1)));
        IllegalArgumentException weight = assertThrows(IllegalArgumentException.class,
                () -> new CrossEntropyLoss(Tensor.ones(2), -100, Reduction.MEAN).forward(logits, longs(0, 1, 1, 1)));
        assertTrue(weight.getMessage().contains("[3]") && weight.getMessage().contains("[2]"), weight.getMessage());
        assertThrows(NullPointerException.class, () -> new CrossEntropyLoss((Reduction) null));
    }

    // Reference values below were printed by PyTorch 1.13.1 (CPU, float32) for the same inputs.

    @Test
    void bceWithLogits_weightAndPosWeightMatchPyTorch() {
        Tensor x = Tensor.of(new float[][] {{-1.5f, 0.3f}, {2f, -0.7f}}).requiresGrad_(true);
        Tensor t = Tensor.of(new float[][] {{0.2f, 0.9f}, {0.6f, 0.1f}}).requiresGrad_(true);
        Tensor loss = new BCEWithLogitsLoss(Tensor.of(new float[][] {{2f}, {0.5f}}), Tensor.of(3f, 0.5f), Reduction.SUM).forward(x, t);
        assertEquals(3.7823824882507324, loss.item(), 1e-5);
        loss.backward();
        assertArrayEquals(new float[] {-0.6892085671424866f, -0.2681131362915039f, 0.06887680292129517f, 0.13261079788208008f},
                x.grad().toFloatArray(), 1e-5f);
        assertArrayEquals(new float[] {9.80565357208252f, -1.1543552875518799f, -0.8730720281600952f, 0.0742034763097763f},
                t.grad().toFloatArray(), 1e-5f);
    }

    @Test
    void crossEntropy_weightedProbabilityAndSpatialTargetsMatchPyTorch() {
        Tensor probsLoss = new CrossEntropyLoss(Tensor.of(2f, 0.5f), -100, Reduction.MEAN).forward(
                Tensor.of(new float[][] {{0, 1}, {2, (float) Math.log(3)}}), Tensor.of(new float[][] {{0.25f, 0.75f}, {0.5f, 0.5f}}));
        assertEquals(0.7126960754394531, probsLoss.item(), 1e-6);
        Tensor spatial = new CrossEntropyLoss(Tensor.of(1f, 2f, 3f), -100, Reduction.MEAN).forward(
                Tensor.of(new float[] {0, 1, 2, 3, 1, 1}, 1, 3, 2), Tensor.wrap(NDArray.of(new long[] {2, 0}, 1, 2)));
        assertEquals(1.6155906915664673, spatial.item(), 1e-6);
    }

    @Test
    void losses_printTheirReduction() {
        assertEquals("MSELoss(reduction=SUM)", new MSELoss(Reduction.SUM).toString());
    }
}
