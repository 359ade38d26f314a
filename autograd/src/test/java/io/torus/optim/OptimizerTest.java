package io.torus.optim;

import io.torus.autograd.Tensor;
import io.torus.io.Checkpoint;
import io.torus.nn.Parameter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Parameter groups and the state dict, common to every optimiser. */
class OptimizerTest {

    /** Two parameters of different shapes; loss = sum(a²) + sum(b³)/3 so that g = (2a, b²). */
    private static final class Problem {
        final Parameter a = new Parameter(Tensor.of(new float[] {1f, -0.5f, 2f, 0.25f}, 2, 2));
        final Parameter b = new Parameter(Tensor.of(new float[] {0.5f, -1.5f, 1f}, 3));

        void step(Optimizer opt) {
            opt.zeroGrad();
            a.mul(a).sum().add(b.mul(b).mul(b).sum().div(3)).backward();
            opt.step();
        }

        List<float[]> values() {
            return List.of(a.toFloatArray(), b.toFloatArray());
        }
    }

    @Test
    void step_eachGroupUsesItsOwnLr() {
        Parameter a = new Parameter(Tensor.of(1.0));
        Parameter b = new Parameter(Tensor.of(1.0));
        SGD opt = new SGD(List.of(new ParamGroup(List.of(a)), new ParamGroup(List.of(b), 0.01)), 0.1, 0, 0, 0, false);
        a.mul(a).add(b.mul(b)).backward();
        opt.step();
        // g = 2 for both: a = 1 − 0.1·2 = 0.8 (default lr), b = 1 − 0.01·2 = 0.98 (its group's lr)
        assertEquals(0.8, a.item(), 1e-15);
        assertEquals(0.98, b.item(), 1e-15);
        assertEquals(0.1, opt.paramGroups().get(0).lr());
        assertEquals(0.01, opt.paramGroups().get(1).lr());
        assertEquals(List.of("lr", "momentum", "dampening", "weight_decay", "nesterov"),
                List.copyOf(opt.paramGroups().get(1).options().keySet()));
    }

    @Test
    void step_groupOverridesOtherHyperparameters() {
        Parameter a = new Parameter(Tensor.of(1.0));
        Parameter b = new Parameter(Tensor.of(1.0));
        SGD opt = SGD.builder(List.of(new ParamGroup(List.of(a)), new ParamGroup(List.of(b)).set("momentum", 0.9)))
                .lr(0.1).build();
        for (int i = 0; i < 2; i++) {
            opt.zeroGrad();
            a.mul(a).add(b.mul(b)).backward();
            opt.step();
        }
        // a without momentum: 1 → 0.8 → 0.8 − 0.1·1.6 = 0.64; b with momentum 0.9: 1 → 0.8 (buf = 2),
        // buf = 0.9·2 + 1.6 = 3.4 → 0.8 − 0.34 = 0.46
        assertEquals(0.64, a.item(), 1e-15);
        assertEquals(0.46, b.item(), 1e-15);
    }

    @Test
    void setLr_appliesToEveryGroup() {
        Parameter a = new Parameter(Tensor.of(1.0));
        Parameter b = new Parameter(Tensor.of(1.0));
        SGD opt = new SGD(List.of(new ParamGroup(List.of(a)), new ParamGroup(List.of(b), 0.01)), 0.1, 0, 0, 0, false);
        opt.setLr(0.5);
        assertEquals(0.5, opt.paramGroups().get(0).lr());
        assertEquals(0.5, opt.paramGroups().get(1).lr());
        assertEquals(0.5, opt.lr());
    }

