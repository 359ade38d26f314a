package io.torus.autograd.engine;

import io.torus.autograd.GradMode;
import io.torus.autograd.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The sink of a leaf tensor: adds the incoming gradient into the leaf's {@code grad}, then runs
 * the leaf's post-accumulate-grad hooks (DDP's signal that a parameter's gradient is ready).
 */
public final class AccumulateGrad extends Node {
    private final Tensor variable;
    private final List<Consumer<Tensor>> postHooks = new ArrayList<>();

    public AccumulateGrad(Tensor variable) {
        this.variable = variable;
        connect();
    }

    public Tensor variable() {
        return variable;
    }

    @Override
    public String name() {
        return "AccumulateGrad";
    }

    public Runnable addPostHook(Consumer<Tensor> hook) {
        postHooks.add(hook);
        return () -> postHooks.remove(hook);
    }

    @Override
    protected Tensor[] backward(Tensor[] gradOutputs) {
        return accumulate(gradOutputs[0], false);
    }

    /**
     * Adds {@code g} into the leaf's gradient. {@code owned}: nothing else holds {@code g} (Note
     * [Stolen gradients] in {@link Engine}), so a first gradient in the leaf's layout is kept
     * instead of copied.
     */
    Tensor[] accumulate(Tensor g, boolean owned) {
        Tensor old = variable.grad();
        if (old == null) {
            // keep the graph of g only when it is being differentiated again (createGraph)
            boolean steal = owned && g.data().isContiguous() && g.dtype() == variable.dtype();
            variable.setGrad(GradMode.isEnabled() ? g : Tensor.wrap(steal ? g.data() : g.data().copy()));
        } else if (GradMode.isEnabled()) {
            variable.setGrad(old.add(g));
        } else {
            old.data().binary_(io.torus.tensor.op.BinaryOp.ADD, g.data());
        }
        for (Consumer<Tensor> h : List.copyOf(postHooks)) {
            h.accept(variable);
        }
        return new Tensor[0];
    }
}
