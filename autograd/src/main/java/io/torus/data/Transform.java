package io.torus.data;

import io.torus.autograd.Tensor;

/**
 * A function of one sample's input tensor, as a torchvision transform. {@link #applyToBatch}
 * does the same to many samples stacked along a new dim 0 and must equal stacking
 * {@link #apply} of each; the default does exactly that, and {@link Transforms}' own transforms
 * override it with one whole-tensor operation. Build them with {@link Transforms}; apply them per
 * sample with a {@link TransformedDataset} or to a whole dataset at once with
 * {@link TensorDataset#transform}.
 */
@FunctionalInterface
public interface Transform {
    Tensor apply(Tensor sample);

    /** Every sample of {@code batch} (samples along dim 0); an empty batch comes back as it is. */
    default Tensor applyToBatch(Tensor batch) {
        int n = batch.shape()[0];
        if (n == 0) {
            return batch;
        }
        Tensor[] out = new Tensor[n];
        for (int i = 0; i < n; i++) {
            out[i] = apply(batch.select(0, i));
        }
        return Tensor.stack(0, out);
    }

    /** This transform, then {@code next}. */
    default Transform andThen(Transform next) {
        return Transforms.compose(this, next);
    }
}
