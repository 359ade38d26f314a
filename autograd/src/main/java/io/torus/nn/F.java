package io.torus.nn;

import io.torus.autograd.Tensor;
import io.torus.autograd.functions.LinearAlgebra;
import io.torus.autograd.functions.Losses;
import io.torus.autograd.functions.Normalization;
import io.torus.tensor.DType;
import io.torus.tensor.Shape;
import io.torus.tensor.op.Pool2dParams;

import java.util.Arrays;

/**
 * Functional forms of the layers and losses, as {@code torch.nn.functional}. Every function is
 * composed of recorded tensor ops (or of the fused losses in
 * {@link io.torus.autograd.functions.Losses}), so each is differentiable in all its tensor
 * arguments unless its Javadoc says otherwise.
 *
 * <p>Losses take a {@link Reduction}: {@code NONE} returns one loss per element (per sample for
 * the class losses), {@code SUM} their sum and {@code MEAN} (the default) their mean; the mean of
 * {@link #nllLoss} and {@link #crossEntropy} with class weights divides by the summed weights of
 * the targets, as PyTorch does.
 */
public final class F {
    /** The class index the NLL and cross-entropy losses skip by default, as PyTorch's {@code ignore_index=-100}. */
    public static final long DEFAULT_IGNORE_INDEX = -100;

    private F() {
    }

    // ------------------------------------------------------------------ activations

    public static Tensor relu(Tensor x) {
        return x.relu();
    }

    public static Tensor sigmoid(Tensor x) {
        return x.sigmoid();
    }

    public static Tensor tanh(Tensor x) {
        return x.tanh();
    }

    /** {@code x} where {@code x > 0}, else {@code 0.01 x}. */
    public static Tensor leakyRelu(Tensor x) {
        return leakyRelu(x, LeakyReLU.DEFAULT_NEGATIVE_SLOPE);
    }

    /** {@code x} where {@code x > 0}, else {@code negativeSlope * x}; the gradient at 0 is the slope, as PyTorch's. */
    public static Tensor leakyRelu(Tensor x, double negativeSlope) {
        return x.where(x.gt(0), x.mul(negativeSlope));
    }

    public static Tensor logSoftmax(Tensor x, int dim) {
        return x.logSoftmax(dim);
    }

    public static Tensor softmax(Tensor x, int dim) {
        return x.logSoftmax(dim).exp();
    }

    /**
     * During training, zeroes each element with probability {@code p} (independent draws from the
     * global generator) and scales the others by {@code 1 / (1 - p)}, so the expectation is
     * unchanged; with {@code training == false} returns {@code x} itself. {@code p = 1} gives zeros.
     */
    public static Tensor dropout(Tensor x, double p, boolean training) {
        Dropout.checkProbability(p);
        if (!training || p == 0) {
            return x;
        }
        if (!x.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("dropout: expected a floating-point input, got " + x.dtype() + " "
                    + Shape.str(x.shape()));
        }
        if (p == 1) {
            return x.mul(0);
        }
        Tensor keep = Tensor.bernoulli(Tensor.fullLike(x, 1 - p));
        return x.mul(keep.mul(1 / (1 - p)));
    }

