package io.torus.autograd.functions;

import io.torus.autograd.Tensor;
import io.torus.autograd.engine.Node;
import io.torus.autograd.engine.SavedTensor;

/** Matrix products. 1-D operands are lifted to matrices and the result squeezed back (composed). */
public final class LinearAlgebra {
    private LinearAlgebra() {
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
