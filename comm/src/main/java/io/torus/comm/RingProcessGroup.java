package io.torus.comm;

import io.torus.autograd.Tensor;
import io.torus.comm.algo.Collectives;
import io.torus.comm.transport.PeerLostException;
import io.torus.comm.transport.Transport;
import io.torus.tensor.DType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/*
 * The ProcessGroup of this milestone: tensors in, float arrays through Collectives, tensors out.
 *
 * Every collective, asynchronous or not, runs on one communication thread per group, in issue
 * order, so the order the user issues them is the order on the wire (the sequence numbers in
 * Collectives depend on it); the blocking methods simply wait for their turn. The tensor is read
 * (toFloatArray) when the collective starts and written (setData) when it ends, both on that
 * thread; Work.await() gives the caller a happens-before edge to the result.
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
    private final AutoCloseable resources;
    private final ExecutorService commThread;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile RuntimeException broken;

    /**
     * @param transport connected; owned by this group from now on
     * @param resources closed after the transport (the rendezvous), or null
     */
    RingProcessGroup(Transport transport, AutoCloseable resources) {
        this.transport = Objects.requireNonNull(transport, "transport");
        this.collectives = new Collectives(transport);
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
        checkFloat32("allReduce", tensor);
        return submit("allReduce", () -> {
            float[] data = tensor.toFloatArray();
            collectives.allReduce(data, 0, data.length, op);
            tensor.setData(data);
        });
    }

    @Override
    public void broadcast(Tensor tensor, int root) {
        checkFloat32("broadcast", tensor);
        if (root < 0 || root >= worldSize()) {
            throw new IllegalArgumentException("broadcast: root " + root + ": expected a rank 0.." + (worldSize() - 1));
        }
        submit("broadcast", () -> {
            float[] data = tensor.toFloatArray();
            collectives.broadcast(data, 0, data.length, root);
            if (rank() != root) {
                tensor.setData(data);
            }
        }).await();
    }

    @Override
    public List<Tensor> allGather(Tensor tensor) {
        int n = checkFloat32("allGather", tensor);
        long gathered = (long) n * worldSize();
        if (gathered > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("allGather: " + worldSize() + " x " + n
                    + " elements do not fit one Java array");
        }
        float[] all = new float[(int) gathered];
        submit("allGather", () -> {
            float[] data = tensor.toFloatArray();
            collectives.allGather(data, 0, data.length, all, 0);
        }).await();
        int[] shape = tensor.shape();
        List<Tensor> out = new ArrayList<>(worldSize());
        for (int r = 0; r < worldSize(); r++) {
            out.add(Tensor.of(Arrays.copyOfRange(all, r * n, (r + 1) * n), shape));
        }
        return List.copyOf(out);
    }

    @Override
    public void barrier() {
        submit("barrier", collectives::barrier).await();
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

    private Work submit(String what, Runnable collective) {
        if (closed.get()) {
            throw new IllegalStateException(what + ": the process group of rank " + rank() + " is closed");
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            commThread.execute(() -> run(what, collective, done));
        } catch (RejectedExecutionException e) {
            throw new IllegalStateException(what + ": the process group of rank " + rank() + " is closed", e);
        }
        return new FutureWork(done);
    }

    private void run(String what, Runnable collective, CompletableFuture<Void> done) {
        RuntimeException earlier = broken;
        if (earlier != null) {
            done.completeExceptionally(new IllegalStateException("rank " + rank() + ": " + what
                    + " not run: the process group is broken by an earlier failure: " + earlier.getMessage(), earlier));
            return;
        }
        try {
            collective.run();
            done.complete(null);
        } catch (RuntimeException | Error e) {
            breakGroup(what, e);
            done.completeExceptionally(e);
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
    private static int checkFloat32(String op, Tensor tensor) {
        Objects.requireNonNull(tensor, op + ": tensor");
        if (tensor.dtype() != DType.FLOAT32) {
            throw new IllegalArgumentException(op + ": dtype " + tensor.dtype()
                    + " is not supported: collectives take FLOAT32 tensors in this version");
        }
        if (tensor.numel() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(op + ": " + tensor.numel() + " elements exceed the "
                    + (Integer.MAX_VALUE - 8) + " a collective can take");
        }
        return (int) tensor.numel();
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
