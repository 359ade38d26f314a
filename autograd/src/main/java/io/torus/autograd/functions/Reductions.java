package io.torus.autograd.functions;

import io.torus.autograd.Tensor;
import io.torus.autograd.engine.Node;
import io.torus.tensor.DType;
import io.torus.tensor.NDArray;
import io.torus.tensor.Shape;
import io.torus.tensor.op.ReduceOp;

/** sum, mean and max, over all elements or over dims. Mean is sum / n (composed). */
public final class Reductions {
    private Reductions() {
    }

    public static Tensor sum(Tensor x) {
        SumBackward0 n = Graph.needsGrad(x) ? new SumBackward0(x.shape()) : null;
        return Graph.record(n, x.data().sum(), x);
    }

    public static Tensor sum(Tensor x, int[] dims, boolean keepDim) {
        int[] norm = new int[dims.length];
        for (int i = 0; i < dims.length; i++) {
            norm[i] = Shape.normalizeDim(dims[i], x.dim(), "sum");
        }
        SumBackward1 n = Graph.needsGrad(x) ? new SumBackward1(x.shape(), norm, keepDim) : null;
        return Graph.record(n, x.data().reduce(ReduceOp.SUM, norm, keepDim), x);
    }

    public static Tensor mean(Tensor x) {
        if (!x.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("mean: expected a floating point tensor, got " + x.dtype());
        }
        return sum(x).div(Math.max(1, x.numel()));
    }

    public static Tensor mean(Tensor x, int dim, boolean keepDim) {
        if (!x.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("mean: expected a floating point tensor, got " + x.dtype());
        }
        return sum(x, new int[] {dim}, keepDim).div(x.shape()[Shape.normalizeDim(dim, x.dim(), "mean")]);
    }

    /** Largest values along {@code dim} (the dim removed); gradients flow to the arg-max positions. */
    public static Tensor max(Tensor x, int dim) {
        int d = Shape.normalizeDim(dim, x.dim(), "max");
        NDArray idx = x.data().argMax(d, true);
        NDArray values = x.data().gather(d, idx).squeeze(d);
        MaxBackward0 n = Graph.needsGrad(x) ? new MaxBackward0(x.shape(), d, idx) : null;
        return Graph.record(n, values, x);
    }

    static final class SumBackward0 extends Node {
        private final int[] shape;

        SumBackward0(int[] shape) {
            this.shape = shape;
        }

        @Override
        protected Tensor[] backward(Tensor[] g) {
            return new Tensor[] {g[0].reshape(ones(shape.length)).expand(shape)};
        }
    }

    static final class SumBackward1 extends Node {
        private final int[] shape;
        private final int[] dims;
        private final boolean keepDim;

        SumBackward1(int[] shape, int[] dims, boolean keepDim) {
            this.shape = shape;
            this.dims = dims;
            this.keepDim = keepDim;
        }

        @Override
        public String name() {
            return "SumBackward1";
        }

        @Override
        protected Tensor[] backward(Tensor[] g) {
            int[] kept = shape.clone();
            for (int d : dims) {
                kept[d] = 1;
            }
            return new Tensor[] {g[0].reshape(kept).expand(shape)};
        }
    }

    static final class MaxBackward0 extends Node {
        private final int[] shape;
        private final int dim;
        private final NDArray index;

        MaxBackward0(int[] shape, int dim, NDArray index) {
            this.shape = shape;
            this.dim = dim;
            this.index = index;
        }

        @Override
        protected Tensor[] backward(Tensor[] g) {
            NDArray z = NDArray.zeros(g[0].dtype() == DType.FLOAT64 ? DType.FLOAT64 : DType.FLOAT32, shape);
            z.scatterAdd_(dim, index, g[0].data().unsqueeze(dim));
            return new Tensor[] {Tensor.wrap(z)};
        }
    }

    private static int[] ones(int n) {
        int[] r = new int[n];
        java.util.Arrays.fill(r, 1);
        return r;
    }
}
