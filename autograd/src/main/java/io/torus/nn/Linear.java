package io.torus.nn;

import io.torus.autograd.Tensor;

/** {@code y = x Wᵀ + b}, weights initialised as PyTorch does (Kaiming-uniform, a=√5). */
public class Linear extends Module {
    private final Parameter weight;
    private final Parameter bias;

    public Linear(int in, int out) {
        this(in, out, true);
    }

    public Linear(int in, int out, boolean bias) {
        if (in <= 0 || out <= 0) {
            throw new IllegalArgumentException("Linear(" + in + ", " + out + "): feature counts must be positive");
        }
        double bound = 1 / Math.sqrt(in);
        this.weight = registerParameter("weight", new Parameter(Tensor.zeros(out, in)));
        Init.uniform_(weight, -bound, bound);
        if (bias) {
            this.bias = registerParameter("bias", new Parameter(Tensor.zeros(out)));
            Init.uniform_(this.bias, -bound, bound);
        } else {
            this.bias = null;
        }
    }

    public Parameter weight() {
        return weight;
    }

    public Parameter bias() {
        return bias;
    }

    @Override
    public Tensor forward(Tensor x) {
        return F.linear(x, weight, bias);
    }
}
