package io.torus.autograd.functions;

import io.torus.autograd.Tensor;
import io.torus.autograd.engine.Node;
import io.torus.tensor.NDArray;
import io.torus.tensor.op.Pool2dParams;

/**
 * 2-D max and average pooling (NCHW). Max pooling keeps the arg-max indices of its forward pass
 * (internal, never written in place, so not version-checked) and routes each gradient back to
 * its index; average pooling spreads each gradient evenly over its window. First-order only.
 */
public final class Pooling {
    private Pooling() {
    }

    public static Tensor maxPool2d(Tensor x, Pool2dParams p) {
        NDArray[] valuesAndIndices = x.data().maxPool2dWithIndices(p);
        Node n = Graph.needsGrad(x) ? new MaxPool2DWithIndicesBackward0(x.shape(), p, valuesAndIndices[1]) : null;
        return Graph.record(n, valuesAndIndices[0], x);
    }

    public static Tensor avgPool2d(Tensor x, Pool2dParams p) {
        Node n = Graph.needsGrad(x) ? new AvgPool2DBackward0(x.shape(), p) : null;
        return Graph.record(n, x.data().avgPool2d(p), x);
    }

    static final class MaxPool2DWithIndicesBackward0 extends Node {
        private final int[] inputShape;
        private final Pool2dParams p;
        private final NDArray indices;

        MaxPool2DWithIndicesBackward0(int[] inputShape, Pool2dParams p, NDArray indices) {
            this.inputShape = inputShape;
            this.p = p;
            this.indices = indices;
        }

        @Override
        protected Tensor[] backward(Tensor[] g) {
            return new Tensor[] {Tensor.wrap(g[0].data().maxPool2dBackward(indices, inputShape, p))};
        }
    }

    static final class AvgPool2DBackward0 extends Node {
        private final int[] inputShape;
        private final Pool2dParams p;

        AvgPool2DBackward0(int[] inputShape, Pool2dParams p) {
            this.inputShape = inputShape;
            this.p = p;
        }

        @Override
        protected Tensor[] backward(Tensor[] g) {
            return new Tensor[] {Tensor.wrap(g[0].data().avgPool2dBackward(inputShape, p))};
        }
    }
}
