package io.torus.optim;

import io.torus.nn.Parameter;

import java.util.Collection;
import java.util.List;

/**
 * Adam with bias correction and the weight decay folded into the gradient (an L2 penalty), as
 * PyTorch's {@code torch.optim.Adam}; the update rule is written out in {@link AdamFamily}.
 * Defaults: lr 0.001, betas (0.9, 0.999), eps 1e-8, weight decay 0, no amsgrad.
 */
public final class Adam extends AdamFamily {
    public Adam(List<Parameter> params, double lr) {
        this(params, lr, 0.9, 0.999, 1e-8, 0);
    }

    public Adam(List<Parameter> params, double lr, double beta1, double beta2, double eps, double weightDecay) {
        this(params, lr, beta1, beta2, eps, weightDecay, false);
    }

    public Adam(List<Parameter> params, double lr, double beta1, double beta2, double eps, double weightDecay, boolean amsgrad) {
        super(params, defaults(lr, beta1, beta2, eps, weightDecay, amsgrad), false);
    }

    /** Several groups; the numbers are the defaults for what a group does not set (see {@link SGD}'s note on {@code Collection}). */
    public Adam(Collection<ParamGroup> groups, double lr, double beta1, double beta2, double eps, double weightDecay,
            boolean amsgrad) {
        super(groups, defaults(lr, beta1, beta2, eps, weightDecay, amsgrad), false);
    }
}
