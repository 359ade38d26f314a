package io.torus.data;

/**
 * A dataset whose inputs pass through a {@link Transform} when they are read, so the work runs
 * on the {@link DataLoader}'s prefetch thread and is redone every epoch (as torchvision's
 * {@code transform=} argument). Over a {@link TensorDataset} the loader gathers a batch's rows
 * first and transforms them in one {@link Transform#applyToBatch} call. Targets pass through.
 */
public final class TransformedDataset implements Dataset<Sample>, BatchGather {
    private final Dataset<Sample> base;
    private final Transform transform;

    public TransformedDataset(Dataset<Sample> base, Transform transform) {
        this.base = base;
        this.transform = transform;
    }

    public Dataset<Sample> base() {
        return base;
    }

    public Transform transform() {
        return transform;
    }

    @Override
    public int size() {
        return base.size();
    }

    @Override
    public Sample get(int index) {
        Sample s = base.get(index);
        return new Sample(transform.apply(s.input()), s.target());
    }

    @Override
    public Batch gather(long[] indices) {
        Batch b = base instanceof BatchGather g ? g.gather(indices) : null;
        return b == null ? null : new Batch(transform.applyToBatch(b.input()), b.target());
    }
}
