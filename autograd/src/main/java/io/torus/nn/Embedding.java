package io.torus.nn;

import io.torus.autograd.GradMode;
import io.torus.autograd.Tensor;

/**
 * A lookup table of {@code num} vectors of size {@code dim}: integer indices of any shape give
 * {@code indices.shape + [dim]}. The weight {@code [num, dim]} is drawn from N(0, 1) as PyTorch's;
 * its gradient is the output gradient scattered into the rows that were picked (repeated indices
 * add up, rows never picked get zero).
 *
 * <p>With a padding index, that row starts as zeros and never receives a gradient, as PyTorch's
 * {@code padding_idx}.
 */
public class Embedding extends Module {
    private final int num;
    private final int dim;
    private final Integer paddingIdx;
    private final Parameter weight;

    public Embedding(int num, int dim) {
        this(num, dim, null);
    }

    /** {@code paddingIdx} may be negative (counted from the end). */
    public Embedding(int num, int dim, int paddingIdx) {
        this(num, dim, Integer.valueOf(paddingIdx));
    }

    private Embedding(int num, int dim, Integer paddingIdx) {
        if (num <= 0 || dim <= 0) {
            throw new IllegalArgumentException("Embedding(" + num + ", " + dim + "): sizes must be positive");
        }
        this.num = num;
        this.dim = dim;
        this.paddingIdx = paddingIdx == null ? null : normalizePaddingIdx(paddingIdx, num);
        this.weight = registerParameter("weight", new Parameter(Tensor.zeros(num, dim)));
        resetParameters();
    }

    /**
     * An embedding holding {@code weights [num, dim]} (copied); with {@code freeze} its weight does not
     * require grad, as PyTorch's {@code from_pretrained}.
     */
    public static Embedding fromPretrained(Tensor weights, boolean freeze) {
        if (weights.dim() != 2) {
            throw new IllegalArgumentException("Embedding.fromPretrained: weights must be 2-D [num, dim], got "
                    + io.torus.tensor.Shape.str(weights.shape()));
        }
        Embedding e = new Embedding(weights.shape()[0], weights.shape()[1]);
        try (GradMode.Scope s = GradMode.noGrad()) {
            e.weight.data().copy_(weights.data());
        }
        e.weight.requiresGrad_(!freeze);
        return e;
    }

    static int normalizePaddingIdx(int paddingIdx, int num) {
        if (paddingIdx < -num || paddingIdx >= num) {
            throw new IllegalArgumentException("Embedding: padding index " + paddingIdx + " must be within [" + -num + ", "
                    + (num - 1) + "] for " + num + " embeddings");
        }
        return paddingIdx < 0 ? paddingIdx + num : paddingIdx;
    }

    /** N(0, 1) draws; the padding row, if any, zeroed. */
    public void resetParameters() {
        Init.normal_(weight);
        if (paddingIdx != null) {
            try (GradMode.Scope s = GradMode.noGrad()) {
                weight.data().select(0, paddingIdx).fill_(0);
            }
        }
    }

    public Parameter weight() {
        return weight;
    }

    public int numEmbeddings() {
        return num;
    }

    public int embeddingDim() {
        return dim;
    }

    @Override
    public Tensor forward(Tensor indices) {
        return paddingIdx == null ? F.embedding(indices, weight) : F.embedding(indices, weight, paddingIdx);
    }

    @Override
    protected String extraRepr() {
        return num + ", " + dim + (paddingIdx == null ? "" : ", padding_idx=" + paddingIdx);
    }
}
