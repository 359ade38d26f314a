package io.torus.optim.lr;

import io.torus.optim.Optimizer;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs schedulers one after another, as PyTorch's {@code SequentialLR}: scheduler {@code i} is in
 * charge from milestone {@code i−1} (step 0 for the first) and sees the step count relative to
 * that milestone. Call {@link #step()} on this object only; the schedulers it holds just supply
 * their formulas.
 */
public final class SequentialLR extends LRScheduler {
    public SequentialLR(Optimizer optimizer, List<LRScheduler> schedulers, long... milestones) {
        super(optimizer, hyperparameters(optimizer, schedulers, milestones), combined(List.copyOf(schedulers), milestones.clone()));
    }

    private static Schedule combined(List<LRScheduler> schedulers, long[] milestones) {
        return (base, t) -> {
            int i = 0;
            while (i < milestones.length && t >= milestones[i]) {
                i++;
            }
            return schedulers.get(i).schedule().lr(base, i == 0 ? t : t - milestones[i - 1]);
        };
    }

    private static Map<String, Double> hyperparameters(Optimizer optimizer, List<LRScheduler> schedulers, long[] milestones) {
        if (schedulers.size() != milestones.length + 1) {
            throw new IllegalArgumentException("SequentialLR: " + schedulers.size() + " schedulers need "
                    + (schedulers.size() - 1) + " milestones, got " + milestones.length);
        }
        Map<String, Double> out = new LinkedHashMap<>();
        for (int i = 0; i < milestones.length; i++) {
            if (milestones[i] < 1 || (i > 0 && milestones[i] <= milestones[i - 1])) {
                throw new IllegalArgumentException("SequentialLR: milestones must be positive and increasing, got "
                        + java.util.Arrays.toString(milestones));
            }
            out.put("milestones." + i, (double) milestones[i]);
        }
        for (int i = 0; i < schedulers.size(); i++) {
            LRScheduler s = schedulers.get(i);
            if (s.optimizer() != optimizer) {
                throw new IllegalArgumentException("SequentialLR: scheduler " + i + " (" + s.getClass().getSimpleName()
                        + ") belongs to a different optimizer than the one passed");
            }
            String prefix = "schedulers." + i + "." + s.getClass().getSimpleName() + ".";
            s.hyperparameters().forEach((k, v) -> out.put(prefix + k, v));
        }
        return out;
    }
}
