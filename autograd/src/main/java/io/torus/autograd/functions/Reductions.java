package io.torus.autograd.functions;

import io.torus.autograd.Tensor;
import io.torus.autograd.engine.Node;
import io.torus.tensor.NDArray;
import io.torus.tensor.Shape;
import io.torus.tensor.op.BinaryOp;
import io.torus.tensor.op.ReduceOp;

/** sum, mean, max and min, over all elements or over dims. Mean is sum / n (composed). */
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
        return extreme(x, dim, false, true);
    }

    /** Largest (max) or smallest values along {@code dim}; gradients flow to the first position holding each. */
    public static Tensor extreme(Tensor x, int dim, boolean keepDim, boolean max) {
        String op = max ? "max" : "min";
        int d = Shape.normalizeDim(dim, x.dim(), op);
        NDArray idx = max ? x.data().argMax(d, true) : x.data().argMin(d, true);
        NDArray values = x.data().gather(d, idx);
        Node n = Graph.needsGrad(x) ? new ExtremeBackward(max ? "MaxBackward0" : "MinBackward0", x.shape(), d, keepDim,
                Tensor.wrap(idx)) : null;
        return Graph.record(n, keepDim ? values : values.squeeze(d), x);
    }

    /** The largest (max) or smallest element, 0-dim; the gradient is shared evenly among ties, as in PyTorch. */
    public static Tensor extreme(Tensor x, boolean max) {
        NDArray value = x.data().reduce(max ? ReduceOp.MAX : ReduceOp.MIN, new int[0], false);
        Node n = null;
        if (Graph.needsGrad(x)) {
            double v = value.item();
            NDArray hits = Double.isNaN(v) ? x.data().binary(BinaryOp.NE, x.data()) : x.data().binary(BinaryOp.EQ, value);
            n = new ExtremeAllBackward(max ? "MaxBackward1" : "MinBackward1", Tensor.wrap(hits), hits.sum().item());
        }
        return Graph.record(n, value, x);
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

    static final class ExtremeBackward extends Node {
        private final String name;
        private final int[] shape;
        private final int dim;
        private final boolean keepDim;
        private final Tensor index;

        ExtremeBackward(String name, int[] shape, int dim, boolean keepDim, Tensor index) {
            this.name = name;
            this.shape = shape;
            this.dim = dim;
            this.keepDim = keepDim;
            this.index = index;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        protected Tensor[] backward(Tensor[] g) {
            if (shape.length == 0) {
                return new Tensor[] {g[0]};
            }
            Tensor spread = keepDim ? g[0] : g[0].unsqueeze(dim);
            Tensor zeros = Tensor.wrap(NDArray.zeros(g[0].device(), g[0].dtype(), shape));
            return new Tensor[] {Indexing.scatterAdd(zeros, dim, index, spread)};
        }
    }

    static final class ExtremeAllBackward extends Node {
        private final String name;
        private final Tensor hits;
        private final double count;

        ExtremeAllBackward(String name, Tensor hits, double count) {
            this.name = name;
            this.hits = hits;
            this.count = count;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        protected Tensor[] backward(Tensor[] g) {
            return new Tensor[] {g[0].div(count).mul(hits)};
        }
    }

    private static int[] ones(int n) {
        int[] r = new int[n];
        java.util.Arrays.fill(r, 1);
        return r;
    }
}
