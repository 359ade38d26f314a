package io.torus.optim;

import io.torus.nn.Parameter;
import io.torus.tensor.NDArray;
import io.torus.tensor.op.BinaryOp;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stochastic gradient descent with PyTorch's update rule, per parameter with its group's settings:
 * <pre>
 *   g = grad + weight_decay·p
 *   b = g                                  at the parameter's first step
 *   b = momentum·b + (1 − dampening)·g     afterwards             (state "momentum_buffer")
 *   g = nesterov ? g + momentum·b : b      when momentum ≠ 0
 *   p = p − lr·g
 * </pre>
 * Settings ({@link ParamGroup} names): {@code lr}, {@code momentum}, {@code dampening},
 * {@code weight_decay}, {@code nesterov} (1 or 0). Build with a constructor or
 * {@code SGD.builder(params).lr(0.1).momentum(0.9).nesterov(true).build()}.
 */
public class SGD extends Optimizer {
    private static final List<StateSpec> STATE = List.of(new StateSpec("momentum_buffer", false));

    public SGD(List<Parameter> params, double lr) {
        this(params, lr, 0, 0, 0, false);
    }

    public SGD(List<Parameter> params, double lr, double momentum) {
        this(params, lr, momentum, 0, 0, false);
    }

    public SGD(List<Parameter> params, double lr, double momentum, double dampening, double weightDecay, boolean nesterov) {
        super(params, defaults(lr, momentum, dampening, weightDecay, nesterov));
    }

    /**
     * One optimiser over several groups; the numbers are the defaults for what a group does not set.
     * (A {@code Collection} rather than a {@code List} only so that this overload and the one taking
     * {@code List<Parameter>} erase to different signatures; pass a {@code List.of(...)} of groups.)
     */
    public SGD(Collection<ParamGroup> groups, double lr, double momentum, double dampening, double weightDecay,
            boolean nesterov) {
        super(groups, defaults(lr, momentum, dampening, weightDecay, nesterov));
    }

    private static Map<String, Double> defaults(double lr, double momentum, double dampening, double weightDecay,
            boolean nesterov) {
        Map<String, Double> d = new LinkedHashMap<>();
        d.put("lr", lr);
        d.put("momentum", momentum);
        d.put("dampening", dampening);
        d.put("weight_decay", weightDecay);
        d.put("nesterov", nesterov ? 1.0 : 0.0);
        return d;
    }

    public static Builder builder(List<Parameter> params) {
        return new Builder(List.of(new ParamGroup(params)));
    }

    public static Builder builder(Collection<ParamGroup> groups) {
        return new Builder(groups);
    }

    @Override
    protected void validate(ParamGroup group, int index) {
        super.validate(group, index);
        double momentum = group.get("momentum");
        double weightDecay = group.get("weight_decay");
        if (!(momentum >= 0)) {
            throw new IllegalArgumentException("Invalid momentum value: " + momentum + " (expected >= 0) in parameter group " + index);
        }
        if (!(weightDecay >= 0)) {
            throw new IllegalArgumentException("Invalid weight_decay value: " + weightDecay + " (expected >= 0) in parameter group "
                    + index);
        }
        if (group.flag("nesterov") && (momentum <= 0 || group.get("dampening") != 0)) {
            throw new IllegalArgumentException("Nesterov momentum requires a momentum and zero dampening (group " + index
                    + " has momentum " + momentum + ", dampening " + group.get("dampening") + ")");
        }
    }

    @Override
    protected List<StateSpec> stateSpec() {
        return STATE;
    }

    @Override
    protected void update(Parameter p, NDArray grad, ParamGroup group, Map<String, NDArray> state) {
        double momentum = group.get("momentum");
        double weightDecay = group.get("weight_decay");
        NDArray d = grad;
        if (weightDecay != 0) {
            d = d.add(p.data().binary(BinaryOp.MUL, weightDecay));
        }
        if (momentum != 0) {
            NDArray buf = state.get("momentum_buffer");
            if (buf == null) {
                buf = d.copy();
                state.put("momentum_buffer", buf);
            } else {
                buf.binary_(BinaryOp.MUL, momentum).binary_(BinaryOp.ADD, d.binary(BinaryOp.MUL, 1 - group.get("dampening")));
            }
            d = group.flag("nesterov") ? d.add(buf.binary(BinaryOp.MUL, momentum)) : buf;
        }
        p.data().binary_(BinaryOp.SUB, d.binary(BinaryOp.MUL, group.lr()));
    }

    /** Settings by name; anything not set keeps PyTorch's default (lr 0.001, the rest 0 / false). */
    public static final class Builder {
        private final Collection<ParamGroup> groups;
        private double lr = 1e-3;
        private double momentum;
        private double dampening;
        private double weightDecay;
        private boolean nesterov;

        private Builder(Collection<ParamGroup> groups) {
            this.groups = groups;
        }

        public Builder lr(double lr) {
            this.lr = lr;
            return this;
        }

        public Builder momentum(double momentum) {
            this.momentum = momentum;
            return this;
        }

        public Builder dampening(double dampening) {
            this.dampening = dampening;
            return this;
        }

        public Builder weightDecay(double weightDecay) {
            this.weightDecay = weightDecay;
            return this;
        }

        public Builder nesterov(boolean nesterov) {
            this.nesterov = nesterov;
            return this;
        }

        public SGD build() {
            return new SGD(groups, lr, momentum, dampening, weightDecay, nesterov);
        }
    }
}
