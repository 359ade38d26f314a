package io.torus.autograd.functions;

import io.torus.autograd.Tensor;
import io.torus.autograd.engine.Node;
import io.torus.autograd.engine.SavedTensor;
import io.torus.tensor.NDArray;
import io.torus.tensor.op.BinaryOp;

/**
 * Matrix products. 1-D operands are lifted to matrices and the result squeezed back (composed).
 *
 * <p>Note [Fused linear]: {@code linear(x, W, b) = x Wᵀ + b} for a 2-D input is one node,
 * PyTorch's {@code AddmmBackward0}, instead of the composite {@code matmul(x, t(W)) + b} (three
 * nodes: mm, t, add). The forward adds the bias in place into the fresh product (no second
 * output array), and the backward produces each gradient in its parameter's own layout:
 * {@code dW = gᵀ x} comes out of one product as a contiguous {@code [out, in]} array, where the
 * composite computed {@code (xᵀ g)} and handed the leaf its transpose, a strided view that
 * {@code AccumulateGrad} then copied element by element; {@code db = sum₀ g} is one column
 * reduction instead of a broadcast-undoing {@code sumTo}. The backward is written with
 * differentiable tensor ops, so under {@code createGraph} it records its own graph (double
 * backward) exactly as the composite did. Its gradients are fresh arrays nobody else holds, which
 * lets {@code AccumulateGrad} take them without a copy (Note [Stolen gradients] in the engine).
 */
public final class LinearAlgebra {
    private LinearAlgebra() {
    }

    /**
     * {@code x Wᵀ + b}: {@code x [N, in]}, {@code weight [out, in]}, {@code bias [out]} or null,
     * all of one floating-point dtype, as one node (Note [Fused linear]); other shapes and mixed
     * dtypes are composed from matmul and add.
     */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        boolean fused = x.dim() == 2 && weight.dim() == 2 && (bias == null || bias.dim() == 1)
                && x.dtype().isFloatingPoint() && weight.dtype() == x.dtype() && (bias == null || bias.dtype() == x.dtype())
                && x.shape()[1] == weight.shape()[1] && (bias == null || bias.shape()[0] == weight.shape()[0]);
        if (!fused) {
            Tensor y = x.matmul(weight.t());
            return bias == null ? y : y.add(bias);
        }
        NDArray out = x.data().matmul(weight.data().transpose(0, 1));
        if (bias != null) {
            out.binary_(BinaryOp.ADD, bias.data()); // into the fresh product: nobody else sees it yet
        }
        if (!Graph.needsGrad(x, weight, bias)) {
            return Tensor.wrap(out);
        }
        LinearBackward n = new LinearBackward();
        n.x = weight.requiresGrad() ? n.save(x) : null;
        n.weight = x.requiresGrad() ? n.save(weight) : null;
        return Graph.record(n, out, x, weight, bias);
    }

    public static Tensor matmul(Tensor a, Tensor b) {
        if (a.dim() == 1 && b.dim() >= 1) {
            return matmul(a.unsqueeze(0), b).squeeze(-2 + (b.dim() == 1 ? 1 : 0));
        }
        if (b.dim() == 1 && a.dim() >= 1) {
            return matmul(a, b.unsqueeze(1)).squeeze(-1);
        }
        MmBackward n = null;
        if (Graph.needsGrad(a, b)) {
            n = new MmBackward(a.dim() == 2 && b.dim() == 2 ? "MmBackward0" : "BmmBackward0");
            n.a = b.requiresGrad() ? n.save(a) : null;
            n.b = a.requiresGrad() ? n.save(b) : null;
            n.aShape = a.shape();
            n.bShape = b.shape();
        }
        return Graph.record(n, a.data().matmul(b.data()), a, b);
    }

    /** dx = g W, dW = gᵀ x, db = sum over the batch of g (Note [Fused linear]). */
    static final class LinearBackward extends Node {
        SavedTensor x;
        SavedTensor weight;

        @Override
        public String name() {
            return "AddmmBackward0";
        }

        @Override
        protected boolean freshGradients() {
            return true;
        }

        @Override
        protected Tensor[] backward(Tensor[] g) {
            Tensor gy = g[0];
            Tensor gx = needsInputGrad(0) ? gy.matmul(weight.unpack()) : null;
            Tensor gw = needsInputGrad(1) ? gy.t().matmul(x.unpack()) : null;
            Tensor gb = needsInputGrad(2) ? gy.sum(new int[] {0}, false) : null;
            return new Tensor[] {gx, gw, gb};
        }
    }

    static final class MmBackward extends Node {
        private final String name;
        SavedTensor a;
        SavedTensor b;
        int[] aShape;
        int[] bShape;

        MmBackward(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        protected Tensor[] backward(Tensor[] g) {
            Tensor ga = needsInputGrad(0) ? Graph.sumTo(g[0].matmul(b.unpack().transpose(-1, -2)), aShape) : null;
            Tensor gb = needsInputGrad(1) ? Graph.sumTo(a.unpack().transpose(-1, -2).matmul(g[0]), bShape) : null;
            return new Tensor[] {ga, gb};
        }
    }
}
