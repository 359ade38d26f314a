package io.torus.optim;

import io.torus.autograd.Tensor;
import io.torus.nn.Parameter;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Adam and AdamW against the published rule (AdamFamily's comment), worked out by hand; loss = sum(p²), g = 2p. */
class AdamTest {

    private static void lossStep(Parameter p, Optimizer opt) {
        opt.zeroGrad();
        p.mul(p).sum().backward();
        opt.step();
    }

    @Test
    void step_adamFollowsPublishedRuleWithBiasCorrection() {
        Parameter p = new Parameter(Tensor.of(1.0, -2.0));
        Adam opt = new Adam(List.of(p), 0.1, 0.9, 0.999, 1e-8, 0);
        lossStep(p, opt);
        // Step 1: m = 0.1·g, v = 0.001·g², bias corrections 0.1 and 0.001 give m̂ = g, sqrt(v̂) = |g|,
        // so p1 = p0 − 0.1·g/(|g| + 1e-8): g = 2 for p0 = 1, g = −4 for p0 = −2.
        double p1a = 1 - 0.1 * 2 / (2 + 1e-8);
        double p1b = -2 + 0.1 * 4 / (4 + 1e-8);
        assertArrayEquals(new double[] {p1a, p1b}, p.toDoubleArray(), 1e-15);
        lossStep(p, opt);
        // Step 2, element 0: g2 = 2·p1; m2 = 0.9·0.2 + 0.1·g2; v2 = 0.999·0.004 + 0.001·g2²;
        // p2 = p1 − 0.1/(1 − 0.9²)·m2 / (sqrt(v2)/sqrt(1 − 0.999²) + 1e-8). PyTorch 1.13 gives
        // [0.8004122286917927, -1.800166486115701] for the same two steps.
        double g2 = 2 * p1a;
        double m2 = 0.9 * 0.2 + 0.1 * g2;
        double v2 = 0.999 * 0.004 + 0.001 * g2 * g2;
        double p2a = p1a - 0.1 / (1 - 0.81) * m2 / (Math.sqrt(v2) / Math.sqrt(1 - 0.998001) + 1e-8);
        assertEquals(p2a, p.toDoubleArray()[0], 1e-15);
        assertArrayEquals(new double[] {0.8004122286917927, -1.800166486115701}, p.toDoubleArray(), 1e-15);
        assertEquals(2, opt.state(p).get("step").item());
        assertEquals(m2, opt.state(p).get("exp_avg").toDoubleArray()[0], 1e-15);
    }

    @Test
    void step_adamFoldsWeightDecayIntoTheGradient() {
        Parameter p = new Parameter(Tensor.of(1.0));
        lossStep(p, new Adam(List.of(p), 0.1, 0.9, 0.999, 1e-8, 0.1));
        // g = 2 + 0.1·1 = 2.1; first step moves by 0.1·2.1/(2.1 + 1e-8) (PyTorch: 0.9000000004761904)
        assertEquals(1 - 0.1 * 2.1 / (2.1 + 1e-8), p.item(), 1e-15);
        assertEquals(0.9000000004761904, p.item(), 1e-15);
    }

    @Test
    void step_adamWDecaysTheWeightsApart() {
        Parameter p = new Parameter(Tensor.of(1.0));
        lossStep(p, new AdamW(List.of(p), 0.1, 0.9, 0.999, 1e-8, 0.1));
        // p = 1·(1 − 0.1·0.1) = 0.99, then the Adam step on g = 2 (the gradient at p = 1):
        // 0.99 − 0.1·2/(2 + 1e-8) (PyTorch: 0.8900000004999999)
        assertEquals(0.99 - 0.1 * 2 / (2 + 1e-8), p.item(), 1e-15);
        assertEquals(0.8900000004999999, p.item(), 1e-15);
    }

    @Test
    void step_amsgradKeepsTheLargestSecondMoment() {
        Parameter p = new Parameter(Tensor.of(0.0));
        Adam opt = new Adam(List.of(p), 0.1, 0.9, 0.5, 1e-8, 0, true);
        p.setGrad(Tensor.of(10.0));
        opt.step();
        // m1 = 1, v1 = 0.5·100 = 50, corrections 0.1 and 0.5: p1 = −(0.1/0.1)·1/(sqrt(50)/sqrt(0.5) + 1e-8) = −1/(10 + 1e-8)
        double p1 = -1 / (10 + 1e-8);
        assertEquals(p1, p.item(), 1e-15);
        p.setGrad(Tensor.of(1.0));
        opt.step();
        // m2 = 0.9·1 + 0.1·1 = 1; v2 = 0.5·50 + 0.5·1 = 25.5 but vmax stays 50; corrections 0.19 and 0.75
        // (PyTorch amsgrad: -0.16446025621008364; without amsgrad sqrt(25.5) would be used)
        double p2 = p1 - 0.1 / 0.19 * 1.0 / (Math.sqrt(50) / Math.sqrt(0.75) + 1e-8);
        assertEquals(p2, p.item(), 1e-15);
        assertEquals(-0.16446025621008364, p.item(), 1e-15);
        assertEquals(50, opt.state(p).get("max_exp_avg_sq").item());
    }

    @Test
    void step_float32ParametersKeepTheirDtypeAndState() {
        Parameter p = new Parameter(Tensor.of(new float[] {1, 2, 3}, 3));
        Adam opt = new Adam(List.of(p), 0.01);
        lossStep(p, opt);
        assertEquals(p.dtype(), opt.state(p).get("exp_avg").dtype());
        // first step moves each element by lr·sign(g) (up to eps)
        assertArrayEquals(new float[] {0.99f, 1.99f, 2.99f}, p.toFloatArray(), 1e-6f);
    }

    @Test
    void constructor_rejectsBadBetasNamingTheValue() {
        Parameter p = new Parameter(Tensor.of(1.0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Adam(List.of(p), 0.1, 0.9, 1.0, 1e-8, 0));
        assertTrue(e.getMessage().contains("beta parameter at index 1: 1.0"), e.getMessage());
    }
}
