package io.torus.autograd.functions;

import io.torus.autograd.GradMode;
import io.torus.autograd.Tensor;
import io.torus.autograd.engine.Node;
import io.torus.tensor.NDArray;
import io.torus.tensor.Shape;

/** Helpers every op family uses to decide whether to record and to attach its node. */
final class Graph {
    private Graph() {
    }

    /** Whether an op on these inputs must be recorded. */
    static boolean needsGrad(Tensor... inputs) {
        if (!GradMode.isEnabled()) {
            return false;
        }
        for (Tensor t : inputs) {
            if (t != null && t.requiresGrad()) {
                return true;
            }
        }
        return false;
    }

    /** Wraps {@code out} and, if {@code node} is non-null, makes it the output's grad_fn. */
    static Tensor record(Node node, NDArray out, Tensor... inputs) {
        Tensor result;
        if (node == null) {
            result = Tensor.wrap(out);
        } else {
            node.connect(inputs);
            result = Tensor.fromOp(out, node, 0);
        }
        if (inputs.length == 1 && out.storage() == inputs[0].data().storage()) {
            result.markViewOf(inputs[0]); // a view: in-place writes to it change the input too
        }
        return result;
    }

    /**
     * Sums {@code g} down to an input's shape and converts it to the input's floating-point dtype,
     * undoing both broadcasting and type promotion (a FLOAT64 0-dim input of a FLOAT32 op gets a
     * FLOAT64 gradient).
     */
    static Tensor sumTo(Tensor g, int[] shape, io.torus.tensor.DType dtype) {
        Tensor r = sumTo(g, shape);
        return r.dtype() == dtype || !dtype.isFloatingPoint() ? r : r.to(dtype);
    }

    /** Sums {@code g} down to {@code shape}, undoing broadcasting. */
    static Tensor sumTo(Tensor g, int[] shape) {
        int[] gs = g.shape();
        if (java.util.Arrays.equals(gs, shape)) {
            return g;
        }
        int lead = gs.length - shape.length;
        int count = 0;
        int[] dims = new int[gs.length];
        for (int i = 0; i < gs.length; i++) {
            if (i < lead || (shape[i - lead] == 1 && gs[i] != 1)) {
                dims[count++] = i;
            }
        }
        Tensor r = count == 0 ? g : g.sum(java.util.Arrays.copyOf(dims, count), true);
        return Shape.numel(shape) == r.numel() ? r.reshape(shape) : r;
    }
}
