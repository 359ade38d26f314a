package io.torus.autograd.functions;

import io.torus.autograd.GradMode;
import io.torus.autograd.Tensor;
import io.torus.autograd.engine.Node;
import io.torus.autograd.engine.SavedTensor;
import io.torus.tensor.DType;
import io.torus.tensor.NDArray;
import io.torus.tensor.Shape;

import java.util.Arrays;

/**
 * log-softmax and the per-element losses under {@code io.torus.nn}'s loss functions.
 *
 * <p>Every loss here returns one loss per element (PyTorch's {@code reduction='none'}); the mean
 * and the sum are composed above them, in {@code io.torus.nn.F}. The negative log-likelihood is
 * itself composed (a gather, whose backward is the index scatter). The two binary cross-entropies
 * have their own backward because composing them gives the wrong gradient at the edges:
 *
 * <ul>
 * <li>{@code binaryCrossEntropy} clamps each log at -100 as PyTorch does, so that a probability of
 * exactly 0 or 1 gives a finite loss. Composed as {@code clampMin(log(x), -100)} its gradient at
 * {@code x = 0} would be {@code 0 * (1/0) = NaN}; PyTorch's formula
 * {@code (x - t) / max(x (1 - x), 1e-12)} stays finite.</li>
 * <li>{@code binaryCrossEntropyWithLogits} uses the stable form
 * {@code (1 - t) x + lw (log(1 + exp(-|x|)) + max(-x, 0))}, {@code lw = 1 + (posWeight - 1) t}.
 * Composed, {@code |x|} and {@code max(-x, 0)} both have derivative 0 at {@code x = 0} where the
 * loss's true derivative is {@code 1/2 - t}: logits of exactly zero (a zero-initialised head) would
 * get the wrong gradient. The fused backward is {@code sigmoid(x) lw - posWeight t}.</li>
 * </ul>
 *
 * <p>Note [Fused cross-entropy]: the common case of a classifier's loss, logits {@code [N, C]},
 * INT64 targets {@code [N]}, no class weights, mean or sum, is one node
 * ({@link #crossEntropy(Tensor, Tensor, long, boolean)}) instead of the nine the composite records
 * (log-softmax, gather, squeeze, mul, neg, sum, div and their index and weight constants). Its
 * gradient is {@code (softmax(x) - onehot(t)) · g / total} on the rows whose target is not
 * ignored, from the log-probabilities kept from the forward; under {@code createGraph} the same
 * formula is evaluated with differentiable ops on a log-softmax recomputed from the saved logits,
 * so the gradient has a graph of its own (double backward), as the composite's did.
 */
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
     * Cross-entropy of logits {@code [N, C]} against INT64 class targets {@code [N]} without class
     * weights: the mean (or sum) over the targets that are not {@code ignoreIndex} of
     * {@code -logSoftmax(x)[n, t[n]]}; NaN as the mean of no targets, as PyTorch's. One node (Note
     * [Fused cross-entropy]).
     */
    public static Tensor crossEntropy(Tensor logits, Tensor target, long ignoreIndex, boolean mean) {
        if (logits.dim() != 2) {
            throw new IllegalArgumentException("crossEntropy: the fused form takes logits [N, C], got "
                    + Shape.str(logits.shape()));
        }
        checkNll(logits, target, null);
        int rows = logits.shape()[0];
        int classes = logits.shape()[1];
        long[] t = target.data().toLongArray();
        NDArray logp = logits.data().logSoftmax(1);
        double sum = 0;
        int counted = 0;
        for (int i = 0; i < rows; i++) {
            if (t[i] == ignoreIndex) {
                continue;
            }
            if (t[i] < 0 || t[i] >= classes) {
                throw new IllegalArgumentException("nllLoss: target " + t[i] + " is out of bounds for " + classes
                        + " classes (input " + Shape.str(logits.shape()) + ", valid targets 0.." + (classes - 1)
                        + " or the ignore index " + ignoreIndex + ")");
            }
            sum -= logp.getDouble((long) i * classes + t[i]);
            counted++;
        }
        double total = mean ? counted : 1;
        NDArray out = NDArray.scalar(mean ? sum / total : sum, logits.dtype());
        if (!Graph.needsGrad(logits)) {
            return Tensor.wrap(out);
        }
        CrossEntropyBackward0 n = new CrossEntropyBackward0(t, ignoreIndex, total, logp);
        n.logits = n.save(logits);
        return Graph.record(n, out, logits);
    }

    /**
     * Mean (or sum) over the batch of {@code -logProbs[i, target[i]]}, {@code logProbs [N, C]}; the
     * unweighted special case of {@link #nllLoss(Tensor, Tensor, Tensor, long)} followed by a sum.
     */
    public static Tensor nllLoss(Tensor logProbs, Tensor target, boolean mean) {
        Tensor total = nllLoss(logProbs, target, null, Long.MIN_VALUE).sum();
        return mean ? total.div(Math.max(1, target.numel())) : total;
    }

    /**
     * The negative log-likelihood of each target, {@code -weight[t] * input[n, t, d1, ...]} with
     * {@code t = target[n, d1, ...]}, in the target's shape; 0 where the target is
     * {@code ignoreIndex}.
     *
     * <p>Shapes, as PyTorch's {@code nll_loss}: input {@code [N, C]} with target {@code [N]}; input
     * {@code [C]} (one unbatched sample) with a 0-dim target; input {@code [N, C, d1, ..., dk]} with
     * target {@code [N, d1, ..., dk]}. Targets are INT64 class indices in {@code [0, C)} (or
     * {@code ignoreIndex}); {@code weight} is null or a floating-point {@code [C]} of class weights
     * (a constant: it receives no gradient).
     */
    public static Tensor nllLoss(Tensor input, Tensor target, Tensor weight, long ignoreIndex) {
        int classDim = checkNll(input, target, weight);
        int classes = input.shape()[classDim];
        long[] t = target.data().toLongArray();
        long[] safe = new long[t.length];
        double[] w = weight == null ? null : weight.data().toDoubleArray();
        double[] perTarget = new double[t.length]; // the target's class weight, 0 where ignored
        for (int i = 0; i < t.length; i++) {
            boolean ignored = t[i] == ignoreIndex;
            if (!ignored && (t[i] < 0 || t[i] >= classes)) {
                throw new IllegalArgumentException("nllLoss: target " + t[i] + " is out of bounds for " + classes
                        + " classes (input " + Shape.str(input.shape()) + ", valid targets 0.." + (classes - 1)
                        + (ignoreIndex == Long.MIN_VALUE ? "" : " or the ignore index " + ignoreIndex) + ")");
            }
            safe[i] = ignored ? 0 : t[i];
            perTarget[i] = ignored ? 0 : w == null ? 1 : w[(int) t[i]];
        }
        int[] idxShape = input.shape().clone();
        idxShape[classDim] = 1;
        Tensor index = Tensor.wrap(NDArray.of(safe, idxShape).to(input.device()));
        Tensor weights = Tensor.wrap(NDArray.of(perTarget, target.shape()).to(input.dtype()).to(input.device()));
        return input.gather(classDim, index).squeeze(classDim).mul(weights).neg(); // neg last: ignored targets give +0
    }

    /**
     * The divisor of the mean NLL: the summed weights of the targets that are not ignored (their
     * count when {@code weight} is null), as PyTorch's {@code total_weight}. Checks nothing.
     */
    public static double nllTotalWeight(Tensor target, Tensor weight, long ignoreIndex) {
        double[] w = weight == null ? null : weight.data().toDoubleArray();
        double total = 0;
        for (long t : target.data().toLongArray()) {
            if (t != ignoreIndex) {
                total += w == null ? 1 : w[(int) t];
            }
        }
        return total;
    }

    /** Validates nll_loss operands and returns the class dim of {@code input}. */
    private static int checkNll(Tensor input, Tensor target, Tensor weight) {
        if (target.dtype() != DType.INT64) {
            throw new IllegalArgumentException("nllLoss: expected class-index targets of dtype INT64, got " + target.dtype()
                    + " " + Shape.str(target.shape()));
        }
        if (!input.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("nllLoss: expected floating-point log-probabilities, got " + input.dtype()
                    + " " + Shape.str(input.shape()));
        }
        int[] in = input.shape();
        int[] expected;
        if (in.length == 0) {
            throw new IllegalArgumentException("nllLoss: input must have a class dim ([C], [N, C] or [N, C, d1, ...]), got a"
                    + " 0-dim tensor");
        } else if (in.length == 1) {
            expected = new int[0];
        } else {
            expected = new int[in.length - 1];
            expected[0] = in[0];
            System.arraycopy(in, 2, expected, 1, in.length - 2);
        }
        if (!Arrays.equals(expected, target.shape())) {
            throw new IllegalArgumentException("nllLoss: input " + Shape.str(in) + " needs a target of shape "
                    + Shape.str(expected) + ", got " + Shape.str(target.shape()));
        }
        int classDim = in.length == 1 ? 0 : 1;
        if (weight != null && (weight.dim() != 1 || weight.shape()[0] != in[classDim] || !weight.dtype().isFloatingPoint())) {
            throw new IllegalArgumentException("nllLoss: weight must be a floating-point [" + in[classDim]
                    + "] (one per class), got " + weight.dtype() + " " + Shape.str(weight.shape()));
        }
        return classDim;
    }

    /**
     * {@code -weight (t log x + (1 - t) log(1 - x))} per element, each log clamped at -100 as in
     * PyTorch's {@code binary_cross_entropy}. {@code input} holds probabilities in [0, 1] and
     * {@code target} has its shape; {@code weight} (null for none) broadcasts to it and is a constant.
     */
    public static Tensor binaryCrossEntropy(Tensor input, Tensor target, Tensor weight) {
        checkSameShape("binaryCrossEntropy", input, target);
        checkWeight("binaryCrossEntropy", input, weight, "weight");
        if (input.numel() > 0) {
            double lo = input.min().item();
            double hi = input.max().item();
            if (!(lo >= 0 && hi <= 1)) {
                throw new IllegalArgumentException("binaryCrossEntropy: all elements of input should be between 0 and 1,"
                        + " got values from " + lo + " to " + hi + " in " + Shape.str(input.shape())
                        + " (pass logits to binaryCrossEntropyWithLogits instead)");
            }
        }
        Tensor out;
        try (GradMode.Scope s = GradMode.noGrad()) {
            Tensor x = input.detach();
            Tensor t = target.detach();
            out = t.sub(1).mul(clampedLog(x.neg().add(1))).sub(t.mul(clampedLog(x))); // PyTorch's order: 0 losses are +0
            out = weight == null ? out : out.mul(weight);
        }
        BinaryCrossEntropyBackward0 n = null;
        if (Graph.needsGrad(input, target)) {
            n = new BinaryCrossEntropyBackward0(weight == null ? null : weight.detach());
            n.input = n.save(input);
            n.target = n.save(target);
        }
        return Graph.record(n, out.data(), input, target);
    }

    /**
     * {@code weight ((1 - t) x + lw softplus(-x))} with {@code lw = 1 + (posWeight - 1) t}, per
     * element: the binary cross-entropy of {@code sigmoid(x)}, computed without overflow for any
     * logit. {@code weight} broadcasts to the input's shape; {@code posWeight} (the weight of the
     * positive class, one per class) broadcasts along the last dim. Both may be null; both are constants.
     */
    public static Tensor binaryCrossEntropyWithLogits(Tensor input, Tensor target, Tensor weight, Tensor posWeight) {
        String op = "binaryCrossEntropyWithLogits";
        checkSameShape(op, input, target);
        checkWeight(op, input, weight, "weight");
        checkWeight(op, input, posWeight, "posWeight");
        Tensor out;
        try (GradMode.Scope s = GradMode.noGrad()) {
            Tensor x = input.detach();
            Tensor t = target.detach();
            Tensor lossOfX = t.neg().add(1).mul(x);
            Tensor sp = softplusOfNeg(x);
            out = lossOfX.add(posWeight == null ? sp : logWeight(t, posWeight).mul(sp));
            out = weight == null ? out : out.mul(weight);
        }
        BinaryCrossEntropyWithLogitsBackward0 n = null;
        if (Graph.needsGrad(input, target)) {
            n = new BinaryCrossEntropyWithLogitsBackward0(weight == null ? null : weight.detach(),
                    posWeight == null ? null : posWeight.detach());
            n.input = n.save(input);
            n.target = n.save(target);
        }
        return Graph.record(n, out.data(), input, target);
    }

    private static void checkSameShape(String op, Tensor input, Tensor target) {
        if (!Arrays.equals(input.shape(), target.shape())) {
            throw new IllegalArgumentException(op + ": target size " + Shape.str(target.shape())
                    + " must be the same as input size " + Shape.str(input.shape()));
        }
        if (!input.dtype().isFloatingPoint() || !target.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException(op + ": expected floating-point input and target, got " + input.dtype()
                    + " and " + target.dtype());
        }
    }

    private static void checkWeight(String op, Tensor input, Tensor weight, String name) {
        if (weight == null) {
            return;
        }
        int[] b;
        try {
            b = Shape.broadcast(input.shape(), weight.shape(), op);
        } catch (IllegalArgumentException e) {
            b = null;
        }
        if (b == null || !Arrays.equals(b, input.shape())) {
            throw new IllegalArgumentException(op + ": " + name + " " + Shape.str(weight.shape())
                    + " does not broadcast to the input size " + Shape.str(input.shape()));
        }
    }

    /** {@code max(log x, -100)}. */
    private static Tensor clampedLog(Tensor x) {
        return x.log().clampMin(-100);
    }

    /** {@code log(1 + exp(-x))} = {@code max(-x, 0) + log(1 + exp(-|x|))}, which never overflows. */
    private static Tensor softplusOfNeg(Tensor x) {
        return x.neg().relu().add(x.abs().neg().exp().add(1).log());
    }

    /** {@code 1 + (posWeight - 1) t}. */
    private static Tensor logWeight(Tensor t, Tensor posWeight) {
        return t.mul(posWeight.sub(1)).add(1);
    }

    /** d/dx = (softmax(x) - onehot(t)) · g / total on rows with a target, 0 on ignored rows. */
    static final class CrossEntropyBackward0 extends Node {
        private final long[] target;
        private final long ignoreIndex;
        private final double total;
        private final NDArray logp;
        SavedTensor logits;

        CrossEntropyBackward0(long[] target, long ignoreIndex, double total, NDArray logp) {
            this.target = target;
            this.ignoreIndex = ignoreIndex;
            this.total = total;
            this.logp = logp;
        }

        @Override
        public String name() {
            return "CrossEntropyLossBackward0";
        }

        @Override
        protected boolean freshGradients() {
            return true;
        }

        @Override
        protected Tensor[] backward(Tensor[] g) {
            Tensor x = logits.unpack();
            int rows = x.shape()[0];
            int classes = x.shape()[1];
            if (GradMode.isEnabled()) { // createGraph: differentiable in x and in g
                double[] onehot = new double[rows * classes];
                double[] keep = new double[rows];
                for (int i = 0; i < rows; i++) {
                    if (target[i] != ignoreIndex) {
                        onehot[i * classes + (int) target[i]] = 1;
                        keep[i] = 1;
                    }
                }
                Tensor d = x.logSoftmax(1).exp().sub(Tensor.wrap(NDArray.of(onehot, rows, classes).to(x.dtype())))
                        .mul(Tensor.wrap(NDArray.of(keep, rows, 1).to(x.dtype())));
                return new Tensor[] {d.mul(g[0].div(total))};
            }
            NDArray d = logp.unary(io.torus.tensor.op.UnaryOp.EXP);
            for (int i = 0; i < rows; i++) {
                if (target[i] == ignoreIndex) {
                    d.narrow(0, i, 1).fill_(0);
                } else {
                    long at = (long) i * classes + target[i];
                    d.setDouble(at, d.getDouble(at) - 1);
                }
            }
            d.binary_(io.torus.tensor.op.BinaryOp.MUL, g[0].item() / total);
            return new Tensor[] {Tensor.wrap(d)};
        }
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

    /** d/dx = w (x - t) / max(x (1 - x), 1e-12); d/dt = w (clampedLog(1 - x) - clampedLog(x)). */
    static final class BinaryCrossEntropyBackward0 extends Node {
        private static final double EPSILON = 1e-12;
        private final Tensor weight;
        SavedTensor input;
        SavedTensor target;

        BinaryCrossEntropyBackward0(Tensor weight) {
            this.weight = weight;
        }

        @Override
        protected Tensor[] backward(Tensor[] g) {
            Tensor x = input.unpack();
            Tensor t = target.unpack();
            Tensor gw = weight == null ? g[0] : g[0].mul(weight);
            Tensor dx = needsInputGrad(0) ? gw.mul(x.sub(t)).div(x.mul(x.neg().add(1)).clampMin(EPSILON)) : null;
            Tensor dt = needsInputGrad(1) ? gw.mul(clampedLog(x.neg().add(1)).sub(clampedLog(x))) : null;
            return new Tensor[] {dx, dt};
        }
    }

    /** d/dx = w (sigmoid(x) lw - posWeight t); d/dt = w ((posWeight - 1) softplus(-x) - x). */
    static final class BinaryCrossEntropyWithLogitsBackward0 extends Node {
        private final Tensor weight;
        private final Tensor posWeight;
        SavedTensor input;
        SavedTensor target;

        BinaryCrossEntropyWithLogitsBackward0(Tensor weight, Tensor posWeight) {
            this.weight = weight;
            this.posWeight = posWeight;
        }

        @Override
        protected Tensor[] backward(Tensor[] g) {
            Tensor x = input.unpack();
            Tensor t = target.unpack();
            Tensor gw = weight == null ? g[0] : g[0].mul(weight);
            Tensor dx = null;
            Tensor dt = null;
            if (needsInputGrad(0)) {
                Tensor d = posWeight == null ? x.sigmoid().sub(t) : x.sigmoid().mul(logWeight(t, posWeight)).sub(t.mul(posWeight));
                dx = gw.mul(d);
            }
            if (needsInputGrad(1)) {
                Tensor d = posWeight == null ? x.neg() : posWeight.sub(1).mul(softplusOfNeg(x)).sub(x);
                dt = gw.mul(d);
            }
            return new Tensor[] {dx, dt};
        }
    }
}
