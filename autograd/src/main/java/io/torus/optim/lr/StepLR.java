package io.torus.optim.lr;

import io.torus.optim.Optimizer;

/** Decays each group's lr by {@code gamma} every {@code stepSize} steps: {@code lr = base·gamma^⌊t / stepSize⌋}. */
public final class StepLR extends LRScheduler {
    public StepLR(Optimizer optimizer, int stepSize, double gamma) {
        super(optimizer, params("step_size", check(stepSize), "gamma", gamma),
                (base, t) -> base * Math.pow(gamma, (double) (t / stepSize)));
    }

    private static int check(int stepSize) {
        if (stepSize < 1) {
            throw new IllegalArgumentException("StepLR: stepSize " + stepSize + " must be >= 1");
        }
        return stepSize;
    }
}
