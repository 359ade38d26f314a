package io.torus.data;

/** A dataset that can assemble a batch faster than by stacking its samples one by one. */
interface BatchGather {
    /** The samples at {@code indices} as one batch, or null when this dataset cannot do better than stacking. */
    Batch gather(long[] indices);
}
