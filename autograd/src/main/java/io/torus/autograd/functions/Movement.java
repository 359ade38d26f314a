package io.torus.autograd.functions;

import io.torus.autograd.Tensor;
import io.torus.autograd.engine.Node;
import io.torus.tensor.NDArray;
import io.torus.tensor.Shape;

import java.util.ArrayList;
import java.util.List;

/**
 * Views and reshapes: the output shares storage with the input wherever PyTorch's does.
 *
 * <p>Note [Differentiable view backwards]: the backward of a view that keeps only part of its
 * input (narrow, select, split) places the gradient back into a zero tensor of the input's
 * shape. It does so with {@link Joining#cat} of the gradient and zero blocks rather than by
 * writing into an array, so the backward is itself recorded when {@code createGraph} is set, and
 * second derivatives flow through it (cat's backward is narrow, narrow's backward is cat).
 */
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

    /** Drops every size-1 dim (a view). */
    public static Tensor squeeze(Tensor x) {
        return viewLike(x, x.data().squeeze(), "SqueezeBackward0");
    }

    public static Tensor narrow(Tensor x, int dim, int start, int length) {
        NDArray out = x.data().narrow(dim, start, length);
        Node n = null;
        if (Graph.needsGrad(x)) {
            int d = Shape.normalizeDim(dim, x.dim(), "narrow");
            n = new SliceBackward0(x.shape(), d, start < 0 ? start + x.shape()[d] : start);
        }
        return Graph.record(n, out, x);
    }

    public static Tensor select(Tensor x, int dim, int index) {
        NDArray out = x.data().select(dim, index);
        Node n = null;
        if (Graph.needsGrad(x)) {
            int d = Shape.normalizeDim(dim, x.dim(), "select");
            n = new SelectBackward0(x.shape(), d, index < 0 ? index + x.shape()[d] : index);
        }
        return Graph.record(n, out, x);
    }

    /**
     * Views of consecutive pieces of {@code sizes[i]} elements along {@code dim}: one node with an
     * output per piece, whose backward concatenates the pieces' gradients (zeros for unused ones).
     */
    public static List<Tensor> split(Tensor x, int[] sizes, int dim, String name) {
        List<NDArray> pieces = x.data().split(sizes, dim);
        SplitBackward n = null;
        if (Graph.needsGrad(x)) {
            n = new SplitBackward(name, x.shape(), Shape.normalizeDim(dim, x.dim(), "split"), sizes.clone());
            n.connect(x);
        }
        List<Tensor> out = new ArrayList<>(pieces.size());
        for (int i = 0; i < pieces.size(); i++) {
            Tensor t = n == null ? Tensor.wrap(pieces.get(i)) : Tensor.fromOp(pieces.get(i), n, i);
            out.add(t.markViewOf(x));
        }
        return out;
    }

    /**
     * A tensor of {@code shape} holding {@code g} at {@code start ..} along {@code dim} and zeros
     * elsewhere, built with cat (Note [Differentiable view backwards]).
     */
    static Tensor embed(Tensor g, int[] shape, int dim, int start) {
        int length = g.shape()[dim];
        if (length == shape[dim]) {
            return g;
        }
        List<Tensor> parts = new ArrayList<>(3);
        if (start > 0) {
            parts.add(zerosAlong(g, shape, dim, start));
        }
        parts.add(g);
        int after = shape[dim] - start - length;
        if (after > 0) {
            parts.add(zerosAlong(g, shape, dim, after));
        }
        return Joining.cat(dim, parts.toArray(new Tensor[0]));
    }

    private static Tensor zerosAlong(Tensor g, int[] shape, int dim, int size) {
        int[] s = shape.clone();
        s[dim] = size;
        return Tensor.wrap(NDArray.zeros(g.device(), g.dtype(), s));
    }

    static final class SliceBackward0 extends Node {
        private final int[] shape;
        private final int dim;
        private final int start;

        SliceBackward0(int[] shape, int dim, int start) {
            this.shape = shape;
            this.dim = dim;
            this.start = start;
        }

        @Override
        protected Tensor[] backward(Tensor[] g) {
            return new Tensor[] {embed(g[0], shape, dim, start)};
        }
    }

    static final class SelectBackward0 extends Node {
        private final int[] shape;
        private final int dim;
        private final int index;

        SelectBackward0(int[] shape, int dim, int index) {
            this.shape = shape;
            this.dim = dim;
            this.index = index;
        }

        @Override
        protected Tensor[] backward(Tensor[] g) {
            return new Tensor[] {embed(g[0].unsqueeze(dim), shape, dim, index)};
        }
    }

    static final class SplitBackward extends Node {
        private final String name;
        private final int[] shape;
        private final int dim;
        private final int[] sizes;

        SplitBackward(String name, int[] shape, int dim, int[] sizes) {
            super(sizes.length);
            this.name = name;
            this.shape = shape;
            this.dim = dim;
            this.sizes = sizes;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        protected Tensor[] backward(Tensor[] g) {
            Tensor any = null;
            for (Tensor t : g) {
                any = any == null ? t : any;
            }
            Tensor[] parts = new Tensor[sizes.length];
            for (int i = 0; i < sizes.length; i++) {
                parts[i] = g[i] != null ? g[i] : zerosAlong(any, shape, dim, sizes[i]);
            }
            return new Tensor[] {parts.length == 1 ? parts[0] : Joining.cat(dim, parts)};
        }
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

    /** {@code x} copied to {@code device}; the gradient goes back to x's device (PyTorch's ToCopyBackward0). */
    public static Tensor toDevice(Tensor x, io.torus.tensor.Device device) {
        NDArray out = x.data().to(device);
        Node n = Graph.needsGrad(x) ? new ToCopyBackward0(x.dtype(), x.device()) : null;
        return Graph.record(n, out, x);
    }

    static final class ToCopyBackward0 extends Node {
        private final io.torus.tensor.DType dtype;
        private final io.torus.tensor.Device device; // null: same device

        ToCopyBackward0(io.torus.tensor.DType dtype) {
            this(dtype, null);
        }

        ToCopyBackward0(io.torus.tensor.DType dtype, io.torus.tensor.Device device) {
            this.dtype = dtype;
            this.device = device;
        }

        @Override
        protected Tensor[] backward(Tensor[] g) {
            Tensor r = device == null ? g[0] : g[0].to(device);
            return new Tensor[] {r.to(dtype)};
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
