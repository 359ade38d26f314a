package io.torus.optim.lr;

import io.torus.autograd.Tensor;
import io.torus.optim.Optimizer;
import io.torus.optim.ParamGroup;
import io.torus.tensor.DType;
import io.torus.tensor.NDArray;
import io.torus.tensor.Shape;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Sets the learning rate of every parameter group of an optimiser as a function of the step
 * count: after {@code t} calls of {@link #step()}, group {@code g} has
 * {@code lr = schedule.lr(baseLr[g], t)}. Construction applies {@code t = 0}.
 *
 * <p>The schedules are closed forms of the step count (PyTorch's {@code _get_closed_form_lr}), so
 * the state is just {@code t} and the base lrs, and a resumed run sets exactly the lrs an
 * uninterrupted one would. The base lr of a group is its {@code initial_lr}
 * ({@link ParamGroup#INITIAL_LR}), which the first scheduler built on an optimiser records from
 * the group's lr, as PyTorch does, so a second scheduler on the same optimiser (for
 * {@link SequentialLR}) sees the same base.
 *
 * <p>Typical loop: {@code optimizer.step(); scheduler.step();} once per batch or per epoch,
 * whichever unit the schedule's lengths are counted in.
 */
public abstract class LRScheduler {
    /** The lr at step {@code t} for a group whose base lr is {@code baseLr}. */
    @FunctionalInterface
    public interface Schedule {
        double lr(double baseLr, long t);
    }

    private final String name;
    private final Optimizer optimizer;
    private final Map<String, Double> hyperparameters;
    private final Schedule schedule;
    private double[] baseLrs;
    private long lastEpoch;
    private List<Double> lastLr;

    /**
     * @param hyperparameters the schedule's settings by PyTorch name ({@code step_size}, {@code gamma}),
     *     saved in the state dict and checked when loading
     */
    protected LRScheduler(Optimizer optimizer, Map<String, Double> hyperparameters, Schedule schedule) {
        this.name = getClass().getSimpleName();
        this.optimizer = optimizer;
        this.hyperparameters = Collections.unmodifiableMap(new LinkedHashMap<>(hyperparameters));
        this.schedule = schedule;
        List<ParamGroup> groups = optimizer.paramGroups();
        this.baseLrs = new double[groups.size()];
        for (int g = 0; g < groups.size(); g++) {
            ParamGroup group = groups.get(g);
            if (!group.has(ParamGroup.INITIAL_LR)) {
                group.set(ParamGroup.INITIAL_LR, group.lr());
            }
            baseLrs[g] = group.get(ParamGroup.INITIAL_LR);
        }
        apply();
    }

    /** Advances the step count by one and sets every group's lr. */
    public void step() {
        lastEpoch++;
        apply();
    }

    private void apply() {
        List<ParamGroup> groups = optimizer.paramGroups();
        if (groups.size() != baseLrs.length) {
            throw new IllegalStateException(name + ".step: the optimizer has " + groups.size() + " parameter groups but this "
                    + "scheduler was built for " + baseLrs.length + " (build a new scheduler after addParamGroup)");
        }
        lastLr = computeLrs();
        for (int g = 0; g < groups.size(); g++) {
            groups.get(g).setLr(lastLr.get(g));
        }
    }

    private List<Double> computeLrs() {
        List<Double> lrs = new ArrayList<>(baseLrs.length);
        for (double base : baseLrs) {
            lrs.add(schedule.lr(base, lastEpoch));
        }
        return Collections.unmodifiableList(lrs);
    }

    /** The lr this scheduler last set, per group (PyTorch's {@code get_last_lr()}). */
    public List<Double> lastLr() {
        return lastLr;
    }

    /** How many times {@link #step()} has run (PyTorch's {@code last_epoch}). */
    public long lastEpoch() {
        return lastEpoch;
    }

    public Optimizer optimizer() {
        return optimizer;
    }

    /** The base lr of each group. */
    public List<Double> baseLrs() {
        List<Double> out = new ArrayList<>();
        for (double b : baseLrs) {
            out.add(b);
        }
        return Collections.unmodifiableList(out);
    }

    public Map<String, Double> hyperparameters() {
        return hyperparameters;
    }

    Schedule schedule() {
        return schedule;
    }

    /**
     * {@code last_epoch} (0-d INT64), {@code base_lrs} (FLOAT64, one per group) and each
     * hyperparameter (0-d FLOAT64), ready for {@link io.torus.io.Checkpoint}.
     */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("last_epoch", Tensor.wrap(NDArray.scalar(lastEpoch, DType.INT64)));
        out.put("base_lrs", Tensor.wrap(NDArray.of(baseLrs.clone(), baseLrs.length)));
        hyperparameters.forEach((k, v) -> out.put(k, Tensor.wrap(NDArray.scalar(v, DType.FLOAT64))));
        return out;
    }

    /**
     * Restores the step count and base lrs from {@link #stateDict()} of the same kind of scheduler
     * with the same hyperparameters. Like PyTorch it leaves the optimiser's lrs alone (they come
     * back with the optimiser's own state dict).
     *
     * @throws IllegalArgumentException naming the missing or unexpected key, or the hyperparameter
     *     or group count that differs
     */
    public void loadStateDict(Map<String, Tensor> state) {
        String what = name + ".loadStateDict: ";
        Set<String> expected = new LinkedHashSet<>(List.of("last_epoch", "base_lrs"));
        expected.addAll(hyperparameters.keySet());
        if (!state.keySet().equals(expected)) {
            Set<String> missing = new LinkedHashSet<>(expected);
            missing.removeAll(state.keySet());
            Set<String> unexpected = new LinkedHashSet<>(state.keySet());
            unexpected.removeAll(expected);
            throw new IllegalArgumentException(what + "missing keys " + missing + ", unexpected keys " + unexpected
                    + " (a " + name + " state dict has " + expected + ")");
        }
        for (Map.Entry<String, Double> h : hyperparameters.entrySet()) {
            double saved = scalar(what, h.getKey(), state.get(h.getKey()));
            if (Double.compare(saved, h.getValue()) != 0) {
                throw new IllegalArgumentException(what + h.getKey() + " is " + saved + " in the state dict but " + h.getValue()
                        + " in this scheduler");
            }
        }
        Tensor base = state.get("base_lrs");
        int groups = optimizer.paramGroups().size();
        if (base.dim() != 1 || base.shape()[0] != groups) {
            throw new IllegalArgumentException(what + "base_lrs has shape " + Shape.str(base.shape()) + " but the optimizer has "
                    + groups + " parameter groups (expected [" + groups + "])");
        }
        long epoch = (long) scalar(what, "last_epoch", state.get("last_epoch"));
        if (epoch < 0) {
            throw new IllegalArgumentException(what + "last_epoch is " + epoch + ", expected >= 0");
        }
        this.baseLrs = base.toDoubleArray();
        this.lastEpoch = epoch;
        this.lastLr = computeLrs();
    }

    private static double scalar(String what, String key, Tensor t) {
        if (t.numel() != 1) {
            throw new IllegalArgumentException(what + key + " has shape " + Shape.str(t.shape()) + ", expected a 0-d tensor");
        }
        return t.item();
    }

    static Map<String, Double> params(Object... nameValue) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (int i = 0; i < nameValue.length; i += 2) {
            out.put((String) nameValue[i], ((Number) nameValue[i + 1]).doubleValue());
        }
        return out;
    }

    @Override
    public String toString() {
        return name + hyperparameters + " at step " + lastEpoch + ", lr " + lastLr;
    }
}
