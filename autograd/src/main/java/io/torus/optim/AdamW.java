package io.torus.optim;

import io.torus.nn.Parameter;

import java.util.Collection;
import java.util.List;

/**
 * Adam with decoupled weight decay ({@code p ← p·(1 − lr·weight_decay)} before the Adam step, not
 * an L2 term in the gradient), as PyTorch's {@code torch.optim.AdamW}; the update rule is written
 * out in {@link AdamFamily}. Defaults: lr 0.001, betas (0.9, 0.999), eps 1e-8, weight decay 0.01.
 */
public final class AdamW extends AdamFamily {
    public AdamW(List<Parameter> params, double lr) {
        this(params, lr, 0.9, 0.999, 1e-8, 1e-2);
    }

    public AdamW(List<Parameter> params, double lr, double beta1, double beta2, double eps, double weightDecay) {
        this(params, lr, beta1, beta2, eps, weightDecay, false);
    }

    public AdamW(List<Parameter> params, double lr, double beta1, double beta2, double eps, double weightDecay, boolean amsgrad) {
        super(params, defaults(lr, beta1, beta2, eps, weightDecay, amsgrad), true);
    }

    /** Several groups; the numbers are the defaults for what a group does not set (see {@link SGD}'s note on {@code Collection}). */
    public AdamW(Collection<ParamGroup> groups, double lr, double beta1, double beta2, double eps, double weightDecay,
            boolean amsgrad) {
        super(groups, defaults(lr, beta1, beta2, eps, weightDecay, amsgrad), true);
    }
}
