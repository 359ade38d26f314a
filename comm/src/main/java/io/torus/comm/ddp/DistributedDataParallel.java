package io.torus.comm.ddp;

import io.torus.autograd.GradMode;
import io.torus.autograd.Tensor;
import io.torus.comm.ProcessGroup;
import io.torus.nn.Module;
import io.torus.nn.Parameter;

import java.util.List;

/**
 * Data-parallel training of a module: every rank holds a replica, and gradients are averaged
 * across ranks during backward, so that after {@code loss.backward()} every replica holds the
 * same (mean) gradient and the same optimiser step keeps the replicas identical.
 *
 * <p>At construction rank 0's parameters and buffers are broadcast to every rank. During
 * backward a {@link Reducer} gathers gradients into fixed-order buckets and all-reduces each
 * bucket as soon as its last gradient is ready, overlapping communication with the rest of
 * backward; the last bucket's completion writes the averages back into {@code grad()}.
 *
 * <p>Contract: every rank runs forward and backward on the same model the same number of times,
 * and every parameter receives a gradient in every backward (unused parameters are reported at
 * the next forward). Inside {@link #noSync()} gradients only accumulate locally; the first
 * backward after the scope reduces the accumulated sum.
 */
public class DistributedDataParallel extends Module {
    /** Default bucket capacity, as PyTorch's 25 MiB. */
    public static final long DEFAULT_BUCKET_BYTES = 25L << 20;
    /** System property (set by the launcher from {@code conf/torus-defaults.properties}): the bucket capacity in bytes. */
    public static final String BUCKET_CAP_PROPERTY = "torus.ddp.bucket.cap.bytes";
    /** Default capacity of the first bucket (the last layers' gradients), as PyTorch's 1 MiB. */
    public static final long DEFAULT_FIRST_BUCKET_BYTES = 1L << 20;

    private final Module module;
    private final ProcessGroup group;
    private final Reducer reducer;

    public DistributedDataParallel(Module module, ProcessGroup group) {
        this(module, group, Long.getLong(BUCKET_CAP_PROPERTY, DEFAULT_BUCKET_BYTES));
    }

    /** With buckets of {@code bucketBytes}, the first one at most {@link #DEFAULT_FIRST_BUCKET_BYTES}. */
    public DistributedDataParallel(Module module, ProcessGroup group, long bucketBytes) {
        this(module, group, Math.min(DEFAULT_FIRST_BUCKET_BYTES, bucketBytes), bucketBytes);
    }

    /**
     * @param firstBucketBytes capacity of the first bucket, reduced first: the gradients of the last
     *                         layers, ready first in backward (small, so communication starts early)
     * @param bucketBytes      capacity of every later bucket (a parameter larger than a bucket gets
     *                         a bucket of its own)
     */
    public DistributedDataParallel(Module module, ProcessGroup group, long firstBucketBytes, long bucketBytes) {
        this.module = registerModule("module", module);
        this.group = group;
        List<Parameter> params = module.parameters().stream().filter(Tensor::requiresGrad).toList();
        this.reducer = new Reducer(params, group, firstBucketBytes, bucketBytes);
        broadcastState();
    }

    /** Makes every rank start from rank 0's parameters and buffers. */
    private void broadcastState() {
        List<Tensor> state = List.copyOf(module.stateDict().values());
        int total = 0;
        for (Tensor t : state) {
            total += (int) t.numel();
        }
        float[] flat = new float[total];
        int at = 0;
        for (Tensor t : state) {
            float[] v = t.toFloatArray();
            System.arraycopy(v, 0, flat, at, v.length);
            at += v.length;
        }
        Tensor all = Tensor.of(flat, total);
        group.broadcast(all, 0);
        float[] root = all.toFloatArray();
        at = 0;
        try (GradMode.Scope s = GradMode.noGrad()) {
            for (Tensor t : state) {
                int n = (int) t.numel();
                t.data().copy_(Tensor.of(java.util.Arrays.copyOfRange(root, at, at + n), t.shape()).data());
                at += n;
            }
        }
    }

    public Module module() {
        return module;
    }

    @Override
    public Tensor forward(Tensor input) {
        reducer.prepareForBackward();
        return module.call(input);
    }

    /** The reducer's counters: reductions so far and the communication they left exposed after backward. */
    public ReducerStats stats() {
        return reducer.stats();
    }

    /** A scope in which backward accumulates gradients locally without communicating. */
    public GradMode.Scope noSync() {
        return reducer.suspend();
    }
}
