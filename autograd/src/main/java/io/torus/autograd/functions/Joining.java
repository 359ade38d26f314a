package io.torus.autograd.functions;

import io.torus.autograd.Tensor;
import io.torus.autograd.engine.Node;
import io.torus.tensor.DType;
import io.torus.tensor.NDArray;
import io.torus.tensor.Shape;

/** cat (and stack, which is cat of unsqueezed inputs): backward hands each input its slice. */
public final class Joining {
    private Joining() {
    }

    public static Tensor cat(int dim, Tensor... tensors) {
        if (tensors.length == 0) {
            throw new IllegalArgumentException("cat: expects a non-empty list of tensors");
        }
        int[] first = tensors[0].shape();
        int d = Shape.normalizeDim(dim, first.length, "cat");
        DType dt = tensors[0].dtype();
        int total = 0;
        int[] sizes = new int[tensors.length];
        for (int i = 0; i < tensors.length; i++) {
            int[] s = tensors[i].shape();
            if (s.length != first.length) {
                throw new IllegalArgumentException("cat: tensor " + i + " has rank " + s.length + ", expected " + first.length);
            }
            for (int k = 0; k < s.length; k++) {
                if (k != d && s[k] != first[k]) {
                    throw new IllegalArgumentException("cat: sizes of tensors must match except in dimension " + d
                            + ": tensor " + i + " has shape " + Shape.str(s) + ", tensor 0 has " + Shape.str(first));
                }
            }
            dt = DType.promote(dt, tensors[i].dtype());
            sizes[i] = s[d];
            total += s[d];
        }
        int[] outShape = first.clone();
        outShape[d] = total;
        NDArray out = NDArray.empty(tensors[0].device(), dt, outShape);
        int at = 0;
        for (int i = 0; i < tensors.length; i++) {
            out.narrow(d, at, sizes[i]).copy_(tensors[i].data());
            at += sizes[i];
        }
        Node n = Graph.needsGrad(tensors) ? new CatBackward0(d, sizes) : null;
        return Graph.record(n, out, tensors);
    }

    static final class CatBackward0 extends Node {
        private final int dim;
        private final int[] sizes;

        CatBackward0(int dim, int[] sizes) {
            this.dim = dim;
            this.sizes = sizes;
        }

        @Override
        protected Tensor[] backward(Tensor[] g) {
            Tensor[] r = new Tensor[sizes.length];
            int at = 0;
            for (int i = 0; i < sizes.length; i++) {
                if (needsInputGrad(i)) {
                    r[i] = Movement.narrow(g[0], dim, at, sizes[i]); // a view; differentiable when createGraph is set
                }
                at += sizes[i];
            }
            return r;
        }
    }
}
