package io.torus.autograd.functions;

import io.torus.autograd.GradMode;
import io.torus.autograd.Tensor;
import io.torus.autograd.engine.Node;
import io.torus.autograd.engine.SavedTensor;
import io.torus.tensor.NDArray;
import io.torus.tensor.op.BinaryOp;
import io.torus.tensor.op.UnaryOp;

/** Elementwise functions of one tensor: forward and backward side by side. */
public final class Pointwise {
    private Pointwise() {
    }

    /** Applies {@code op}; the backward formula is chosen by the op. */
    public static Tensor apply(UnaryOp op, Tensor x) {
        Tensor out = Tensor.wrap(x.data().unary(op));
        if (!Graph.needsGrad(x)) {
            return out;
        }
        UnaryBackward n = new UnaryBackward(op);
        // ops whose derivative is cheapest from the result save the result, others the input
        boolean fromResult = op == UnaryOp.EXP || op == UnaryOp.SQRT || op == UnaryOp.RELU || op == UnaryOp.SIGMOID
                || op == UnaryOp.TANH;
        n.connect(x);
        Tensor result = Tensor.fromOp(out.data(), n, 0);
        n.saved = n.save(fromResult ? result : x);
        return result;
    }

    /** Every element clamped into [min, max] (an infinite bound is no bound); the gradient passes inside. */
    public static Tensor clamp(Tensor x, double min, double max) {
        NDArray out = x.data().clamp(min, max);
        ClampBackward1 n = null;
        if (Graph.needsGrad(x)) {
            n = new ClampBackward1(min, max);
            n.x = n.save(x);
        }
        return Graph.record(n, out, x);
    }

    /** The gradient where {@code min <= x <= max} (bounds included, as in PyTorch), zero elsewhere. */
    static final class ClampBackward1 extends Node {
        private final double min;
        private final double max;
        SavedTensor x;

        ClampBackward1(double min, double max) {
            this.min = min;
            this.max = max;
        }

        @Override
        protected Tensor[] backward(Tensor[] g) {
            Tensor in = x.unpack();
            return new Tensor[] {g[0].mul(in.ge(min).mul(in.le(max)))};
        }
    }

    /**
     * {@code g * (result > 0)}. Under {@code createGraph} (grad mode on inside backward) the
     * composite formula, so that the gradient is differentiable again; otherwise the fused
     * {@link BinaryOp#RELU_BACKWARD}, one pass instead of a mask, a dtype conversion and a product.
     */
    static Tensor reluBackward(Tensor g, Tensor result) {
        if (GradMode.isEnabled()) {
            return g.mul(result.gt(0));
        }
        return Tensor.wrap(g.data().binary(BinaryOp.RELU_BACKWARD, result.data()));
    }

    static final class UnaryBackward extends Node {
        private final UnaryOp op;
        SavedTensor saved;

        UnaryBackward(UnaryOp op) {
            this.op = op;
        }

        @Override
        public String name() {
            String n = op.name().charAt(0) + op.name().substring(1).toLowerCase();
            return n + "Backward0";
        }

        @Override
        protected Tensor[] backward(Tensor[] gs) {
            Tensor g = gs[0];
            Tensor s = saved.unpack();
            Tensor r = switch (op) {
                case NEG -> g.neg();
                case EXP -> g.mul(s);
                case LOG -> g.div(s);
                case SQRT -> g.div(s.mul(2));
                case ABS -> g.mul(s.sign());
                case RELU -> reluBackward(g, s);
                case SIGMOID -> g.mul(s.mul(s.neg().add(1)));
                case TANH -> g.mul(s.mul(s).neg().add(1));
                case SIN -> g.mul(s.cos());
                case COS -> g.mul(s.sin().neg());
                case SIGN -> g.mul(0);
            };
            return new Tensor[] {r};
        }
    }
}
