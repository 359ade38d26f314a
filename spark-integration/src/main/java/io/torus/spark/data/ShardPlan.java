package io.torus.spark.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Which rows of a partitioned training set each rank reads in each epoch: pure arithmetic, no I/O.
 *
 * <h2>Note [Epoch shards]</h2>
 * The training rows live in P partition files of known sizes. For epoch {@code e}:
 * <ol>
 *   <li>the partition order is shuffled by a permutation seeded by {@code (seed, e)};</li>
 *   <li>the partitions are laid end to end in that order, giving one virtual sequence of
 *       {@code N} rows;</li>
 *   <li>rank {@code r} of {@code W} gets the {@code r}-th of {@code W} contiguous slices of that
 *       sequence; the first {@code N mod W} slices hold {@code ceil(N/W)} rows, the others
 *       {@code floor(N/W)}.</li>
 * </ol>
 * <pre>
 *   partitions (rows):   p0 (4)  p1 (3)  p2 (5)  p3 (2)          N = 14, W = 3
 *   epoch e order:       p2 p0 p3 p1
 *   virtual sequence:    [p2: 0 1 2 3 4][p0: 0 1 2 3][p3: 0 1][p1: 0 1 2]
 *   slices (5, 5, 4):    |--- rank 0 ---|--- rank 1 ----|-- rank 2 --|
 *   rank 1 reads:        p0 rows 0..3, p3 row 0   (two segments)
 * </pre>
 * So in every epoch each row is read by exactly one rank, shard sizes differ by at most one and
 * no row is duplicated for padding (unlike PyTorch's {@code DistributedSampler}, which pads).
 * A rank's rows change between epochs whenever the permutation moves partitions across slice
 * boundaries; with a single partition they never change, so give the data at least
 * {@code 2 × W} partitions. Within a shard the rows keep their file order; the job's loader is
 * expected to shuffle them.
 *
 * <p>The permutation uses {@link java.util.Random}, whose algorithm the JDK specifies, so every
 * JVM on every machine derives the same shards from the same {@code (seed, epoch)}.
 */
public final class ShardPlan {

    /** Rows {@code [fromRow, toRow)} of partition file {@code partition}. */
    public record Segment(int partition, long fromRow, long toRow) {
        public Segment {
            if (partition < 0 || fromRow < 0 || toRow < fromRow) {
                throw new IllegalArgumentException("segment partition=" + partition + " rows [" + fromRow + ", "
                        + toRow + "): expected partition >= 0 and 0 <= fromRow <= toRow");
            }
        }

        public long rows() {
            return toRow - fromRow;
        }
    }

    private final long[] partitionRows;
    private final int numWorkers;
    private final long seed;
    private final long totalRows;

    private ShardPlan(long[] partitionRows, int numWorkers, long seed) {
        this.partitionRows = partitionRows;
        this.numWorkers = numWorkers;
        this.seed = seed;
        long total = 0;
        for (long rows : partitionRows) {
            total = Math.addExact(total, rows);
        }
        this.totalRows = total;
    }

    /**
     * @param partitionRows rows in each partition file, indexed by partition id (may contain zeros)
     * @param numWorkers    number of ranks, at least 1
     * @param seed          shuffles the partition order together with the epoch
     */
    public static ShardPlan of(long[] partitionRows, int numWorkers, long seed) {
        if (numWorkers < 1) {
            throw new IllegalArgumentException("shard plan: numWorkers=" + numWorkers + ", expected at least 1");
        }
        for (int p = 0; p < partitionRows.length; p++) {
            if (partitionRows[p] < 0) {
                throw new IllegalArgumentException("shard plan: partition " + p + " has " + partitionRows[p]
                        + " rows, expected >= 0");
            }
        }
        return new ShardPlan(partitionRows.clone(), numWorkers, seed);
    }

    public int numWorkers() {
        return numWorkers;
    }

    public int numPartitions() {
        return partitionRows.length;
    }

    public long totalRows() {
        return totalRows;
    }

    /** Number of rows rank {@code rank} reads in every epoch: {@code floor(N/W)} or one more. */
    public long shardRows(int rank) {
        checkRank(rank);
        return sliceStart(rank + 1) - sliceStart(rank);
    }

    /** The order in which the partitions are laid end to end in {@code epoch}. */
    public int[] partitionOrder(int epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("shard plan: epoch=" + epoch + ", expected >= 0");
        }
        int n = partitionRows.length;
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Random random = new Random(mix(seed, epoch));
        for (int i = n - 1; i > 0; i--) {  // Fisher-Yates
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    /** The partition row ranges rank {@code rank} reads in {@code epoch}, in reading order. */
    public List<Segment> shard(int epoch, int rank) {
        checkRank(rank);
        long from = sliceStart(rank);
        long to = sliceStart(rank + 1);
        List<Segment> segments = new ArrayList<>();
        long partitionStart = 0;  // position of the current partition in the virtual sequence
        for (int p : partitionOrder(epoch)) {
            long partitionEnd = partitionStart + partitionRows[p];
            long lo = Math.max(from, partitionStart);
            long hi = Math.min(to, partitionEnd);
            if (lo < hi) {
                segments.add(new Segment(p, lo - partitionStart, hi - partitionStart));
            }
            if (partitionEnd >= to) {
                break;
            }
            partitionStart = partitionEnd;
        }
        return segments;
    }

    /** Start of rank {@code r}'s slice in the virtual sequence; {@code sliceStart(W) == N}. */
    private long sliceStart(int r) {
        long base = totalRows / numWorkers;
        long extra = totalRows % numWorkers;
        return r * base + Math.min(r, extra);
    }

    private void checkRank(int rank) {
        if (rank < 0 || rank >= numWorkers) {
            throw new IllegalArgumentException("shard plan: rank=" + rank + ", expected 0.." + (numWorkers - 1));
        }
    }

    /** SplitMix64's finalizer over (seed, epoch), so nearby epochs give unrelated permutations. */
    private static long mix(long seed, int epoch) {
        long z = seed + 0x9E3779B97F4A7C15L * (epoch + 1L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    @Override
    public String toString() {
        return "ShardPlan[partitionRows=" + Arrays.toString(partitionRows) + ", numWorkers=" + numWorkers
                + ", seed=" + seed + "]";
    }
}
