package io.torus.optim.lr;

import io.torus.autograd.Tensor;
import io.torus.nn.Parameter;
import io.torus.optim.Optimizer;
import io.torus.optim.ParamGroup;
import io.torus.optim.SGD;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LRSchedulerTest {

    private static SGD sgd(double lr) {
        return new SGD(List.of(new Parameter(Tensor.of(1.0))), lr);
    }

    /** lastLr()[0] and the optimiser's lr at t = 0, 1, ..., expected.length − 1. */
    private static void assertLrs(LRScheduler s, Optimizer opt, double... expected) {
        for (int t = 0; t < expected.length; t++) {
            if (t > 0) {
                s.step();
            }
            assertEquals(expected[t], s.lastLr().get(0), 1e-15, "lastLr at step " + t);
            assertEquals(expected[t], opt.lr(), 1e-15, "optimizer lr at step " + t);
        }
        assertEquals(expected.length - 1, s.lastEpoch());
    }

    @Test
    void stepLR_decaysEveryStepSize() {
        SGD opt = sgd(0.1);
        // 0.1·0.5^⌊t/2⌋
        assertLrs(new StepLR(opt, 2, 0.5), opt, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025);
    }

    @Test
    void cosineAnnealing_followsHalfACosine() {
        SGD opt = sgd(0.1);
        // 0.01 + 0.09·(1 + cos(π·t/4))/2: cos = 1, √2/2, 0, −√2/2, −1
        double h = Math.sqrt(2) / 2;
        assertLrs(new CosineAnnealingLR(opt, 4, 0.01), opt,
                0.1, 0.01 + 0.09 * (1 + h) / 2, 0.055, 0.01 + 0.09 * (1 - h) / 2, 0.01);
    }

    @Test
    void linearWarmup_rampsThenHolds() {
        SGD opt = sgd(0.1);
        // 0.1·(0.25 + 0.75·min(t, 4)/4)
        assertLrs(new LinearWarmup(opt, 4, 0.25), opt, 0.025, 0.04375, 0.0625, 0.08125, 0.1, 0.1);
    }

    @Test
    void linearWarmupThenCosine_handsOverAtTheMilestone() {
        SGD opt = sgd(0.1);
        LRScheduler s = new LinearWarmup(opt, 2, 0.5).then(new CosineAnnealingLR(opt, 2, 0));
        // warmup 0.05, 0.075; then cosine from its own step 0: 0.1, 0.05, 0
        assertLrs(s, opt, 0.05, 0.075, 0.1, 0.05, 0.0);
    }

    @Test
    void schedulers_scaleEachGroupFromItsOwnBase() {
        Parameter a = new Parameter(Tensor.of(1.0));
        Parameter b = new Parameter(Tensor.of(1.0));
        SGD opt = new SGD(List.of(new ParamGroup(List.of(a)), new ParamGroup(List.of(b), 0.01)), 0.1, 0, 0, 0, false);
        StepLR s = new StepLR(opt, 1, 0.1);
        s.step();
        assertEquals(0.01, opt.paramGroups().get(0).lr(), 1e-15);
        assertEquals(0.001, opt.paramGroups().get(1).lr(), 1e-15);
        assertEquals(List.of(0.1, 0.01), s.baseLrs());
    }

    @Test
    void stateDict_roundTripContinuesTheSchedule() {
        SGD opt = sgd(0.1);
        LRScheduler s = new LinearWarmup(opt, 3, 0.1).then(new CosineAnnealingLR(opt, 5, 0.001));
        for (int i = 0; i < 4; i++) {
            s.step();
        }
        SGD freshOpt = sgd(0.1);
        freshOpt.loadStateDict(opt.stateDict());
        LRScheduler fresh = new LinearWarmup(freshOpt, 3, 0.1).then(new CosineAnnealingLR(freshOpt, 5, 0.001));
        fresh.loadStateDict(s.stateDict());
        assertEquals(s.lastLr(), fresh.lastLr());
        assertEquals(4, fresh.lastEpoch());
        for (int i = 0; i < 5; i++) {
            s.step();
            fresh.step();
            assertEquals(s.lastLr(), fresh.lastLr());
            assertEquals(opt.lr(), freshOpt.lr());
        }
    }

    @Test
    void loadStateDict_namesWhatDiffers() {
        SGD opt = sgd(0.1);
        StepLR step = new StepLR(opt, 2, 0.5);
        IllegalArgumentException kind = assertThrows(IllegalArgumentException.class,
                () -> new CosineAnnealingLR(sgd(0.1), 4).loadStateDict(step.stateDict()));
        assertTrue(kind.getMessage().contains("missing keys [T_max, eta_min]") && kind.getMessage().contains("step_size"),
                kind.getMessage());
        IllegalArgumentException gamma = assertThrows(IllegalArgumentException.class,
                () -> new StepLR(sgd(0.1), 2, 0.1).loadStateDict(step.stateDict()));
        assertTrue(gamma.getMessage().contains("gamma is 0.5 in the state dict but 0.1"), gamma.getMessage());
    }

    @Test
    void constructors_rejectBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> new StepLR(sgd(0.1), 0, 0.5));
        assertThrows(IllegalArgumentException.class, () -> new LinearWarmup(sgd(0.1), 3, 1.5));
        SGD opt = sgd(0.1);
        IllegalArgumentException other = assertThrows(IllegalArgumentException.class,
                () -> new SequentialLR(opt, List.of(new StepLR(opt, 1, 0.5), new StepLR(sgd(0.1), 1, 0.5)), 3));
        assertTrue(other.getMessage().contains("different optimizer"), other.getMessage());
    }
}
