package io.torus.comm;

import io.torus.autograd.Tensor;
import io.torus.comm.algo.ChunkPlan;
import io.torus.comm.algo.Collectives;
import io.torus.comm.trace.Timeline;
import io.torus.comm.transport.PeerLostException;
import io.torus.comm.transport.Transport;
import io.torus.tensor.DType;
import io.torus.tensor.NDArray;
import io.torus.tensor.Shape;
import io.torus.tensor.Storage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/*
 * The ProcessGroup of this milestone: tensors in, their storage arrays through Collectives,
 * tensors out. Every dtype (FLOAT32, FLOAT64, INT64, INT32, BOOL) travels as the Java array its
 * Storage already holds; see Reductions for what each ReduceOp means per dtype.
 *
 * Every collective, asynchronous or not, runs on one communication thread per group, in issue
 * order, so the order the user issues them is the order on the wire (the sequence numbers in
 * Collectives depend on it); the blocking methods simply wait for their turn (a blocking
 * allReduce with nothing queued runs on the caller's thread: Note [Inline collectives]). A contiguous tensor
 * is reduced in place in its own storage, with no copy at all (Staged); a strided view is copied
 * out when the collective starts and back when it ends, both on that thread. Work.await() gives
 * the caller a happens-before edge to the result.
 *
 * Note [Inline collectives]. A blocking allReduce issued while nothing is queued on the
 * communication thread runs on the caller's own thread instead: handing it over and waiting for
 * the answer would cost two thread wake-ups (tens of microseconds each on an idle core, a
 * scheduler time slice on a busy one) for nothing, since the caller only waits. DDP's last bucket,
 * whose all-reduce backward has to wait for anyway, goes this way. The lock `issuing` is held by
 * whichever thread runs a collective, so collectives still run one at a time, in issue order (the
 * inline one only runs when none is queued before it), and the Collectives' state passes between
 * the threads with a happens-before edge.
 *
 * A StallWatch times every collective: one that waits longer than torus.comm.stall.report.seconds
 * is reported, naming the ranks it waits for (Note [Stall report]). With `torus run --timeline`
 * each collective also becomes a span on the Timeline's comm lane (Note [Timeline]).
 *
 * Any failure inside a collective leaves the other ranks waiting for data that will never come,
 * so it breaks the group: the transport is aborted (peers fail too, naming the culprit) and every
 * later collective fails at once, citing the first failure. Argument errors (wrong dtype, bad
 * root) are thrown in the caller's thread before anything is sent and break nothing.
 */
final class RingProcessGroup implements ProcessGroup {
    private static final Logger log = LoggerFactory.getLogger(RingProcessGroup.class);

    private final Transport transport;
    private final Collectives collectives;
    private final StallWatch stalls;
    private final AutoCloseable resources;
    private final ExecutorService commThread;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Collectives submitted to the communication thread and not yet finished. */
    private final AtomicInteger queued = new AtomicInteger();
    /** Held by whichever thread runs a collective: the communication thread or an inline caller. */
    private final ReentrantLock issuing = new ReentrantLock();
    private volatile RuntimeException broken;

    /**
     * @param transport connected; owned by this group from now on
     * @param resources closed after the transport (the rendezvous), or null
     */
    RingProcessGroup(Transport transport, AutoCloseable resources) {
        this(transport, resources, StallWatch.fromSystemProperties(transport.rank(), transport.worldSize()));
    }

    /** @param stalls watches every collective (Note [Stall report]); closed with this group */
    RingProcessGroup(Transport transport, AutoCloseable resources, StallWatch stalls) {
        this.transport = Objects.requireNonNull(transport, "transport");
        this.stalls = Objects.requireNonNull(stalls, "stalls");
        this.collectives = new Collectives(stalls.watch(transport));
        this.resources = resources;
        this.commThread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "torus-comm-rank-" + transport.rank());
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public int rank() {
        return transport.rank();
    }

    @Override
    public int worldSize() {
        return transport.worldSize();
    }

    @Override
    public Work allReduceAsync(Tensor tensor, ReduceOp op) {
        Objects.requireNonNull(op, "op");
        int n = checkTensor("allReduce", tensor);
        checkOp("allReduce", tensor, op);
        return submit("allReduce", n, allReduceTask(tensor, n, op));
    }

