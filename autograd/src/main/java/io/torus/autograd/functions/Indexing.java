package io.torus.autograd.functions;

import io.torus.autograd.Tensor;
import io.torus.autograd.engine.Node;
import io.torus.autograd.engine.SavedTensor;
import io.torus.tensor.DType;
import io.torus.tensor.NDArray;
import io.torus.tensor.Shape;

/**
 * Indexing and selection: forward and backward side by side.
 *
 * <p>The ops come in dual pairs, each one's backward being the other applied to the gradient:
 * gather and scatter_add, index_select and index_add, masked_select and masked_scatter. A read
 * at an index becomes, going backwards, an accumulation at that index into zeros of the input's
 * shape (repeated indices add up). Every backward is written with these differentiable ops, so
 * second derivatives work; where's backward is where again. Index and mask tensors are constants
 * of the graph: they never receive gradients.
 */
public final class Indexing {
    private Indexing() {
    }

    public static Tensor indexSelect(Tensor x, int dim, Tensor index) {
        NDArray out = x.data().indexSelect(dim, index.data());
        IndexSelectBackward0 n = null;
        if (Graph.needsGrad(x)) {
            n = new IndexSelectBackward0(x.shape(), Shape.normalizeDim(dim, x.dim(), "indexSelect"));
            n.index = n.save(index);
        }
        return Graph.record(n, out, x);
    }

    /** {@code self} with the slices of {@code source} along {@code dim} added at {@code index} (out of place). */
    public static Tensor indexAdd(Tensor self, int dim, Tensor index, Tensor source) {
        NDArray out = self.data().copy().indexAdd_(dim, index.data(), source.data());
        IndexAddBackward0 n = null;
        if (Graph.needsGrad(self, source)) {
            n = new IndexAddBackward0(Shape.normalizeDim(dim, self.dim(), "indexAdd"), source.dtype());
            n.index = n.save(index);
        }
        return Graph.record(n, out, self, source);
    }

    public static Tensor gather(Tensor x, int dim, Tensor index) {
        NDArray out = x.data().gather(dim, index.data());
        GatherBackward0 n = null;
        if (Graph.needsGrad(x)) {
            n = new GatherBackward0(x.shape(), Shape.normalizeDim(dim, x.dim(), "gather"));
            n.index = n.save(index);
        }
        return Graph.record(n, out, x);
    }

    /** {@code self} with {@code src} added at {@code index} along {@code dim} (out of place). */
    public static Tensor scatterAdd(Tensor self, int dim, Tensor index, Tensor src) {
        NDArray out = self.data().copy().scatterAdd_(dim, index.data(), src.data());
        ScatterAddBackward0 n = null;
        if (Graph.needsGrad(self, src)) {
            n = new ScatterAddBackward0(Shape.normalizeDim(dim, self.dim(), "scatterAdd"), src.dtype());
            n.index = n.save(index);
        }
        return Graph.record(n, out, self, src);
    }

    public static Tensor maskedSelect(Tensor x, Tensor mask) {
        NDArray out = x.data().maskedSelect(mask.data());
        MaskedSelectBackward0 n = null;
        if (Graph.needsGrad(x)) {
            n = new MaskedSelectBackward0(x.shape(), Shape.broadcast(x.shape(), mask.shape(), "maskedSelect"));
            n.mask = n.save(mask);
        }
        return Graph.record(n, out, x);
    }

    /** {@code self} with consecutive elements of {@code source} written where {@code mask} is true (out of place). */
    public static Tensor maskedScatter(Tensor self, Tensor mask, Tensor source) {
        NDArray out = self.data().copy().maskedScatter_(mask.data(), source.data());
        MaskedScatterBackward0 n = null;
        if (Graph.needsGrad(self, source)) {
            n = new MaskedScatterBackward0(source.shape(), source.dtype());
            n.mask = n.save(mask);
        }
        return Graph.record(n, out, self, source);
    }

