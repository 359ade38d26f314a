package io.torus.optim;

import io.torus.autograd.GradMode;
import io.torus.nn.Parameter;
import io.torus.tensor.NDArray;
import io.torus.tensor.op.BinaryOp;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stochastic gradient descent with PyTorch's update rule:
 * {@code g += wd·p; b = μ·b + (1−dampening)·g (b = g at the first step); g = nesterov ? g + μ·b : b; p −= lr·g}.
 */
public class SGD extends Optimizer {
    private final double momentum;
    private final double dampening;
    private final double weightDecay;
    private final boolean nesterov;
    private final Map<Parameter, NDArray> momentumBuffers = new IdentityHashMap<>();

    public SGD(List<Parameter> params, double lr) {
        this(params, lr, 0, 0, 0, false);
    }

    public SGD(List<Parameter> params, double lr, double momentum) {
        this(params, lr, momentum, 0, 0, false);
    }

    public SGD(List<Parameter> params, double lr, double momentum, double dampening, double weightDecay, boolean nesterov) {
        super(params, lr);
        if (momentum < 0) {
            throw new IllegalArgumentException("Invalid momentum value: " + momentum + " (expected >= 0)");
        }
        if (weightDecay < 0) {
            throw new IllegalArgumentException("Invalid weight_decay value: " + weightDecay + " (expected >= 0)");
        }
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException("Nesterov momentum requires a momentum and zero dampening");
        }
        this.momentum = momentum;
        this.dampening = dampening;
        this.weightDecay = weightDecay;
        this.nesterov = nesterov;
    }

    @Override
    public void step() {
        try (GradMode.Scope s = GradMode.noGrad()) {
            for (Parameter p : params) {
                if (p.grad() == null) {
                    continue;
                }
                NDArray d = p.grad().data();
                if (weightDecay != 0) {
                    d = d.add(p.data().binary(BinaryOp.MUL, weightDecay));
                }
                if (momentum != 0) {
                    NDArray buf = momentumBuffers.get(p);
                    if (buf == null) {
                        buf = d.copy();
                        momentumBuffers.put(p, buf);
                    } else {
                        buf.binary_(BinaryOp.MUL, momentum).binary_(BinaryOp.ADD, d.binary(BinaryOp.MUL, 1 - dampening));
                    }
                    d = nesterov ? d.add(buf.binary(BinaryOp.MUL, momentum)) : buf;
                }
                p.data().binary_(BinaryOp.SUB, d.binary(BinaryOp.MUL, lr));
            }
        }
    }
}
