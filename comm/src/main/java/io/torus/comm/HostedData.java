package io.torus.comm;

import io.torus.data.TensorDataset;

/**
 * Training data that the host (Spark) owns and hands to each rank one epoch at a time.
 * For a given epoch the shards of all ranks are disjoint and together hold every row once.
 */
public interface HostedData {
    /** This rank's rows for {@code epoch}: a dataset of (features FLOAT32 [n, d], label INT64 [n]). */
    TensorDataset shard(int epoch);

    /** Number of rows over all ranks in one epoch. */
    long totalRows();
}
