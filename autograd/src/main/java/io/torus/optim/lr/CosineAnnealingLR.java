package io.torus.optim.lr;

import io.torus.optim.Optimizer;

/**
 * Half a cosine from the base lr down to {@code etaMin} over {@code tMax} steps (SGDR without
 * restarts, Loshchilov &amp; Hutter 2017): {@code lr = etaMin + (base − etaMin)·(1 + cos(π·t/tMax))/2}.
 * Past {@code tMax} the cosine carries on (back up towards the base), as PyTorch's closed form.
 */
public final class CosineAnnealingLR extends LRScheduler {
    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin) {
        super(optimizer, params("T_max", check(tMax), "eta_min", etaMin),
                (base, t) -> etaMin + (base - etaMin) * (1 + Math.cos(Math.PI * t / tMax)) / 2);
    }

    public CosineAnnealingLR(Optimizer optimizer, int tMax) {
        this(optimizer, tMax, 0);
    }

    private static int check(int tMax) {
        if (tMax < 1) {
            throw new IllegalArgumentException("CosineAnnealingLR: tMax " + tMax + " must be >= 1");
        }
        return tMax;
    }
}
