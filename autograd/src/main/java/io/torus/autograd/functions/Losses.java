package io.torus.autograd.functions;

import io.torus.autograd.Tensor;
import io.torus.autograd.engine.Node;
import io.torus.autograd.engine.SavedTensor;
import io.torus.tensor.DType;
import io.torus.tensor.NDArray;
import io.torus.tensor.Shape;

/** log-softmax and the negative log-likelihood loss (cross-entropy is their composition). */
public final class Losses {
    private Losses() {
    }

    public static Tensor logSoftmax(Tensor x, int dim) {
        int d = Shape.normalizeDim(dim, x.dim(), "logSoftmax");
        NDArray out = x.data().logSoftmax(d);
        if (!Graph.needsGrad(x)) {
            return Tensor.wrap(out);
        }
        LogSoftmaxBackward0 n = new LogSoftmaxBackward0(d);
        n.connect(x);
        Tensor result = Tensor.fromOp(out, n, 0);
        n.result = n.save(result);
        return result;
    }

    /**
     * Mean (or sum) over the batch of {@code -logProbs[i, target[i]]}; {@code logProbs} is
     * {@code [N, C]}, {@code target} INT64 {@code [N]} with values in 0..C-1.
     */
    public static Tensor nllLoss(Tensor logProbs, Tensor target, boolean mean) {
        if (logProbs.dim() != 2 || target.dim() != 1 || target.shape()[0] != logProbs.shape()[0]) {
            throw new IllegalArgumentException("nllLoss: expected input [N, C] and target [N], got "
                    + Shape.str(logProbs.shape()) + " and " + Shape.str(target.shape()));
        }
        if (target.dtype() != DType.INT64 && target.dtype() != DType.INT32) {
            throw new IllegalArgumentException("nllLoss: class targets must be INT64, got " + target.dtype());
        }
        int c = logProbs.shape()[1];
        long[] t = target.data().toLongArray();
        for (long v : t) {
            if (v < 0 || v >= c) {
                throw new IllegalArgumentException("nllLoss: target " + v + " is out of bounds for " + c + " classes");
            }
        }
        NDArray idx = target.data().to(DType.INT64).unsqueeze(1);
        NDArray picked = logProbs.data().gather(1, idx);
        NDArray total = picked.sum().binary(io.torus.tensor.op.BinaryOp.MUL, mean ? -1.0 / Math.max(1, t.length) : -1.0);
        NllLossBackward0 n = Graph.needsGrad(logProbs) ? new NllLossBackward0(logProbs.shape(), idx, mean) : null;
        return Graph.record(n, total, logProbs);
    }

    static final class LogSoftmaxBackward0 extends Node {
        private final int dim;
        SavedTensor result;

        LogSoftmaxBackward0(int dim) {
            this.dim = dim;
        }

        @Override
        protected Tensor[] backward(Tensor[] g) {
            Tensor y = result.unpack();
            return new Tensor[] {g[0].sub(y.exp().mul(g[0].sum(new int[] {dim}, true)))};
        }
    }

    static final class NllLossBackward0 extends Node {
        private final int[] shape;
        private final NDArray index;
        private final boolean mean;

        NllLossBackward0(int[] shape, NDArray index, boolean mean) {
            this.shape = shape;
            this.index = index;
            this.mean = mean;
        }

        @Override
        protected Tensor[] backward(Tensor[] g) {
            double scale = -g[0].item() / (mean ? Math.max(1, shape[0]) : 1);
            NDArray grad = NDArray.zeros(g[0].dtype(), shape);
            grad.scatterAdd_(1, index, NDArray.full(g[0].dtype(), scale, shape[0], 1));
            return new Tensor[] {Tensor.wrap(grad)};
        }
    }
}
