package io.torus.optim.lr;

import io.torus.optim.Optimizer;

import java.util.List;

/**
 * Ramps each group's lr linearly from {@code startFactor·base} to {@code base} over
 * {@code warmupSteps} steps, then holds it (PyTorch's {@code LinearLR} with {@code end_factor=1}):
 * {@code lr = base·(startFactor + (1 − startFactor)·min(t, warmupSteps)/warmupSteps)}.
 *
 * <p>{@link #then} hands over to another schedule once the warmup is done:
 * <pre>{@code
 * LRScheduler s = new LinearWarmup(opt, 100, 0.01).then(new CosineAnnealingLR(opt, 900, 0));
 * }</pre>
 */
public final class LinearWarmup extends LRScheduler {
    private final int warmupSteps;

    public LinearWarmup(Optimizer optimizer, int warmupSteps, double startFactor) {
        super(optimizer, params("warmup_steps", check(warmupSteps, startFactor), "start_factor", startFactor),
                (base, t) -> base * (startFactor + (1 - startFactor) * Math.min(t, warmupSteps) / warmupSteps));
        this.warmupSteps = warmupSteps;
    }

    /** This warmup for {@code warmupSteps} steps, then {@code after} from its own step 0 (a {@link SequentialLR}). */
    public SequentialLR then(LRScheduler after) {
        return new SequentialLR(optimizer(), List.of(this, after), warmupSteps);
    }

    private static int check(int warmupSteps, double startFactor) {
        if (warmupSteps < 1) {
            throw new IllegalArgumentException("LinearWarmup: warmupSteps " + warmupSteps + " must be >= 1");
        }
        if (!(startFactor >= 0 && startFactor <= 1)) {
            throw new IllegalArgumentException("LinearWarmup: startFactor " + startFactor + " must be in [0, 1]");
        }
        return warmupSteps;
    }
}