    // ------------------------------------------------------------------ layers

    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        return LinearAlgebra.linear(x, weight, bias);
    }

    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias) {
        return x.conv2d(weight, bias);
    }

    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int stride, int padding) {
        return x.conv2d(weight, bias, stride, padding);
    }

    public static Tensor maxPool2d(Tensor x, int kernel) {
        return x.maxPool2d(kernel);
    }

    public static Tensor maxPool2d(Tensor x, int kernel, int stride, int padding) {
        return x.maxPool2d(kernel, stride, padding);
    }

    public static Tensor avgPool2d(Tensor x, int kernel) {
        return x.avgPool2d(kernel);
    }

    public static Tensor avgPool2d(Tensor x, int kernel, int stride, int padding) {
        return x.avgPool2d(kernel, stride, padding);
    }

    public static Tensor avgPool2d(Tensor x, Pool2dParams params) {
        return x.avgPool2d(params);
    }

    /**
     * Rows of {@code weight [num, dim]} picked by integer {@code indices} of any shape; the result
     * has shape {@code indices.shape + [dim]}. The gradient of {@code weight} accumulates into the
     * picked rows (an index scatter; repeated indices add up).
     */
    public static Tensor embedding(Tensor indices, Tensor weight) {
        checkEmbeddingIndices("embedding", indices, weight);
        int[] out = Arrays.copyOf(indices.shape(), indices.dim() + 1);
        out[indices.dim()] = weight.shape()[1];
        return weight.indexSelect(0, indices.reshape(-1)).reshape(out);
    }

    /**
     * As {@link #embedding(Tensor, Tensor)}, but positions whose index is {@code paddingIdx} pass
     * no gradient to that row (a negative {@code paddingIdx} counts from the end), as PyTorch's
     * {@code padding_idx}. The row's value is used as it is.
     */
    public static Tensor embedding(Tensor indices, Tensor weight, int paddingIdx) {
        Tensor rows = embedding(indices, weight);
        int pad = Embedding.normalizePaddingIdx(paddingIdx, weight.shape()[0]);
        Tensor keep = indices.ne(pad).unsqueeze(-1);
        return rows.where(keep, rows.detach());
    }

    static void checkEmbeddingIndices(String op, Tensor indices, Tensor weight) {
        if (weight.dim() != 2) {
            throw new IllegalArgumentException(op + ": weight must be 2-D [num_embeddings, embedding_dim], got "
                    + Shape.str(weight.shape()));
        }
        if (indices.dtype() != DType.INT64 && indices.dtype() != DType.INT32) {
            throw new IllegalArgumentException(op + ": expected indices of dtype INT64 (or INT32), got " + indices.dtype()
                    + " " + Shape.str(indices.shape()));
        }
        int num = weight.shape()[0];
        for (long i : indices.toLongArray()) {
            if (i < 0 || i >= num) {
                throw new IllegalArgumentException(op + ": index " + i + " is out of range for " + num
                        + " embeddings (valid 0.." + (num - 1) + ", indices " + Shape.str(indices.shape()) + ")");
            }
        }
    }

    /**
     * Batch normalisation over dim 1 of {@code [N, C]}, {@code [N, C, L]} or {@code [N, C, H, W]}:
     * {@code (x - mean) / sqrt(var + eps) * weight + bias} per channel.
     *
     * <p>With {@code training} the mean and (biased) variance are those of the batch, and the
     * gradient flows through them; {@code runningMean} and {@code runningVar}, when not null, are
     * then updated in place as {@code running = (1 - momentum) running + momentum stat}, the
     * variance being the unbiased one ({@code n / (n - 1)} times the batch variance). Without
     * {@code training} the running statistics are used (and must be given). {@code weight} and
     * {@code bias} may be null. Counting {@code num_batches_tracked} is the module's job.
     */
    public static Tensor batchNorm(Tensor input, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
                                   boolean training, double momentum, double eps) {
        return Normalization.batchNorm(input, runningMean, runningVar, weight, bias, training, momentum, eps);
    }

    // ------------------------------------------------------------------ losses

    /** Mean of {@code (input - target)²}; target must have the input's shape. */
    public static Tensor mseLoss(Tensor input, Tensor target) {
        return mseLoss(input, target, Reduction.MEAN);
    }

    /**
     * {@code (input - target)²} reduced. Unlike PyTorch, which broadcasts a differently shaped target
     * with a warning (an {@code [N, 1]} input against an {@code [N]} target silently becomes
     * {@code [N, N]}), a target of another shape is an error.
     */
    public static Tensor mseLoss(Tensor input, Tensor target, Reduction reduction) {
        checkSameShape("mseLoss", input, target);
        Tensor d = input.sub(target);
        return reduce(d.mul(d), reduction);
    }

    /** Mean of {@code |input - target|}; target must have the input's shape. */
    public static Tensor l1Loss(Tensor input, Tensor target) {
        return l1Loss(input, target, Reduction.MEAN);
    }

    /** {@code |input - target|} reduced; the gradient at 0 is 0, as PyTorch's. Shapes must match (see {@link #mseLoss}). */
    public static Tensor l1Loss(Tensor input, Tensor target, Reduction reduction) {
        checkSameShape("l1Loss", input, target);
        return reduce(input.sub(target).abs(), reduction);
    }

    public static Tensor binaryCrossEntropy(Tensor input, Tensor target) {
        return binaryCrossEntropy(input, target, null, Reduction.MEAN);
    }

    /**
     * {@code -weight (t log x + (1 - t) log(1 - x))} reduced, each log clamped at -100 as PyTorch
     * does; {@code input} are probabilities in [0, 1] (checked), {@code target} has their shape,
     * {@code weight} (may be null) broadcasts to it.
     */
    public static Tensor binaryCrossEntropy(Tensor input, Tensor target, Tensor weight, Reduction reduction) {
        return reduce(Losses.binaryCrossEntropy(input, target, weight), reduction);
    }

    public static Tensor binaryCrossEntropyWithLogits(Tensor input, Tensor target) {
        return binaryCrossEntropyWithLogits(input, target, null, null, Reduction.MEAN);
    }

    public static Tensor binaryCrossEntropyWithLogits(Tensor input, Tensor target, Reduction reduction) {
        return binaryCrossEntropyWithLogits(input, target, null, null, reduction);
    }

    /**
     * The binary cross-entropy of {@code sigmoid(input)} against {@code target}, computed stably for
     * any logit: {@code weight ((1 - t) x + (1 + (posWeight - 1) t) log(1 + exp(-x)))}. {@code weight}
     * broadcasts to the input; {@code posWeight} weighs the positive class, one value per class
     * along the last dim. Either may be null.
     */
    public static Tensor binaryCrossEntropyWithLogits(Tensor input, Tensor target, Tensor weight, Tensor posWeight,
                                                      Reduction reduction) {
        return reduce(Losses.binaryCrossEntropyWithLogits(input, target, weight, posWeight), reduction);
    }

    /** Mean over the batch of {@code -input[n, target[n]]}; {@code input} holds log-probabilities. */
    public static Tensor nllLoss(Tensor input, Tensor target) {
        return nllLoss(input, target, null, DEFAULT_IGNORE_INDEX, Reduction.MEAN);
    }

    public static Tensor nllLoss(Tensor input, Tensor target, Reduction reduction) {
        return nllLoss(input, target, null, DEFAULT_IGNORE_INDEX, reduction);
    }

    /**
     * The negative log-likelihood {@code -weight[t] input[n, t, ...]} of INT64 class targets
     * {@code t = target[n, ...]}: input {@code [N, C]} with target {@code [N]}, {@code [C]} with a
     * 0-dim target, or {@code [N, C, d1, ...]} with {@code [N, d1, ...]}. Targets equal to
     * {@code ignoreIndex} contribute nothing; {@code MEAN} divides by the summed weights of the
     * others (NaN when every target is ignored, as in PyTorch). {@code weight} (per class, may be
     * null) receives no gradient.
     */
    public static Tensor nllLoss(Tensor input, Tensor target, Tensor weight, long ignoreIndex, Reduction reduction) {
        Tensor losses = Losses.nllLoss(input, target, weight, ignoreIndex);
        if (reduction == Reduction.MEAN) {
            return losses.sum().div(Losses.nllTotalWeight(target, weight, ignoreIndex));
        }
        return reduce(losses, reduction);
    }

    public static Tensor crossEntropy(Tensor logits, Tensor target) {
        return crossEntropy(logits, target, null, DEFAULT_IGNORE_INDEX, Reduction.MEAN);
    }

    public static Tensor crossEntropy(Tensor logits, Tensor target, Reduction reduction) {
        return crossEntropy(logits, target, null, DEFAULT_IGNORE_INDEX, reduction);
    }

    /**
     * Log-softmax over the class dim (dim 1, or 0 for an unbatched {@code [C]} input) followed by
     * {@link #nllLoss(Tensor, Tensor, Tensor, long, Reduction)}. A floating-point {@code target} of
     * the input's shape holds class probabilities instead: the loss is then
     * {@code -sum_c weight[c] target[c] logSoftmax(x)[c]} per sample and {@code MEAN} divides by
     * the number of samples ({@code ignoreIndex} does not apply), as PyTorch's.
     */
    public static Tensor crossEntropy(Tensor logits, Tensor target, Tensor weight, long ignoreIndex, Reduction reduction) {
        if (logits.dim() == 0) {
            throw new IllegalArgumentException("crossEntropy: input must have a class dim ([C], [N, C] or [N, C, d1, ...]),"
                    + " got a 0-dim tensor");
        }
        int classDim = logits.dim() == 1 ? 0 : 1;
        if (logits.dim() == 2 && target.dtype() == DType.INT64 && weight == null && reduction != Reduction.NONE
                && logits.dtype().isFloatingPoint() && !logits.device().isCuda()) { // the fused node reads rows on the host
            return Losses.crossEntropy(logits, target, ignoreIndex, reduction == Reduction.MEAN);
        }
        if (!target.dtype().isFloatingPoint()) {
            return nllLoss(logits.logSoftmax(classDim), target, weight, ignoreIndex, reduction);
        }
        if (!Arrays.equals(logits.shape(), target.shape())) {
            throw new IllegalArgumentException("crossEntropy: class-index targets must be INT64, got " + target.dtype() + " "
                    + Shape.str(target.shape()) + "; a floating-point target holds class probabilities and must have the"
                    + " input's shape " + Shape.str(logits.shape()));
        }
        int classes = logits.shape()[classDim];
        if (weight != null && (weight.dim() != 1 || weight.shape()[0] != classes)) {
            throw new IllegalArgumentException("crossEntropy: weight must be [" + classes + "] (one per class), got "
                    + Shape.str(weight.shape()));
        }
        Tensor picked = logits.logSoftmax(classDim).mul(target);
        if (weight != null) {
            int[] ws = new int[logits.dim()];
            Arrays.fill(ws, 1);
            ws[classDim] = classes;
            picked = picked.mul(weight.reshape(ws));
        }
        return reduce(picked.sum(classDim, false).neg(), reduction);
    }

    /** Applies {@code reduction} to per-element losses. */
    static Tensor reduce(Tensor losses, Reduction reduction) {
        return switch (reduction) {
            case NONE -> losses;
            case SUM -> losses.sum();
            case MEAN -> losses.mean();
        };
    }

    private static void checkSameShape(String op, Tensor input, Tensor target) {
        if (!Arrays.equals(input.shape(), target.shape())) {
            throw new IllegalArgumentException(op + ": target size " + Shape.str(target.shape()) + " differs from input size "
                    + Shape.str(input.shape()) + "; reshape one of them (Torus does not broadcast loss operands)");
        }
    }
}
