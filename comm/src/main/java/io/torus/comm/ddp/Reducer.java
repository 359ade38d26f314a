package io.torus.comm.ddp;

import io.torus.autograd.GradMode;
import io.torus.autograd.Tensor;
import io.torus.comm.ProcessGroup;
import io.torus.comm.ReduceOp;
import io.torus.comm.Work;
import io.torus.comm.trace.Timeline;
import io.torus.nn.Parameter;
import io.torus.tensor.NDArray;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Gradient buckets for {@link DistributedDataParallel}, after PyTorch's c10d reducer.
 *
 * <p>Parameters are assigned to buckets once, in reverse registration order (gradients of the
 * last layers are ready first): the first bucket holds up to {@code firstBucketBytes} (small, so
 * that communication starts early in backward, as PyTorch's 1 MiB first bucket), every later one
 * up to {@code bucketBytes}. Every parameter's post-accumulate-grad hook marks it ready; when a
 * bucket is complete — and every earlier bucket has been launched, so that all ranks issue the
 * collectives in the same order — its gradients are copied into the bucket's flat buffer and
 * all-reduced (AVG) on the group's communication thread while backward goes on. When the last
 * bucket is launched, the reducer waits for all of them (parked, not spinning) and copies the
 * averages back into the gradients.
 *
 * <p>Copies: one into the flat buffer and one back per gradient element, each a single
 * contiguous pass; the flat buffers are allocated once, at the first reduction, and reused (a
 * fresh one per step was a megabyte of garbage per step for a small MLP). The copy back cannot
 * be skipped by handing out views of the buffer as gradients: the optimiser's zeroGrad drops
 * gradients, and a view a user kept would change under them at the next step.
 */
final class Reducer {
    private final ProcessGroup group;
    private final List<Bucket> buckets = new ArrayList<>();
    private final Map<Parameter, Bucket> bucketOf = new IdentityHashMap<>();
    private int nextToLaunch;
    private boolean suspended;
    private boolean expectingBackward;
    private long reductions;
    private long exposedNanos;

    Reducer(List<Parameter> params, ProcessGroup group, long firstBucketBytes, long bucketBytes) {
        if (firstBucketBytes < 1 || bucketBytes < 1) {
            throw new IllegalArgumentException("DistributedDataParallel: bucket sizes " + firstBucketBytes + " (first) and "
                    + bucketBytes + " bytes: expected both >= 1");
        }
        this.group = group;
        Bucket current = null;
        for (int i = params.size() - 1; i >= 0; i--) {
            Parameter p = params.get(i);
            long bytes = p.numel() * 4;
            long cap = buckets.size() == 1 ? firstBucketBytes : bucketBytes;
            if (current == null || (current.bytes > 0 && current.bytes + bytes > cap)) {
                current = new Bucket(buckets.size());
                buckets.add(current);
            }
            current.add(p, bytes);
            bucketOf.put(p, current);
            p.registerPostAccumulateGradHook(this::onGradReady);
        }
    }

    /** Called at every forward: checks that the previous backward finished its reduction. */
    void prepareForBackward() {
        if (expectingBackward && buckets.stream().anyMatch(b -> b.readyCount > 0)) {
            List<String> missing = new ArrayList<>();
            for (Bucket b : buckets) {
                missing.addAll(b.notReady());
            }
            throw new IllegalStateException("DistributedDataParallel: the previous backward did not produce gradients for "
                    + missing.size() + " parameter(s) of shapes " + missing + "; every parameter must receive a gradient"
                    + " in every backward");
        }
        reset();
        expectingBackward = true;
    }

    GradMode.Scope suspend() {
        boolean previous = suspended;
        suspended = true;
        return () -> suspended = previous;
    }

    private void reset() {
        nextToLaunch = 0;
        for (Bucket b : buckets) {
            b.reset();
        }
    }

    private void onGradReady(Tensor param) {
        if (suspended) {
            return;
        }
        long hook = System.nanoTime();
        Bucket b = bucketOf.get((Parameter) param);
        b.markReady((Parameter) param);
        while (nextToLaunch < buckets.size() && buckets.get(nextToLaunch).complete()) {
            buckets.get(nextToLaunch++).launch(group);
        }
        if (nextToLaunch == buckets.size()) {
            try (Timeline.Span wait = Timeline.span(Timeline.COMPUTE, "ddp wait").args("buckets", buckets.size())) {
                for (Bucket done : buckets) {
                    done.finish();
                }
            }
            reset();
            expectingBackward = false;
            reductions++;
            exposedNanos += System.nanoTime() - hook;
        }
    }

    ReducerStats stats() {
        return new ReducerStats(reductions, exposedNanos, buckets.size(),
                buckets.stream().mapToLong(b -> b.bytes).toArray());
    }

    private static final class Bucket {
        private final int index;
        private final List<Parameter> params = new ArrayList<>();
        private final Map<Parameter, Boolean> ready = new IdentityHashMap<>();
        private long bytes;
        private int readyCount;
        private Tensor flat;
        private Work work;

        Bucket(int index) {
            this.index = index;
        }

        void add(Parameter p, long b) {
            params.add(p);
            bytes += b;
        }

        void markReady(Parameter p) {
            if (ready.put(p, Boolean.TRUE) == null) {
                readyCount++;
            }
        }

        boolean complete() {
            return readyCount == params.size();
        }

        List<String> notReady() {
            List<String> out = new ArrayList<>();
            for (Parameter p : params) {
                if (!ready.containsKey(p)) {
                    out.add(java.util.Arrays.toString(p.shape()));
                }
            }
            return out;
        }

        void launch(ProcessGroup group) {
            if (flat == null) {
                int total = 0;
                for (Parameter p : params) {
                    total += (int) p.numel();
                }
                flat = Tensor.wrap(NDArray.empty(io.torus.tensor.DType.FLOAT32, total));
            }
            NDArray buf = flat.data();
            int at = 0;
            for (Parameter p : params) {
                int n = (int) p.numel();
                buf.narrow(0, at, n).copy_(p.grad().data().reshape(n));
                at += n;
            }
            try (Timeline.Scope label = Timeline.label("allReduce bucket " + index)) {
                work = group.allReduceAsync(flat, ReduceOp.AVG);
            }
        }

        void finish() {
            work.await();
            NDArray avg = flat.data();
            int at = 0;
            for (Parameter p : params) {
                int n = (int) p.numel();
                p.grad().data().copy_(avg.narrow(0, at, n).view(p.shape()));
                at += n;
            }
            work = null;
        }

        void reset() {
            ready.clear();
            readyCount = 0;
        }

        @Override
        public String toString() {
            return "bucket " + index + " (" + params.size() + " params, " + bytes + " bytes)";
        }
    }
}
