package io.torus.autograd.functions;

import io.torus.autograd.Tensor;
import io.torus.autograd.engine.Node;
import io.torus.autograd.engine.SavedTensor;
import io.torus.tensor.DType;
import io.torus.tensor.NDArray;
import io.torus.tensor.op.BinaryOp;
import io.torus.tensor.op.UnaryOp;

/** add, sub, mul, div, neg, pow: forward and backward side by side. */
public final class Arithmetic {
    private Arithmetic() {
    }

    public static Tensor add(Tensor a, Tensor b) {
        AddBackward0 n = Graph.needsGrad(a, b) ? new AddBackward0(a.shape(), b.shape()) : null;
        return Graph.record(n, a.data().binary(BinaryOp.ADD, b.data()), a, b);
    }

    public static Tensor sub(Tensor a, Tensor b) {
        SubBackward0 n = Graph.needsGrad(a, b) ? new SubBackward0(a.shape(), b.shape()) : null;
        return Graph.record(n, a.data().binary(BinaryOp.SUB, b.data()), a, b);
    }

    public static Tensor mul(Tensor a, Tensor b) {
        MulBackward0 n = null;
        if (Graph.needsGrad(a, b)) {
            n = new MulBackward0();
            n.a = b.requiresGrad() ? n.save(a) : null;
            n.b = a.requiresGrad() ? n.save(b) : null;
            n.aShape = a.shape();
            n.bShape = b.shape();
        }
        return Graph.record(n, a.data().binary(BinaryOp.MUL, b.data()), a, b);
    }

    public static Tensor div(Tensor a, Tensor b) {
        DivBackward0 n = null;
        if (Graph.needsGrad(a, b)) {
            n = new DivBackward0();
            n.a = n.save(a);
            n.b = n.save(b);
        }
        return Graph.record(n, a.data().binary(BinaryOp.DIV, b.data()), a, b);
    }

    public static Tensor neg(Tensor a) {
        return Graph.record(Graph.needsGrad(a) ? new NegBackward0() : null, a.data().unary(UnaryOp.NEG), a);
    }

    public static Tensor pow(Tensor a, double p) {
        PowBackward0 n = null;
        if (Graph.needsGrad(a)) {
            n = new PowBackward0();
            n.a = n.save(a);
            n.p = p;
        }
        return Graph.record(n, a.data().binary(BinaryOp.POW, p), a);
    }

    /** {@code a} to the elementwise power {@code b}, broadcast. */
    public static Tensor pow(Tensor a, Tensor b) {
        NDArray out = a.data().binary(BinaryOp.POW, b.data());
        if (!Graph.needsGrad(a, b)) {
            return Tensor.wrap(out);
        }
        PowBackward1 n = new PowBackward1(a.shape(), a.dtype(), b.shape(), b.dtype());
        n.connect(a, b);
        Tensor result = Tensor.fromOp(out, n, 0);
        n.a = n.save(a);
        n.b = n.save(b);
        n.result = b.requiresGrad() ? n.save(result) : null;
        return result;
    }

    static final class AddBackward0 extends Node {
        private final int[] aShape;
        private final int[] bShape;

        AddBackward0(int[] aShape, int[] bShape) {
            this.aShape = aShape;
            this.bShape = bShape;
        }

        @Override
        protected Tensor[] backward(Tensor[] g) {
            return new Tensor[] {needsInputGrad(0) ? Graph.sumTo(g[0], aShape) : null,
                    needsInputGrad(1) ? Graph.sumTo(g[0], bShape) : null};
        }
    }

    static final class SubBackward0 extends Node {
        private final int[] aShape;
        private final int[] bShape;

        SubBackward0(int[] aShape, int[] bShape) {
            this.aShape = aShape;
            this.bShape = bShape;
        }

        @Override
        protected Tensor[] backward(Tensor[] g) {
            return new Tensor[] {needsInputGrad(0) ? Graph.sumTo(g[0], aShape) : null,
                    needsInputGrad(1) ? Graph.sumTo(g[0].neg(), bShape) : null};
        }
    }

    static final class MulBackward0 extends Node {
        SavedTensor a;
        SavedTensor b;
        int[] aShape;
        int[] bShape;

        @Override
        protected Tensor[] backward(Tensor[] g) {
            return new Tensor[] {needsInputGrad(0) ? Graph.sumTo(g[0].mul(b.unpack()), aShape) : null,
                    needsInputGrad(1) ? Graph.sumTo(g[0].mul(a.unpack()), bShape) : null};
        }
    }

    static final class DivBackward0 extends Node {
        SavedTensor a;
        SavedTensor b;

        @Override
        protected Tensor[] backward(Tensor[] g) {
            Tensor x = a.unpack();
            Tensor y = b.unpack();
            return new Tensor[] {needsInputGrad(0) ? Graph.sumTo(g[0].div(y), x.shape()) : null,
                    needsInputGrad(1) ? Graph.sumTo(g[0].neg().mul(x).div(y.mul(y)), y.shape()) : null};
        }
    }

    static final class NegBackward0 extends Node {
        @Override
        protected Tensor[] backward(Tensor[] g) {
            return new Tensor[] {g[0].neg()};
        }
    }

    /**
     * d(a^b)/da = b a^(b-1); d(a^b)/db = a^b log a, taken as 0 where a = 0 and b >= 0 (the limit
     * PyTorch uses, which keeps 0^b differentiable in b instead of NaN).
     */
    static final class PowBackward1 extends Node {
        private final int[] aShape;
        private final DType aDtype;
        private final int[] bShape;
        private final DType bDtype;
        SavedTensor a;
        SavedTensor b;
        SavedTensor result;

        PowBackward1(int[] aShape, DType aDtype, int[] bShape, DType bDtype) {
            this.aShape = aShape;
            this.aDtype = aDtype;
            this.bShape = bShape;
            this.bDtype = bDtype;
        }

        @Override
        protected Tensor[] backward(Tensor[] g) {
            Tensor x = a.unpack();
            Tensor p = b.unpack();
            Tensor ga = null;
            Tensor gb = null;
            if (needsInputGrad(0)) {
                ga = Graph.sumTo(g[0].mul(p).mul(x.pow(p.sub(1))), aShape, aDtype);
            }
            if (needsInputGrad(1)) {
                Tensor zeroBase = x.eq(0).mul(p.ge(0));
                Tensor d = Tensor.where(zeroBase, Tensor.wrap(NDArray.scalar(0, g[0].dtype())), result.unpack().mul(x.log()));
                gb = Graph.sumTo(g[0].mul(d), bShape, bDtype);
            }
            return new Tensor[] {ga, gb};
        }
    }

    static final class PowBackward0 extends Node {
        SavedTensor a;
        double p;

        @Override
        protected Tensor[] backward(Tensor[] g) {
            if (p == 0) {
                return new Tensor[] {g[0].mul(0)};
            }
            return new Tensor[] {g[0].mul(a.unpack().pow(p - 1).mul(p))};
        }
    }
}
