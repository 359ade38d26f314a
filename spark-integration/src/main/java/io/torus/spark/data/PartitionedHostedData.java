package io.torus.spark.data;

import io.torus.autograd.Tensor;
import io.torus.comm.HostedData;
import io.torus.data.TensorDataset;

import java.util.List;

/**
 * One rank's view of a materialised training set: each epoch's shard (Note [Epoch shards] in
 * {@link ShardPlan}) read from just the needed row ranges of the needed partition files.
 */
public final class PartitionedHostedData implements HostedData {
    private final DataManifest manifest;
    private final ShardPlan plan;
    private final int rank;

    public PartitionedHostedData(DataManifest manifest, int rank, int worldSize, long seed) {
        this.manifest = manifest;
        this.plan = ShardPlan.of(manifest.partitionRows(), worldSize, seed);
        if (rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("hosted data: rank=" + rank + ", expected 0.." + (worldSize - 1));
        }
        this.rank = rank;
    }

    @Override
    public TensorDataset shard(int epoch) {
        List<ShardPlan.Segment> segments = plan.shard(epoch, rank);
        long rows = plan.shardRows(rank);
        int d = manifest.featureDim();
        if (rows * d > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("hosted data: rank " + rank + "'s shard has " + rows + " rows × " + d
                    + " features = " + rows * d + " floats, more than one array holds; use more workers");
        }
        float[] features = new float[(int) (rows * d)];
        long[] labels = new long[(int) rows];
        int at = 0;
        for (ShardPlan.Segment s : segments) {
            PartitionFile.readRows(manifest.partitionFile(s.partition()), s.fromRow(), s.toRow(), features, at * d,
                    labels, at);
            at += (int) s.rows();
        }
        return new TensorDataset(Tensor.of(features, (int) rows, d), Tensor.ofLongs(labels));
    }

    @Override
    public long totalRows() {
        return plan.totalRows();
    }

    /** The plan this view reads by (for logging and tests). */
    public ShardPlan plan() {
        return plan;
    }

    @Override
    public String toString() {
        return "PartitionedHostedData[rank=" + rank + ", " + plan + ", dir=" + manifest.dir() + "]";
    }
}