    @Test
    void addParamGroup_fillsDefaultsAndJoinsTheStateNumbering() {
        Parameter a = new Parameter(Tensor.of(1.0));
        Parameter b = new Parameter(Tensor.of(1.0, 2.0));
        SGD opt = new SGD(List.of(a), 0.1, 0.9);
        opt.addParamGroup(new ParamGroup(List.of(b), 0.5));
        assertEquals(0.9, opt.paramGroups().get(1).get("momentum"));
        assertEquals(0.5, opt.paramGroups().get(1).lr());
        a.mul(a).add(b.sum()).backward();
        opt.step();
        // b: g = 1 each, first step p −= 0.5·1
        assertArrayEquals(new double[] {0.5, 1.5}, b.toDoubleArray(), 1e-15);
        assertArrayEquals(new int[] {2}, opt.stateDict().get("state.1.momentum_buffer").shape());
        IllegalArgumentException again = assertThrows(IllegalArgumentException.class,
                () -> opt.addParamGroup(new ParamGroup(List.of(a))));
        assertTrue(again.getMessage().contains("more than one parameter group (again in group 2)"), again.getMessage());
    }

    @Test
    void constructor_rejectsUnknownSettingAndSharedParameter() {
        Parameter a = new Parameter(Tensor.of(1.0));
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> new SGD(List.of(new ParamGroup(List.of(a)).set("beta1", 0.9)), 0.1, 0, 0, 0, false));
        assertTrue(unknown.getMessage().contains("'beta1'") && unknown.getMessage().contains("momentum"), unknown.getMessage());
        IllegalArgumentException shared = assertThrows(IllegalArgumentException.class,
                () -> new Adam(List.of(new ParamGroup(List.of(a)), new ParamGroup(List.of(a))), 0.1, 0.9, 0.999, 1e-8, 0, false));
        assertTrue(shared.getMessage().contains("more than one parameter group"), shared.getMessage());
        IllegalArgumentException lr = assertThrows(IllegalArgumentException.class,
                () -> new SGD(List.of(new ParamGroup(List.of(a), -1)), 0.1, 0, 0, 0, false));
        assertTrue(lr.getMessage().contains("-1.0") && lr.getMessage().contains("group 0"), lr.getMessage());
    }

    @Test
    void stateDict_flatKeysNumberedInGroupOrder() {
        Problem pr = new Problem();
        Adam opt = new Adam(List.of(new ParamGroup(List.of(pr.a)), new ParamGroup(List.of(pr.b), 0.5)), 0.1, 0.9, 0.999, 1e-8, 0,
                false);
        pr.step(opt);
        Map<String, Tensor> sd = opt.stateDict();
        assertEquals(List.of(
                "param_groups.0.params", "param_groups.0.lr", "param_groups.0.beta1", "param_groups.0.beta2",
                "param_groups.0.eps", "param_groups.0.weight_decay", "param_groups.0.amsgrad",
                "param_groups.1.params", "param_groups.1.lr", "param_groups.1.beta1", "param_groups.1.beta2",
                "param_groups.1.eps", "param_groups.1.weight_decay", "param_groups.1.amsgrad",
                "state.0.step", "state.0.exp_avg", "state.0.exp_avg_sq",
                "state.1.step", "state.1.exp_avg", "state.1.exp_avg_sq"), List.copyOf(sd.keySet()));
        assertArrayEquals(new long[] {1}, sd.get("param_groups.1.params").toLongArray());
        assertEquals(0, sd.get("param_groups.1.lr").dim());
        assertEquals(io.torus.tensor.DType.FLOAT64, sd.get("param_groups.1.lr").dtype());
        assertEquals(0.5, sd.get("param_groups.1.lr").item());
        assertArrayEquals(new int[] {3}, sd.get("state.1.exp_avg").shape());
        assertEquals(1, sd.get("state.1.step").item());
    }

    private static void assertResumeIsIdentical(Function<Problem, Optimizer> make, Path dir) {
        Problem straight = new Problem();
        Optimizer opt = make.apply(straight);
        for (int i = 0; i < 3; i++) {
            straight.step(opt);
        }
        Path file = dir.resolve("opt.safetensors");
        Checkpoint.save(file, opt.stateDict());
        List<float[]> atSave = straight.values();
        for (int i = 0; i < 3; i++) {
            straight.step(opt);
        }

        Problem resumed = new Problem();
        resumed.a.data().copy_(Tensor.of(atSave.get(0), 2, 2).data());
        resumed.b.data().copy_(Tensor.of(atSave.get(1), 3).data());
        Optimizer fresh = make.apply(resumed);
        fresh.loadStateDict(Checkpoint.load(file));
        for (int i = 0; i < 3; i++) {
            resumed.step(fresh);
        }
        List<float[]> want = straight.values();
        List<float[]> got = resumed.values();
        for (int i = 0; i < want.size(); i++) {
            assertArrayEquals(want.get(i), got.get(i), "parameter " + i + " of " + opt.getClass().getSimpleName());
        }
    }

    @Test
    void loadStateDict_continuesExactlyLikeUninterruptedTraining(@TempDir Path dir) {
        assertResumeIsIdentical(pr -> new SGD(List.of(new ParamGroup(List.of(pr.a)), new ParamGroup(List.of(pr.b), 0.05)),
                0.1, 0.9, 0, 1e-3, true), dir);
        assertResumeIsIdentical(pr -> SGD.builder(List.of(pr.a, pr.b)).lr(0.1).momentum(0.5).dampening(0.1).build(), dir);
        assertResumeIsIdentical(pr -> new Adam(List.of(new ParamGroup(List.of(pr.a)), new ParamGroup(List.of(pr.b), 0.05)),
                0.1, 0.9, 0.999, 1e-8, 1e-2, true), dir);
        assertResumeIsIdentical(pr -> new AdamW(List.of(pr.a, pr.b), 0.1), dir);
    }

    @Test
    void loadStateDict_restoresGroupSettings() {
        Problem pr = new Problem();
        SGD opt = new SGD(List.of(pr.a, pr.b), 0.1, 0.9);
        opt.setLr(0.025);
        SGD fresh = new SGD(List.of(pr.a, pr.b), 0.1, 0.9);
        fresh.loadStateDict(opt.stateDict());
        assertEquals(0.025, fresh.lr());
    }

    @Test
    void loadStateDict_namesWhatDoesNotMatch() {
        Problem pr = new Problem();
        SGD opt = new SGD(List.of(pr.a, pr.b), 0.1, 0.9);
        pr.step(opt);
        Map<String, Tensor> sd = opt.stateDict();

        SGD twoGroups = new SGD(List.of(new ParamGroup(List.of(pr.a)), new ParamGroup(List.of(pr.b))), 0.1, 0.9, 0, 0, false);
        assertMessage(() -> twoGroups.loadStateDict(sd), "parameter groups [0]", "has 2");

        Parameter c = new Parameter(Tensor.zeros(5));
        SGD otherShape = new SGD(List.of(pr.a, c), 0.1, 0.9);
        assertMessage(() -> otherShape.loadStateDict(sd), "state.1.momentum_buffer has shape [3]", "needs [5]");

        Adam adam = new Adam(List.of(pr.a, pr.b), 0.1);
        assertMessage(() -> adam.loadStateDict(sd), "param_groups.0.momentum is not a setting of Adam");

        Map<String, Tensor> extra = new java.util.LinkedHashMap<>(sd);
        extra.put("state.7.momentum_buffer", Tensor.zeros(1));
        assertMessage(() -> opt.loadStateDict(extra), "state for parameter 7", "has 2 parameters");

        Map<String, Tensor> stray = new java.util.LinkedHashMap<>(sd);
        stray.put("epoch", Tensor.zeros(1));
        assertMessage(() -> opt.loadStateDict(stray), "unexpected key 'epoch'");
        // a failed load changes nothing
        assertEquals(0.1, opt.lr());
        assertArrayEquals(sd.get("state.1.momentum_buffer").toFloatArray(), opt.stateDict().get("state.1.momentum_buffer").toFloatArray());
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable call, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        List<String> missing = new ArrayList<>();
        for (String p : parts) {
            if (!e.getMessage().contains(p)) {
                missing.add(p);
            }
        }
        assertTrue(missing.isEmpty(), "message lacks " + missing + ": " + e.getMessage());
    }
}