    /**
     * Runs on the caller's thread when nothing is queued on the communication thread (Note [Inline
     * collectives]), else waits for its turn there like every other collective.
     */
    @Override
    public void allReduce(Tensor tensor, ReduceOp op) {
        Objects.requireNonNull(op, "op");
        int n = checkTensor("allReduce", tensor);
        checkOp("allReduce", tensor, op);
        Runnable task = allReduceTask(tensor, n, op);
        if (queued.get() == 0 && issuing.tryLock()) {
            try {
                if (queued.get() == 0) {
                    if (closed.get()) {
                        throw new IllegalStateException("allReduce: the process group of rank " + rank() + " is closed");
                    }
                    CompletableFuture<Void> done = new CompletableFuture<>();
                    run("allReduce", n, Timeline.currentLabel(), 0, task, done);
                    new FutureWork(done).await();
                    return;
                }
            } finally {
                issuing.unlock();
            }
        }
        submit("allReduce", n, task).await();
    }

    private Runnable allReduceTask(Tensor tensor, int n, ReduceOp op) {
        return () -> {
            Staged staged = Staged.of(tensor.data());
            collectives.allReduce(staged.array(), staged.offset(), n, op);
            staged.commit();
            Reference.reachabilityFence(staged); // Note [Storage arrays] in tensor-core's StoragePool
        };
    }

    @Override
    public void broadcast(Tensor tensor, int root) {
        int n = checkTensor("broadcast", tensor);
        if (root < 0 || root >= worldSize()) {
            throw new IllegalArgumentException("broadcast: root " + root + ": expected a rank 0.." + (worldSize() - 1));
        }
        submit("broadcast", n, () -> {
            Staged staged = Staged.of(tensor.data());
            collectives.broadcast(staged.array(), staged.offset(), n, root);
            if (rank() != root) {
                staged.commit();
            }
            Reference.reachabilityFence(staged);
        }).await();
    }

    /** Returns N tensors that are views of one freshly allocated storage (rank r's at offset r * numel). */
    @Override
    public List<Tensor> allGather(Tensor tensor) {
        int n = checkTensor("allGather", tensor);
        long gathered = (long) n * worldSize();
        if (gathered > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("allGather: " + worldSize() + " x " + n
                    + " elements do not fit one Java array");
        }
        Storage all = NDArray.empty(tensor.dtype(), (int) gathered).storage();
        submit("allGather", n, () -> {
            Staged staged = Staged.of(tensor.data());
            collectives.allGather(staged.array(), staged.offset(), n, all.array(), all.base());
            Reference.reachabilityFence(staged);
            Reference.reachabilityFence(all);
        }).await();
        int[] shape = tensor.shape();
        List<Tensor> out = new ArrayList<>(worldSize());
        for (int r = 0; r < worldSize(); r++) {
            out.add(Tensor.wrap(new NDArray(all, shape, Shape.contiguousStrides(shape), all.base() + r * n)));
        }
        return List.copyOf(out);
    }

    @Override
    public Tensor reduceScatter(Tensor input, ReduceOp op) {
        Objects.requireNonNull(op, "op");
        int n = checkTensor("reduceScatter", input);
        checkOp("reduceScatter", input, op);
        ChunkPlan plan = new ChunkPlan(n, worldSize());
        int[] shape = reduceScatterShape(input.shape(), worldSize(), plan.length(rank()));
        NDArray out = NDArray.empty(input.dtype(), shape);
        submit("reduceScatter", n, () -> {
            // The input stays untouched: the ring works on a copy, and this rank's share is copied out.
            NDArray work = input.data().copy();
            collectives.reduceScatter(work.storage().array(), work.offset(), n, op);
            System.arraycopy(work.storage().array(), work.offset() + plan.offset(rank()), out.storage().array(), out.offset(),
                    plan.length(rank()));
            Reference.reachabilityFence(work);
            Reference.reachabilityFence(out);
        }).await();
        return Tensor.wrap(out);
    }

    @Override
    public void barrier() {
        submit("barrier", 0, collectives::barrier).await();
    }

