package io.torus.comm.ddp;

/**
 * What a {@link DistributedDataParallel}'s reducer has done so far, for benchmarks and logs.
 *
 * @param reductions   backwards whose gradients were all-reduced (noSync backwards not counted)
 * @param exposedNanos summed over those backwards: the time from the last gradient hook (the end of
 *                     backward) until every bucket was reduced and written back, i.e. the
 *                     communication that overlap with backward did not hide, plus the last copies
 * @param buckets      the number of buckets
 * @param bucketBytes  each bucket's size in bytes, in reduction order
 */
public record ReducerStats(long reductions, long exposedNanos, int buckets, long[] bucketBytes) {
    public ReducerStats {
        bucketBytes = bucketBytes.clone();
    }

    @Override
    public long[] bucketBytes() {
        return bucketBytes.clone();
    }

    /** Mean exposed communication per reduced backward, in microseconds (0 before the first). */
    public double exposedMicrosPerStep() {
        return reductions == 0 ? 0 : exposedNanos / 1e3 / reductions;
    }

    @Override
    public String toString() {
        return "ReducerStats[reductions=" + reductions + ", exposed=" + String.format("%.1f", exposedMicrosPerStep())
                + " us/step, buckets=" + java.util.Arrays.toString(bucketBytes) + " bytes]";
    }
}
