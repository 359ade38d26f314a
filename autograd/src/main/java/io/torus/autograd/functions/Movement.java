package io.torus.autograd.functions;

import io.torus.autograd.Tensor;
import io.torus.autograd.engine.Node;
import io.torus.tensor.NDArray;
import io.torus.tensor.Shape;

/** Views and reshapes: the output shares storage with the input wherever PyTorch's does. */
public final class Movement {
    private Movement() {
    }

    public static Tensor reshape(Tensor x, int... shape) {
        return viewLike(x, x.data().reshape(shape), "ViewBackward0");
    }

    public static Tensor view(Tensor x, int... shape) {
        return viewLike(x, x.data().view(shape), "ViewBackward0");
    }

    public static Tensor squeeze(Tensor x, int dim) {
        return viewLike(x, x.data().squeeze(dim), "SqueezeBackward1");
    }

    public static Tensor unsqueeze(Tensor x, int dim) {
        return viewLike(x, x.data().unsqueeze(dim), "UnsqueezeBackward0");
    }

    /** A view whose backward only restores the input's shape. */
    private static Tensor viewLike(Tensor x, NDArray out, String name) {
        Node n = Graph.needsGrad(x) ? new ReshapeBackward(name, x.shape()) : null;
        return Graph.record(n, out, x);
    }

    public static Tensor transpose(Tensor x, int d0, int d1) {
        int a = Shape.normalizeDim(d0, x.dim(), "transpose");
        int b = Shape.normalizeDim(d1, x.dim(), "transpose");
        Node n = Graph.needsGrad(x) ? new TransposeBackward0(a, b) : null;
        return Graph.record(n, x.data().transpose(a, b), x);
    }

    public static Tensor permute(Tensor x, int... dims) {
        NDArray out = x.data().permute(dims);
        Node n = null;
        if (Graph.needsGrad(x)) {
            int[] inverse = new int[dims.length];
            for (int i = 0; i < dims.length; i++) {
                inverse[Shape.normalizeDim(dims[i], x.dim(), "permute")] = i;
            }
            n = new PermuteBackward0(inverse);
        }
        return Graph.record(n, out, x);
    }

    public static Tensor expand(Tensor x, int... shape) {
        Node n = Graph.needsGrad(x) ? new ExpandBackward0(x.shape()) : null;
        return Graph.record(n, x.data().expand(shape), x);
    }

    /** A dtype conversion; gradients flow back converted to the input's dtype (floating point only). */
    public static Tensor convert(Tensor x, io.torus.tensor.DType dtype) {
        NDArray out = x.data().to(dtype);
        Node n = Graph.needsGrad(x) && dtype.isFloatingPoint() ? new ToCopyBackward0(x.dtype()) : null;
        return Graph.record(n, out, x);
    }

    static final class ToCopyBackward0 extends Node {
        private final io.torus.tensor.DType dtype;

        ToCopyBackward0(io.torus.tensor.DType dtype) {
            this.dtype = dtype;
        }

        @Override
        protected Tensor[] backward(Tensor[] g) {
            return new Tensor[] {g[0].to(dtype)};
        }
    }

    static final class ReshapeBackward extends Node {
        private final String name;
        private final int[] shape;

        ReshapeBackward(String name, int[] shape) {
            this.name = name;
            this.shape = shape;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        protected Tensor[] backward(Tensor[] g) {
            return new Tensor[] {g[0].reshape(shape)};
        }
    }

    static final class TransposeBackward0 extends Node {
        private final int a;
        private final int b;

        TransposeBackward0(int a, int b) {
            this.a = a;
            this.b = b;
        }

        @Override
        protected Tensor[] backward(Tensor[] g) {
            return new Tensor[] {g[0].transpose(a, b)};
        }
    }

    static final class PermuteBackward0 extends Node {
        private final int[] inverse;

        PermuteBackward0(int[] inverse) {
            this.inverse = inverse;
        }

        @Override
        protected Tensor[] backward(Tensor[] g) {
            return new Tensor[] {g[0].permute(inverse)};
        }
    }

    static final class ExpandBackward0 extends Node {
        private final int[] shape;

        ExpandBackward0(int[] shape) {
            this.shape = shape;
        }

        @Override
        protected Tensor[] backward(Tensor[] g) {
            return new Tensor[] {Graph.sumTo(g[0], shape)};
        }
    }
}
