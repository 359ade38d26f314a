package io.torus.optim;

import io.torus.nn.Parameter;

import java.util.List;

/** Updates parameters from their gradients. */
public abstract class Optimizer {
    protected final List<Parameter> params;
    protected double lr;

    protected Optimizer(List<Parameter> params, double lr) {
        if (!(lr >= 0)) {
            throw new IllegalArgumentException("Invalid learning rate: " + lr + " (expected >= 0)");
        }
        if (params.isEmpty()) {
            throw new IllegalArgumentException("optimizer got an empty parameter list");
        }
        this.params = List.copyOf(params);
        this.lr = lr;
    }

    public abstract void step();

    public void zeroGrad() {
        for (Parameter p : params) {
            p.setGrad(null);
        }
    }

    public double lr() {
        return lr;
    }

    public void setLr(double lr) {
        this.lr = lr;
    }
}
