package io.torus.nn;

import io.torus.autograd.GradMode;
import io.torus.autograd.Tensor;
import io.torus.tensor.DType;
import io.torus.tensor.Shape;

/**
 * The common part of {@link BatchNorm1d} and {@link BatchNorm2d}, as PyTorch's {@code _BatchNorm}:
 * per-channel normalisation {@code (x - mean) / sqrt(var + eps) * weight + bias} over dim 1.
 *
 * <p>State, by {@link #stateDict()} name: parameters {@code weight} (ones) and {@code bias}
 * (zeros) when affine; buffers {@code running_mean} (zeros), {@code running_var} (ones) and
 * {@code num_batches_tracked} (0-dim INT64) when tracking running statistics.
 *
 * <p>In training mode the batch's mean and biased variance normalise the input (the gradient
 * flows through them), {@code num_batches_tracked} counts up by one and the running statistics
 * move towards the batch's: {@code running = (1 - momentum) running + momentum stat}, the variance
 * being the unbiased one. In evaluation mode the running statistics normalise the input. Without
 * running statistics ({@code trackRunningStats = false}) batch statistics are used in both modes.
 */
public abstract class BatchNorm extends Module {
    public static final double DEFAULT_EPS = 1e-5;
    public static final double DEFAULT_MOMENTUM = 0.1;

    private final int numFeatures;
    private final double eps;
    private final double momentum;
    private final Parameter weight;
    private final Parameter bias;
    private final Tensor runningMean;
    private final Tensor runningVar;
    private final Tensor numBatchesTracked;

    protected BatchNorm(int numFeatures, double eps, double momentum, boolean affine, boolean trackRunningStats) {
        if (numFeatures <= 0) {
            throw new IllegalArgumentException(getClass().getSimpleName() + "(" + numFeatures
                    + "): the number of features must be positive");
        }
        if (!(eps > 0)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": eps must be positive, got " + eps);
        }
        if (!(momentum >= 0 && momentum <= 1)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": momentum must be in [0, 1], got " + momentum);
        }
        this.numFeatures = numFeatures;
        this.eps = eps;
        this.momentum = momentum;
        this.weight = affine ? registerParameter("weight", new Parameter(Tensor.ones(numFeatures))) : null;
        this.bias = affine ? registerParameter("bias", new Parameter(Tensor.zeros(numFeatures))) : null;
        if (trackRunningStats) {
            this.runningMean = registerBuffer("running_mean", Tensor.zeros(numFeatures));
            this.runningVar = registerBuffer("running_var", Tensor.ones(numFeatures));
            this.numBatchesTracked = registerBuffer("num_batches_tracked", Tensor.zeros(DType.INT64));
        } else {
            this.runningMean = null;
            this.runningVar = null;
            this.numBatchesTracked = null;
        }
    }

    /** Throws unless {@code x} has a rank this layer accepts. */
    protected abstract void checkInputDim(Tensor x);

    @Override
    public Tensor forward(Tensor x) {
        checkInputDim(x);
        if (x.shape()[1] != numFeatures) {
            throw new IllegalArgumentException(getClass().getSimpleName() + "(" + numFeatures + "): expected " + numFeatures
                    + " channels at dim 1, got input " + Shape.str(x.shape()));
        }
        boolean useBatchStats = isTraining() || runningMean == null;
        if (isTraining() && numBatchesTracked != null) {
            try (GradMode.Scope s = GradMode.noGrad()) {
                numBatchesTracked.add_(1);
            }
        }
        // with batch statistics the running ones are updated, otherwise they normalise
        return F.batchNorm(x, runningMean, runningVar, weight, bias, useBatchStats, momentum, eps);
    }

    /** Running mean back to zeros, running variance to ones, the batch count to zero. */
    public void resetRunningStats() {
        if (runningMean != null) {
            Init.zeros_(runningMean);
            Init.ones_(runningVar);
            Init.zeros_(numBatchesTracked);
        }
    }

    /** {@link #resetRunningStats()}, and weight back to ones, bias to zeros. */
    public void resetParameters() {
        resetRunningStats();
        if (weight != null) {
            Init.ones_(weight);
            Init.zeros_(bias);
        }
    }

    public int numFeatures() {
        return numFeatures;
    }

    public double eps() {
        return eps;
    }

    public double momentum() {
        return momentum;
    }

    /** Null when not affine. */
    public Parameter weight() {
        return weight;
    }

    /** Null when not affine. */
    public Parameter bias() {
        return bias;
    }

    /** Null when not tracking running statistics. */
    public Tensor runningMean() {
        return runningMean;
    }

    /** Null when not tracking running statistics. */
    public Tensor runningVar() {
        return runningVar;
    }

    /** Null when not tracking running statistics. */
    public Tensor numBatchesTracked() {
        return numBatchesTracked;
    }

    @Override
    protected String extraRepr() {
        return numFeatures + ", eps=" + eps + ", momentum=" + momentum + ", affine=" + pyBool(weight != null)
                + ", track_running_stats=" + pyBool(runningMean != null);
    }
}
