package io.torus.nn;

import io.torus.autograd.Tensor;
import io.torus.tensor.Shape;

/** Batch normalisation of {@code [N, C, H, W]} input over its C channels; see {@link BatchNorm}. */
public class BatchNorm2d extends BatchNorm {
    /** eps 1e-5, momentum 0.1, affine, tracking running statistics (PyTorch's defaults). */
    public BatchNorm2d(int numFeatures) {
        this(numFeatures, DEFAULT_EPS, DEFAULT_MOMENTUM, true, true);
    }

    public BatchNorm2d(int numFeatures, double eps, double momentum, boolean affine, boolean trackRunningStats) {
        super(numFeatures, eps, momentum, affine, trackRunningStats);
    }

    @Override
    protected void checkInputDim(Tensor x) {
        if (x.dim() != 4) {
            throw new IllegalArgumentException("BatchNorm2d: expected 4D input (got " + x.dim() + "D input "
                    + Shape.str(x.shape()) + ")");
        }
    }
}
