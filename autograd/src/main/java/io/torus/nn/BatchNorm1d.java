package io.torus.nn;

import io.torus.autograd.Tensor;
import io.torus.tensor.Shape;

/** Batch normalisation of {@code [N, C]} or {@code [N, C, L]} input over its C features; see {@link BatchNorm}. */
public class BatchNorm1d extends BatchNorm {
    /** eps 1e-5, momentum 0.1, affine, tracking running statistics (PyTorch's defaults). */
    public BatchNorm1d(int numFeatures) {
        this(numFeatures, DEFAULT_EPS, DEFAULT_MOMENTUM, true, true);
    }

    public BatchNorm1d(int numFeatures, double eps, double momentum, boolean affine, boolean trackRunningStats) {
        super(numFeatures, eps, momentum, affine, trackRunningStats);
    }

    @Override
    protected void checkInputDim(Tensor x) {
        if (x.dim() != 2 && x.dim() != 3) {
            throw new IllegalArgumentException("BatchNorm1d: expected 2D or 3D input (got " + x.dim() + "D input "
                    + Shape.str(x.shape()) + ")");
        }
    }
}