    /**
     * Closes the transport (peers see a goodbye), then the rendezvous. Collectives still queued or
     * running fail. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        commThread.shutdown();
        stalls.close();
        try {
            transport.close();
            if (!commThread.awaitTermination(10, TimeUnit.SECONDS)) {
                log.warn("rank {}: communication thread still busy 10 s after close", rank());
                commThread.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (resources != null) {
                try {
                    resources.close();
                } catch (Exception e) {
                    log.warn("rank {}: closing {} failed: {}", rank(), resources, e.toString());
                }
            }
        }
    }

    private Work submit(String what, int elements, Runnable collective) {
        if (closed.get()) {
            throw new IllegalStateException(what + ": the process group of rank " + rank() + " is closed");
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        String label = Timeline.currentLabel();
        long launched = Timeline.enabled() ? Timeline.now() : 0;
        queued.incrementAndGet();
        try {
            commThread.execute(() -> {
                issuing.lock();
                try {
                    run(what, elements, label, launched, collective, done);
                } finally {
                    issuing.unlock();
                    queued.decrementAndGet();
                }
            });
        } catch (RejectedExecutionException e) {
            queued.decrementAndGet();
            throw new IllegalStateException(what + ": the process group of rank " + rank() + " is closed", e);
        }
        return new FutureWork(done);
    }

    /**
     * Runs one collective on the communication thread. {@code label} and {@code launchedNanos}
     * (when and by what it was launched) only matter to the {@link Timeline}.
     */
    private void run(String what, int elements, String label, long launchedNanos, Runnable collective,
                     CompletableFuture<Void> done) {
        RuntimeException earlier = broken;
        if (earlier != null) {
            done.completeExceptionally(new IllegalStateException("rank " + rank() + ": " + what
                    + " not run: the process group is broken by an earlier failure: " + earlier.getMessage(), earlier));
            return;
        }
        long seq = collectives.issued();
        long start = System.nanoTime();
        stalls.begin(what, seq, elements);
        try {
            collective.run();
            stalls.end();
            trace(what, label, launchedNanos, seq, start);
            done.complete(null);
        } catch (RuntimeException | Error e) {
            stalls.end();
            trace(what, label, launchedNanos, seq, start);
            breakGroup(what, e);
            done.completeExceptionally(e);
        }
    }

    /** Records a collective that ran from {@code start} to now, before its waiter can go on. */
    private static void trace(String what, String label, long launchedNanos, long seq, long start) {
        if (Timeline.enabled()) {
            Timeline.record(Timeline.COMM, label != null ? label : what, start, System.nanoTime(), "op", what, "seq", seq,
                    "queued_us", launchedNanos == 0 ? 0 : Math.max(0, (start - launchedNanos) / 1000));
        }
    }

    private void breakGroup(String what, Throwable e) {
        if (broken == null) {
            broken = e instanceof RuntimeException re ? re : new IllegalStateException(e);
        }
        if (e instanceof PeerLostException lost) {
            transport.abort(lost.lostRank(), lost.reason());
        } else {
            transport.abort(rank(), "aborted the group: its " + what + " failed: " + e);
        }
    }

    /** @return the element count */
    private static int checkTensor(String op, Tensor tensor) {
        Objects.requireNonNull(tensor, op + ": tensor");
        if (tensor.device().isCuda()) {
            throw new IllegalArgumentException(op + ": device " + tensor.device()
                    + " is not supported: collectives take CPU tensors in this version");
        }
        if (tensor.numel() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(op + ": " + tensor.numel() + " elements exceed the "
                    + (Integer.MAX_VALUE - 8) + " a collective can take");
        }
        return (int) tensor.numel();
    }

    /** See {@link ProcessGroup#reduceScatter}: [d0 / N, d1, ...] when N divides d0, else [length]. */
    private static int[] reduceScatterShape(int[] shape, int worldSize, int length) {
        if (shape.length > 0 && shape[0] % worldSize == 0) {
            int[] out = shape.clone();
            out[0] = shape[0] / worldSize;
            return out;
        }
        return new int[] {length};
    }

    private static void checkOp(String what, Tensor tensor, ReduceOp op) {
        if (op == ReduceOp.AVG && tensor.dtype() == DType.BOOL) {
            throw new IllegalArgumentException(what + ": op AVG is not defined for dtype BOOL: use SUM (any), "
                    + "MAX (any) or MIN (all)");
        }
    }

    /**
     * A tensor's elements as one contiguous slice of an element array: its own storage when it is
     * contiguous (no copy; commit only bumps the version counter), else a contiguous copy that
     * commit writes back.
     */
    private record Staged(NDArray target, NDArray contiguous) {
        static Staged of(NDArray target) {
            return new Staged(target, target.contiguous());
        }

        Object array() {
            return contiguous.storage().array();
        }

        int offset() {
            return contiguous.offset();
        }

        void commit() {
            if (contiguous == target) {
                target.storage().bumpVersion();
            } else {
                target.copy_(contiguous);
            }
        }
    }

    @Override
    public String toString() {
        return "RingProcessGroup[rank " + rank() + " of " + worldSize() + " over " + transport + "]";
    }

    private record FutureWork(CompletableFuture<Void> done) implements Work {
        @Override
        public void await() {
            try {
                done.join();
            } catch (CompletionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof RuntimeException re) {
                    throw re;
                }
                if (cause instanceof Error err) {
                    throw err;
                }
                throw new IllegalStateException(cause);
            }
        }

        @Override
        public boolean isDone() {
            return done.isDone();
        }
    }
}
