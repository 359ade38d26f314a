package io.torus.data;

import io.torus.autograd.Tensor;
import io.torus.tensor.NDArray;
import io.torus.tensor.Shape;

/** Examples stored as rows of two tensors (inputs and targets) with the same first dim. */
public final class TensorDataset implements Dataset<Sample>, BatchGather {
    private final Tensor inputs;
    private final Tensor targets;

    public TensorDataset(Tensor inputs, Tensor targets) {
        if (inputs.dim() == 0 || targets.dim() == 0 || inputs.shape()[0] != targets.shape()[0]) {
            throw new IllegalArgumentException("TensorDataset: inputs " + Shape.str(inputs.shape()) + " and targets "
                    + Shape.str(targets.shape()) + " must have the same size in dim 0");
        }
        this.inputs = inputs;
        this.targets = targets;
    }

    public Tensor inputs() {
        return inputs;
    }

    public Tensor targets() {
        return targets;
    }

    @Override
    public int size() {
        return inputs.shape()[0];
    }

    @Override
    public Sample get(int index) {
        return new Sample(Tensor.wrap(inputs.data().select(0, index)), Tensor.wrap(targets.data().select(0, index)));
    }

    /** The rows at {@code indices}, gathered into one batch (copies). */
    public Batch batch(long[] indices) {
        NDArray idx = NDArray.of(indices, indices.length);
        return new Batch(Tensor.wrap(inputs.data().indexSelect(0, idx)), Tensor.wrap(targets.data().indexSelect(0, idx)));
    }

    @Override
    public Batch gather(long[] indices) {
        return batch(indices);
    }

    /** The inputs through {@code transform} now, all rows in one {@link Transform#applyToBatch} call; targets are shared. */
    public TensorDataset transform(Transform transform) {
        return new TensorDataset(transform.applyToBatch(inputs), targets);
    }

    /** Rows [from, to) as a view. */
    public TensorDataset slice(int from, int to) {
        return new TensorDataset(Tensor.wrap(inputs.data().narrow(0, from, to - from)),
                Tensor.wrap(targets.data().narrow(0, from, to - from)));
    }
}
