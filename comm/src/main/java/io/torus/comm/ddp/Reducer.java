package io.torus.comm.ddp;

import io.torus.autograd.GradMode;
import io.torus.autograd.Tensor;
import io.torus.comm.ProcessGroup;
import io.torus.comm.ReduceOp;
import io.torus.comm.Work;
import io.torus.comm.trace.Timeline;
import io.torus.nn.Parameter;
import io.torus.tensor.DType;
import io.torus.tensor.Device;
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
 * all-reduced (AVG) on the group's communication thread while backward goes on. The last bucket
 * is all-reduced with the blocking call, on backward's own thread once the earlier ones are done
 * (nothing is left to overlap with by then); the reducer then waits for the others (parked, not
 * spinning) and copies the averages back into the gradients.
 *
 * <p>Copies: one into the flat buffer and one back per gradient element, each a single
 * contiguous pass; the flat buffers are allocated once, at the first reduction, and reused (a
 * fresh one per step was a megabyte of garbage per step for a small MLP). The copy back cannot
 * be skipped by handing out views of the buffer as gradients: the optimiser's zeroGrad drops
 * gradients, and a view a user kept would change under them at the next step.
 *
 * <p>Note [CUDA buckets]. The ring runs over Netty on the host, so gradients on a GPU are staged:
 * the bucket's gradients are first gathered into one flat array on their device (device-to-device
 * copies, queued on the device's stream), that array crosses to the host in one copy through the
 * backend's pinned staging buffer, the host array is all-reduced asynchronously, and at the end
 * the averages cross back in one copy and are scattered into the gradients on the device. One
 * transfer each way per bucket instead of one per parameter; the device-to-host copy runs in the
 * gradient hook, so backward of the earlier layers waits for it, while the all-reduce itself
 * overlaps the rest of backward as on the CPU.
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
            Bucket next = buckets.get(nextToLaunch++);
            next.launch(group, nextToLaunch == buckets.size());
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
        private NDArray gather; // the bucket's gradients, flat, on their device (Note [CUDA buckets])

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

        /**
         * @param last the last bucket: backward waits for it at once, so its all-reduce is blocking,
         *             which runs on this thread when the earlier buckets are done (Note [Inline
         *             collectives] in RingProcessGroup), saving two thread hand-offs per step
         */
        void launch(ProcessGroup group, boolean last) {
            Device device = params.get(0).grad().device();
            if (gather == null || !gather.device().equals(device)) {
                int total = 0;
                for (Parameter p : params) {
                    total += (int) p.numel();
                }
                gather = NDArray.empty(device, DType.FLOAT32, total);
                flat = device.isCuda() ? null : Tensor.wrap(gather);
            }
            int at = 0;
            for (Parameter p : params) {
                int n = (int) p.numel();
                NDArray g = p.grad().data();
                if (!g.device().equals(device)) {
                    throw new IllegalStateException("DistributedDataParallel: gradients of one process must live on one "
                            + "device, got " + device + " and " + g.device() + " (parameter of shape "
                            + java.util.Arrays.toString(p.shape()) + ")");
                }
                gather.narrow(0, at, n).copy_(g.reshape(n));
                at += n;
            }
            if (device.isCuda()) {
                flat = Tensor.wrap(gather.to(Device.CPU)); // Note [CUDA buckets]: one staged copy to the host
            }
            try (Timeline.Scope label = Timeline.label("allReduce bucket " + index)) {
                if (last) {
                    group.allReduce(flat, ReduceOp.AVG);
                    work = null;
                } else {
                    work = group.allReduceAsync(flat, ReduceOp.AVG);
                }
            }
        }

        void finish() {
            if (work != null) {
                work.await();
            }
            NDArray avg = gather.device().isCuda() ? flat.data().to(gather.device()) : flat.data(); // one copy back
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
