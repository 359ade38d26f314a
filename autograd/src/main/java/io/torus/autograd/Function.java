package io.torus.autograd;

import io.torus.autograd.engine.Node;
import io.torus.autograd.engine.SavedTensor;

import java.util.ArrayList;
import java.util.List;

/**
 * A user-defined differentiable operation, as {@code torch.autograd.Function}:
 * <pre>{@code
 * final class Exp extends Function {
 *     protected Tensor forward(Context ctx, Tensor... in) {
 *         Tensor y = in[0].exp();
 *         ctx.saveForBackward(y);
 *         return y;
 *     }
 *     protected Tensor[] backward(Context ctx, Tensor... grad) {
 *         return new Tensor[] {grad[0].mul(ctx.savedTensors().get(0))};
 *     }
 * }
 * Tensor y = new Exp().apply(x);
 * }</pre>
 * {@link #forward} runs without recording a graph; {@link #apply} then records one node, named
 * after the class ({@code ExpBackward}), whose backward calls {@link #backward} with the
 * gradients of the outputs. Backward returns one gradient per input (null where
 * {@code ctx.needsInputGrad(i)} is false or the input is not differentiable).
 */
public abstract class Function {

    protected abstract Tensor forward(Context ctx, Tensor... inputs);

    protected abstract Tensor[] backward(Context ctx, Tensor... gradOutputs);

    /** Runs forward and records the backward node when an input requires grad. */
    public final Tensor apply(Tensor... inputs) {
        boolean[] needs = new boolean[inputs.length];
        boolean any = false;
        for (int i = 0; i < inputs.length; i++) {
            needs[i] = inputs[i] != null && inputs[i].requiresGrad() && GradMode.isEnabled();
            any |= needs[i];
        }
        Context ctx = new Context(needs);
        Tensor out;
        try (GradMode.Scope s = GradMode.noGrad()) {
            out = forward(ctx, inputs);
        }
        if (out == null) {
            throw new IllegalStateException(getClass().getSimpleName() + ".forward returned null");
        }
        if (!any || ctx.isNonDifferentiable(out)) {
            return out;
        }
        FunctionNode node = new FunctionNode(this, ctx, inputs.length);
        node.connect(inputs);
        boolean inPlace = false;
        for (Tensor in : inputs) {
            inPlace |= in == out;
        }
        if (inPlace && !ctx.isDirty(out)) {
            throw new IllegalStateException(getClass().getSimpleName() + ".forward returned an input unchanged; "
                    + "return a new tensor, or call ctx.markDirty on an input it modified in place");
        }
        Tensor result = inPlace ? out.rebaseHistory(node) : Tensor.fromOp(out.data(), node, 0);
        List<SavedTensor> saved = new ArrayList<>();
        for (Tensor t : ctx.toSave()) {
            saved.add(t == null ? null : node.save(t == out ? result : t));
        }
        ctx.setSaved(saved);
        return result;
    }

    /** The graph node of one application of a custom function. */
    private static final class FunctionNode extends Node {
        private final Function fn;
        private final Context ctx;
        private final int numInputs;

        FunctionNode(Function fn, Context ctx, int numInputs) {
            this.fn = fn;
            this.ctx = ctx;
            this.numInputs = numInputs;
        }

        @Override
        public String name() {
            return fn.getClass().getSimpleName() + "Backward";
        }

        @Override
        protected Tensor[] backward(Tensor[] gradOutputs) {
            Tensor[] grads = fn.backward(ctx, gradOutputs);
            if (grads == null || grads.length != numInputs) {
                throw new IllegalStateException(name() + ": backward returned " + (grads == null ? "null" : grads.length
                        + " gradients") + ", expected " + numInputs + " (one per forward input)");
            }
            return grads;
        }
    }
}
