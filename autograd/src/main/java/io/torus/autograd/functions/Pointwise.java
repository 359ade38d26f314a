package io.torus.autograd.functions;

import io.torus.autograd.Tensor;
import io.torus.autograd.engine.Node;
import io.torus.autograd.engine.SavedTensor;
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
                case RELU -> g.mul(s.gt(0));
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
