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
        this.weight = registerParameter("weight", new Parameter(Tensor.zeros(out, in)));
        this.bias = bias ? registerParameter("bias", new Parameter(Tensor.zeros(out))) : null;
        resetParameters();
    }

    /** Re-draws the weight (Kaiming-uniform, a=√5, i.e. U(±1/√in)) and the bias (U(±1/√in)), as PyTorch's. */
    public void resetParameters() {
        Init.layerDefaults_(weight, bias);
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

    @Override
    protected String extraRepr() {
        return "in_features=" + weight.shape()[1] + ", out_features=" + weight.shape()[0] + ", bias=" + pyBool(bias != null);
    }
}
