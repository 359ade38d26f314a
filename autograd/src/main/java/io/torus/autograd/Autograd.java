package io.torus.autograd;

import io.torus.autograd.engine.Edge;
import io.torus.autograd.engine.Engine;
import io.torus.tensor.Shape;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** {@code torch.autograd.grad}: gradients of outputs with respect to inputs, without touching {@code grad()}. */
public final class Autograd {
    private Autograd() {
    }

    public static List<Tensor> grad(List<Tensor> outputs, List<Tensor> inputs, List<Tensor> gradOutputs,
                                    boolean retainGraph, boolean createGraph, boolean allowUnused) {
        List<Edge> roots = new ArrayList<>();
        List<Tensor> grads = new ArrayList<>();
        for (int i = 0; i < outputs.size(); i++) {
            Tensor out = outputs.get(i);
            if (!out.requiresGrad()) {
                throw new IllegalStateException("grad: element " + i + " of outputs does not require grad and does not have a grad_fn");
            }
            roots.add(out.gradientEdge());
            grads.add(initialGradient(out, gradOutputs == null ? null : gradOutputs.get(i)));
        }
        List<Edge> capture = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            Tensor in = inputs.get(i);
            if (!in.requiresGrad()) {
                throw new IllegalStateException("grad: input " + i + " does not require grad");
            }
            capture.add(in.gradientEdge());
        }
        Tensor[] result = Engine.execute(roots, grads, retainGraph, createGraph, capture);
        for (int i = 0; i < result.length; i++) {
            if (result[i] == null && !allowUnused) {
                throw new IllegalStateException("grad: one of the differentiated tensors (input " + i
                        + ") appears to not have been used in the graph. Set allowUnused=true if this is the desired behavior.");
            }
        }
        return Arrays.asList(result);
    }

    /** The gradient a backward starts from: the given one (shape-checked) or 1 for a scalar. */
    static Tensor initialGradient(Tensor out, Tensor gradient) {
        if (gradient == null) {
            if (out.numel() != 1) {
                throw new IllegalStateException("grad can be implicitly created only for scalar outputs (got shape "
                        + Shape.str(out.shape()) + ")");
            }
            return Tensor.onesLike(out);
        }
        if (!Arrays.equals(gradient.shape(), out.shape())) {
            throw new IllegalArgumentException("backward: gradient shape " + Shape.str(gradient.shape())
                    + " does not match output shape " + Shape.str(out.shape()));
        }
        return gradient;
    }
}
