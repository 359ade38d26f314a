package io.torus.tensor.backend.cpu;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * Intra-op parallelism: the threads one op may use inside one worker process.
 *
 * <p>The count is {@code torus.intraop.threads} (or the environment's {@code TORUS_NUM_THREADS}),
 * default 1: data-parallel training already runs one worker process per core, and on a shared
 * FPU a second thread rarely speeds up FMA-bound work. The same count is handed to OpenBLAS.
 *
 * <p>Note [Fixed chunks]: a kernel that splits its work cuts it into chunks whose bounds depend
 * only on the problem size ({@link #chunks}), never on the thread count, and combines per-chunk
 * partial results in chunk order. Threads only decide who computes a chunk, so a reduction gives
 * the same bits with 1 thread or 16. Chunks are handed out dynamically (an atomic counter): the
 * calling thread works too, and a chunk whose body throws fails the whole call. (Native OpenBLAS
 * threads itself and does not follow this note: see {@link OpenBlas}.)
 */
final class IntraOp {
    private static volatile int threads = CpuBackend.intraOpThreads();
    private static ExecutorService pool;
    private static int poolSize;

    private IntraOp() {
    }

    static int threads() {
        return threads;
    }

    /** Sets the thread count for this process (tests; OpenBLAS follows when it is loaded). */
    static synchronized void setThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("intra-op threads " + n + ": expected >= 1");
        }
        threads = n;
        OpenBlas.setThreads(n);
    }

    /** Number of chunks of at most {@code grain} elements covering {@code n} elements. */
    static int chunks(long n, int grain) {
        return (int) Math.max(1, (n + grain - 1) / grain);
    }

    /**
     * Runs {@code body} once for every chunk index in {@code [0, chunks)} and returns when all are
     * done. Runs inline when one thread is configured, when there is one chunk, or when called from
     * an intra-op thread (no nesting).
     */
    static void parallelFor(int chunks, IntConsumer body) {
        int t = Math.min(threads, chunks);
        if (t <= 1 || Thread.currentThread() instanceof Worker) {
            for (int c = 0; c < chunks; c++) {
                body.accept(c);
            }
            return;
        }
        Job job = new Job(chunks, body);
        ExecutorService p = pool(t - 1);
        for (int i = 0; i < t - 1; i++) {
            p.execute(job);
        }
        job.run();
        job.await();
    }

    private static synchronized ExecutorService pool(int helpers) {
        if (pool == null || poolSize < helpers) {
            if (pool != null) {
                pool.shutdown();
            }
            AtomicInteger id = new AtomicInteger();
            pool = Executors.newFixedThreadPool(helpers, r -> new Worker(r, "torus-intraop-" + id.incrementAndGet()));
            poolSize = helpers;
        }
        return pool;
    }

    private static final class Worker extends Thread {
        Worker(Runnable r, String name) {
            super(r, name);
            setDaemon(true);
        }
    }

    /** One parallelFor call: chunks are claimed from a counter by the caller and the helpers. */
    private static final class Job implements Runnable {
        private final int chunks;
        private final IntConsumer body;
        private final AtomicInteger next = new AtomicInteger();
        private final CountDownLatch done;
        private volatile Throwable failure;

        Job(int chunks, IntConsumer body) {
            this.chunks = chunks;
            this.body = body;
            this.done = new CountDownLatch(chunks);
        }

        @Override
        public void run() {
            for (int c; (c = next.getAndIncrement()) < chunks; ) {
                try {
                    if (failure == null) {
                        body.accept(c);
                    }
                } catch (Throwable e) {
                    failure = e;
                } finally {
                    done.countDown();
                }
            }
        }

        void await() {
            boolean interrupted = false;
            while (true) {
                try {
                    done.await();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            Throwable f = failure;
            if (f instanceof RuntimeException r) {
                throw r;
            }
            if (f instanceof Error e) {
                throw e;
            }
            if (f != null) {
                throw new IllegalStateException(f);
            }
        }
    }
}