    /** {@code cond ? a : b}, broadcast; gradients flow to the branch each element came from. */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) {
        NDArray out = NDArray.where(cond.data(), a.data(), b.data());
        WhereBackward0 n = null;
        if (Graph.needsGrad(a, b)) {
            n = new WhereBackward0(a.shape(), a.dtype(), b.shape(), b.dtype());
            n.cond = n.save(cond);
        }
        return Graph.record(n, out, a, b);
    }

    private static Tensor toInput(Tensor g, int[] shape, DType dtype) {
        return Graph.sumTo(g, shape, dtype);
    }

    private static Tensor zeros(Tensor like, int[] shape) {
        return Tensor.wrap(NDArray.zeros(like.device(), like.dtype(), shape));
    }

    static final class IndexSelectBackward0 extends Node {
        private final int[] shape;
        private final int dim;
        SavedTensor index;

        IndexSelectBackward0(int[] shape, int dim) {
            this.shape = shape;
            this.dim = dim;
        }

        @Override
        protected Tensor[] backward(Tensor[] g) {
            return new Tensor[] {indexAdd(zeros(g[0], shape), dim, index.unpack(), g[0])};
        }
    }

    static final class IndexAddBackward0 extends Node {
        private final int dim;
        private final DType sourceDtype;
        SavedTensor index;

        IndexAddBackward0(int dim, DType sourceDtype) {
            this.dim = dim;
            this.sourceDtype = sourceDtype;
        }

        @Override
        protected Tensor[] backward(Tensor[] g) {
            Tensor source = needsInputGrad(1) ? g[0].indexSelect(dim, index.unpack()) : null;
            return new Tensor[] {needsInputGrad(0) ? g[0] : null,
                    source == null || source.dtype() == sourceDtype ? source : source.to(sourceDtype)};
        }
    }

    static final class GatherBackward0 extends Node {
        private final int[] shape;
        private final int dim;
        SavedTensor index;

        GatherBackward0(int[] shape, int dim) {
            this.shape = shape;
            this.dim = dim;
        }

        @Override
        protected Tensor[] backward(Tensor[] g) {
            return new Tensor[] {scatterAdd(zeros(g[0], shape), dim, index.unpack(), g[0])};
        }
    }

    static final class ScatterAddBackward0 extends Node {
        private final int dim;
        private final DType srcDtype;
        SavedTensor index;

        ScatterAddBackward0(int dim, DType srcDtype) {
            this.dim = dim;
            this.srcDtype = srcDtype;
        }

        @Override
        protected Tensor[] backward(Tensor[] g) {
            Tensor src = needsInputGrad(1) ? g[0].gather(dim, index.unpack()) : null;
            return new Tensor[] {needsInputGrad(0) ? g[0] : null,
                    src == null || src.dtype() == srcDtype ? src : src.to(srcDtype)};
        }
    }

    static final class MaskedSelectBackward0 extends Node {
        private final int[] shape;
        private final int[] broadcastShape;
        SavedTensor mask;

        MaskedSelectBackward0(int[] shape, int[] broadcastShape) {
            this.shape = shape;
            this.broadcastShape = broadcastShape;
        }

        @Override
        protected Tensor[] backward(Tensor[] g) {
            return new Tensor[] {Graph.sumTo(maskedScatter(zeros(g[0], broadcastShape), mask.unpack(), g[0]), shape)};
        }
    }

    static final class MaskedScatterBackward0 extends Node {
        private final int[] sourceShape;
        private final DType sourceDtype;
        SavedTensor mask;

        MaskedScatterBackward0(int[] sourceShape, DType sourceDtype) {
            this.sourceShape = sourceShape;
            this.sourceDtype = sourceDtype;
        }

        @Override
        protected Tensor[] backward(Tensor[] g) {
            Tensor self = null;
            Tensor source = null;
            if (needsInputGrad(0)) {
                self = where(mask.unpack(), Tensor.wrap(NDArray.scalar(0, g[0].dtype())), g[0]);
            }
            if (needsInputGrad(1)) {
                Tensor picked = maskedSelect(g[0], mask.unpack());
                long unused = Shape.numel(sourceShape) - picked.numel();
                if (unused > 0) { // source elements past the mask's count receive no gradient
                    picked = Joining.cat(0, picked, Tensor.wrap(NDArray.zeros(picked.device(), picked.dtype(), (int) unused)));
                }
                source = toInput(picked.reshape(sourceShape), sourceShape, sourceDtype);
            }
            return new Tensor[] {self, source};
        }
    }

    static final class WhereBackward0 extends Node {
        private final int[] aShape;
        private final DType aDtype;
        private final int[] bShape;
        private final DType bDtype;
        SavedTensor cond;

        WhereBackward0(int[] aShape, DType aDtype, int[] bShape, DType bDtype) {
            this.aShape = aShape;
            this.aDtype = aDtype;
            this.bShape = bShape;
            this.bDtype = bDtype;
        }

        @Override
        protected Tensor[] backward(Tensor[] g) {
            Tensor zero = Tensor.wrap(NDArray.scalar(0, g[0].dtype()));
            return new Tensor[] {needsInputGrad(0) ? toInput(where(cond.unpack(), g[0], zero), aShape, aDtype) : null,
                    needsInputGrad(1) ? toInput(where(cond.unpack(), zero, g[0]), bShape, bDtype) : null};
        }
    }
}
