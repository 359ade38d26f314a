package io.torus.tensor;

import java.lang.ref.PhantomReference;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A cache of large CPU arrays whose {@link Storage} has been garbage-collected, handed to the next
 * uninitialised allocation of the same dtype and length, after PyTorch's CUDA caching allocator
 * ({@code c10/cuda/CUDACachingAllocator.cpp}): there a block returns to the cache when the
 * tensor's reference count drops to zero; here when the garbage collector finds its Storage
 * unreachable.
 *
 * <p>Why: a JVM zeroes every new array, and G1 allocates an array above half a region (1 MiB
 * here) as a humongous object. For {@code a.add(b)} over 64 MiB of FLOAT32 the kernel takes ~17 ms
 * and the zeroed output ~6.5 ms more (2-vCPU Sapphire Rapids VM, any collector: G1, Parallel,
 * Serial, pre-sized heap, huge pages); a recycled array skips those 6.5 ms.
 *
 * <h2>How an array comes back</h2>
 * Every Storage that {@link Storage#allocateUninitialized} creates at or above {@link #MIN_BYTES}
 * is tracked by a {@link Tracker}: a {@link PhantomReference} to the Storage that also holds the
 * array strongly. Views share their Storage, so while any view lives the Storage is reachable and
 * the tracker stays put. Once the collector finds the Storage unreachable it enqueues the tracker;
 * the next allocation (of any size) drains the queue into size-exact free lists (at most {@link #MAX_BYTES} in
 * all, the oldest evicted first) and takes an array from them.
 *
 * <h2>Why arrays under 1 MiB are not pooled (Note [Pool minimum])</h2>
 * An array comes back only after a collection has found its Storage unreachable: the one the pool
 * hands out was last written a whole young-generation cycle earlier and is as far out of the
 * caches as a fresh one. Writing 256 KiB on the 2-vCPU VM (2 MiB L2 per core) took 4-6 us into
 * an array still in L2, ~10 us cycling over 4-32 MiB of arrays, 20-30 us over 64-512 MiB, and
 * {@code new float[65536]} 47-85 us (load 6-11). The direct-BLAS reference of
 * {@code torus bench tensor} writes one output in place call after call (the first case);
 * {@code a.matmul(b)} gets a fresh or a recycled array, cold either way (a recycled one skips
 * the JVM's zeroing, but the product's writes then take the same cache misses). And since recycled
 * arrays arrive only at a collection, only 30-40% of 64 KiB-1 MiB requests found one. Measured
 * 2026-11-23, minBytes 1 MiB (the default) against 64 KiB, the same build, in turn:
 * <pre>
 *                                      1 MiB         64 KiB        (load, 1 min)
 * bench tensor sgemm, Torus/direct
 *                    n=256             0.63x         0.72x         2.3-2.9
 *                    n=512             0.90x         0.91x
 *                    n=1024            0.96x         0.90x
 *                    n=2048            0.88x         0.89x
 * matmul n=256, process CPU per call   238-273 us    231-311 us    (direct 169-195 us)
 * bench train mlp b64 Torus/torch      1.02x         0.78x         2.9-5.5
 *                 b256                 0.95x         0.89x
 * MLP b64 step, wall (3 runs each)     838-1127 us   906-1937 us   1-5.5
 * </pre>
 * No gain beyond noise at any size, a loss for the MLP (more phantom references for the
 * collector; presumably also recycled arrays aging into the old generation): the default stays at 1 MiB. What
 * would close the n=256 gap is reusing the array the previous result released while it is still
 * in cache, which needs its death known before a collection (reference counts, or an explicit
 * release in code that owns a temporary), not a lower minimum. The setting remains for
 * experiments; the whole tensor-core/autograd/comm suite passes with it at 4096 (under G1 that
 * takes 1 MiB regions or less as well: Note [Pool floor]).
 *
 * <h2>Only humongous arrays under G1 (Note [Pool floor])</h2>
 * A tracker holds its array strongly, so the array of a Storage that dies in the young generation
 * survives the collection that finds it dead (the tracker is enqueued, not yet drained) and is
 * copied to a survivor region; every array on a free list is copied again at every young
 * collection until it is promoted, and promoted ones fill the old generation until a concurrent
 * cycle. G1 never moves a humongous array (at least half a region), so for those a pooled array
 * costs the collector nothing. Not so below: a LeNet training step at batch 64 (1.2 MiB
 * activations, 4 MiB regions on a 6 GiB default heap) spent 0.3-1.6 s of every 3-4 s in young
 * pauses of up to 0.8 s with the live heap at 1.4-1.7 GiB, against 11-17 ms and ~40 MiB with
 * arrays under 2 MiB left out (2026-11-23, load 6-8; ms per step 15-56 against 5.3-5.8).
 * So under G1 the minimum is never below half a region ({@link #humongousBytes}); with the
 * workers' smaller heaps (1 MiB regions up to 2 GiB) that is below the 1 MiB default anyway.
 *
 * <h2>The contract this relies on (Note [Storage arrays])</h2>
 * A phantom reference tells that nobody can reach the <em>Storage</em>; it cannot tell that nobody
 * still holds the bare array. So the backing array of a Storage may be used only while that Storage
 * (or an NDArray over it) is strongly reachable: code that keeps only the array in a local variable
 * across work that may allocate must end with {@code Reference.reachabilityFence(owner)}, as
 * {@code java.nio.DirectByteBuffer} does. {@link NDArray} fences the operands of every backend call,
 * so backend kernels, which receive NDArrays, are covered; arrays from {@link Storage#wrap} are
 * the caller's and are never pooled.
 *
 * <p>Thread-safe: the free lists are guarded by this pool's monitor; the queue and the tracker
 * set are concurrent. Settings: {@code torus.storage.pool.minBytes} (default 1 MiB, raised to half
 * a G1 region: Note [Pool floor]) and
 * {@code torus.storage.pool.maxBytes} (default {@link #DEFAULT_MAX_BYTES}, 256 MiB; 0 turns the
 * pool off; never more than an eighth of the heap).
 *
 * <p>On by default. Every module was audited for the rule above: tensor-core's kernels receive
 * fenced NDArrays; the only other code that reads storage arrays directly (comm's ring
 * collectives, the checkpoint writer) fences its tensors after the last use of their arrays; the
 * rule is stated on {@link Storage#array()} for users. Measured on 64 MiB FLOAT32 (2-vCPU VM):
 * {@code a.add(b)} into a fresh array moves data at about 0.5-0.75x of {@code System.arraycopy},
 * into a recycled one at about 0.8-1.2x; allocating without zeroing
 * ({@code jdk.internal.misc.Unsafe.allocateUninitializedArray}) costs as much as {@code new float[]}
 * here (6.5 ms for 64 MiB either way, with or without a pre-touched heap), so reuse is what pays.
 */
final class StoragePool {
    static final long MIN_BYTES = Math.max(Long.getLong("torus.storage.pool.minBytes", 1L << 20), humongousBytes());
    /** The default bound on the bytes of free arrays the pool keeps. */
    static final long DEFAULT_MAX_BYTES = 256L << 20;
    static final long MAX_BYTES = Math.min(Long.getLong("torus.storage.pool.maxBytes", DEFAULT_MAX_BYTES),
            Runtime.getRuntime().maxMemory() / 8);

    private static volatile StoragePool instance = new StoragePool(MIN_BYTES, MAX_BYTES);

    /** The pool that {@link Storage#allocateUninitialized} uses. */
    static StoragePool instance() {
        return instance;
    }

    /** Tests: replaces the process-wide pool and returns the previous one. */
    static StoragePool replaceForTesting(StoragePool pool) {
        StoragePool previous = instance;
        instance = pool;
        return previous;
    }

    /** The phantom reference to a pooled Storage, holding its array for when the Storage is gone. */
    private static final class Tracker extends PhantomReference<Storage> {
        final Object array;
        final long bytes;

        Tracker(Storage owner, Object array, long bytes, ReferenceQueue<Storage> queue) {
            super(owner, queue);
            this.array = array;
            this.bytes = bytes;
        }
    }

    /** A free array; {@code taken} once handed out again (it then lingers in {@code age} until passed over). */
    private static final class Free {
        final Object array;
        final long bytes;
        boolean taken;

        Free(Object array, long bytes) {
            this.array = array;
            this.bytes = bytes;
        }
    }

    private final long minBytes;
    private final long maxBytes;
    private final ReferenceQueue<Storage> queue = new ReferenceQueue<>();
    /** Keeps the trackers themselves reachable until they are enqueued. */
    private final Set<Tracker> tracked = ConcurrentHashMap.newKeySet();
    /**
     * Guarded by this: free arrays by {@link #key} (newest last: {@link #take} hands out the most
     * recently freed one), and all of them oldest first for eviction. A taken entry stays in
     * {@code age} (marked) until eviction passes over it or a compaction drops it, so that neither
     * taking nor evicting ever scans a list.
     */
    private final Map<Long, ArrayDeque<Free>> free = new HashMap<>();
    private final ArrayDeque<Free> age = new ArrayDeque<>();
    private int takenInAge;
    private long freeBytes;
    private long hits;
    private long misses;

    StoragePool(long minBytes, long maxBytes) {
        this.minBytes = minBytes;
        this.maxBytes = maxBytes;
    }

    /**
     * The smallest array that G1 allocates as a humongous object (half a heap region), or 0 when
     * the collector is not G1 or cannot be asked (Note [Pool floor]).
     */
    static long humongousBytes() {
        try {
            var vm = java.lang.management.ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            if (vm != null && "true".equals(vm.getVMOption("UseG1GC").getValue())) {
                return Long.parseLong(vm.getVMOption("G1HeapRegionSize").getValue()) / 2;
            }
        } catch (RuntimeException | LinkageError e) {
            // no HotSpot diagnostics: keep the configured minimum
        }
        return 0;
    }

    boolean pools(long bytes) {
        return maxBytes > 0 && bytes >= minBytes && bytes <= maxBytes;
    }

    /** A free list's key: the array's class (its dtype) and length. */
    private static Long key(Class<?> type, int length) {
        int code = type == float[].class ? 0 : type == double[].class ? 1 : type == long[].class ? 2 : type == int[].class ? 3 : 4;
        return ((long) code << 32) | length;
    }

    /** A free array of exactly this class and length, or null; its contents are arbitrary. */
    Object take(Class<?> type, int length) {
        drain();
        synchronized (this) {
            ArrayDeque<Free> list = free.get(key(type, length));
            Free f = list == null ? null : list.pollLast();
            if (f == null) {
                misses++;
                return null;
            }
            hits++;
            f.taken = true;
            freeBytes -= f.bytes;
            if (++takenInAge > 64 && takenInAge > age.size() / 2) {
                age.removeIf(x -> x.taken);
                takenInAge = 0;
            }
            return f.array;
        }
    }

    /** Watches {@code owner}: once it is unreachable, {@code array} (its backing array) may be handed out again. */
    void track(Storage owner, Object array, long bytes) {
        tracked.add(new Tracker(owner, array, bytes, queue));
    }

    /** Moves the arrays of collected Storages onto the free lists. */
    void drain() {
        Reference<? extends Storage> r;
        while ((r = queue.poll()) != null) {
            Tracker t = (Tracker) r;
            tracked.remove(t);
            give(t.array, t.bytes);
        }
    }

    private synchronized void give(Object array, long bytes) {
        if (bytes > maxBytes) {
            return;
        }
        while (freeBytes + bytes > maxBytes) {
            Free old = age.pollFirst();
            if (old.taken) {
                takenInAge--;
                continue;
            }
            // The oldest free entry overall is the oldest (first) of its own list.
            Free gone = free.get(key(old.array.getClass(), java.lang.reflect.Array.getLength(old.array))).pollFirst();
            assert gone == old;
            freeBytes -= old.bytes;
        }
        Free f = new Free(array, bytes);
        free.computeIfAbsent(key(array.getClass(), java.lang.reflect.Array.getLength(array)), k -> new ArrayDeque<>()).addLast(f);
        age.addLast(f);
        freeBytes += bytes;
    }

    static int bytesPerElement(Class<?> arrayType) {
        if (arrayType == double[].class || arrayType == long[].class) {
            return 8;
        }
        return arrayType == boolean[].class ? 1 : 4;
    }

    /** What the pool holds and has done, for tests and benchmarks. */
    record Stats(long freeBytes, int freeArrays, int tracked, long hits, long misses) {
    }

    synchronized Stats stats() {
        return new Stats(freeBytes, age.size() - takenInAge, tracked.size(), hits, misses);
    }
}
