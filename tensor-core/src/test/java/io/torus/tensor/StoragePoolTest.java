package io.torus.tensor;

import org.junit.jupiter.api.Test;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The caching allocator behind {@link NDArray#empty}: arrays come back only after their Storage is
 * collected, never while a Storage (or a view of it) lives, and {@code zeros} stays zero. Each test
 * uses its own array length so that the shared pool's free lists do not mix between tests.
 */
class StoragePoolTest {
    /** Each test runs with a pool of its own, so that the process-wide one's state does not leak in. */
    private StoragePool previous;

    /** The smallest array the tests' pool keeps (whatever torus.storage.pool.minBytes this run has). */
    private static final long TEST_MIN_BYTES = 1L << 20;

    @org.junit.jupiter.api.BeforeEach
    void enablePool() {
        previous = StoragePool.replaceForTesting(new StoragePool(TEST_MIN_BYTES, 512L << 20));
    }

    @org.junit.jupiter.api.AfterEach
    void restorePool() {
        StoragePool.replaceForTesting(previous);
    }
    @Test
    void defaults_poolOnForLargeArraysWithinAnEighthOfTheHeap() {
        assumeTrue(System.getProperty("torus.storage.pool.maxBytes") == null, "pool bound set for this run");
        assertEquals(Math.min(StoragePool.DEFAULT_MAX_BYTES, Runtime.getRuntime().maxMemory() / 8), StoragePool.MAX_BYTES);
        StoragePool defaults = new StoragePool(StoragePool.MIN_BYTES, StoragePool.MAX_BYTES);
        assertTrue(defaults.pools(64L << 20), "64 MiB arrays are pooled by default");
        assertFalse(defaults.pools(StoragePool.MIN_BYTES - 1), "small arrays are not");
    }

    @Test
    void defaults_underG1OnlyHumongousArraysArePooled() {
        long half = StoragePool.humongousBytes();
        boolean g1 = java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().stream()
                .anyMatch(b -> b.getName().startsWith("G1"));
        assertEquals(g1, half > 0, "half a region is known exactly when G1 runs");
        assertTrue(StoragePool.MIN_BYTES >= half, "minimum " + StoragePool.MIN_BYTES + " below half a region " + half);
    }

    /** Just above the pooling threshold; tests add their own offset. */
    private static final int BASE = (int) (TEST_MIN_BYTES / 4) + 1;
    private static final AtomicInteger NEXT = new AtomicInteger();

    private static int freshLength() {
        return BASE + 16 * NEXT.incrementAndGet();
    }

    /** Runs the collector until {@code done} (each try also drains the pool), or fails after ~10 s. */
    private static void gcUntil(BooleanSupplier done) throws InterruptedException {
        for (int i = 0; i < 200; i++) {
            System.gc();
            StoragePool.instance().drain();
            if (done.getAsBoolean()) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the collector did not make the condition true within ~10 s");
    }

    @Test
    void allocateUninitialized_recyclesArrayAfterOwnerIsCollected() throws InterruptedException {
        int n = freshLength();
        Storage first = Storage.allocateUninitialized(DType.FLOAT32, n);
        assertFalse(first.recycled());
        WeakReference<Object> array = new WeakReference<>(first.array());
        first = null;
        Storage[] next = new Storage[1];
        gcUntil(() -> {
            next[0] = Storage.allocateUninitialized(DType.FLOAT32, n);
            return next[0].recycled();
        });
        assertNotNull(array.get(), "the pool keeps the array of a collected storage");
        assertSame(array.get(), next[0].array());
        assertEquals(n, next[0].size());
    }

    @Test
    void allocateUninitialized_neverSharesArrayWithLiveStorage() throws InterruptedException {
        int n = freshLength();
        Storage live = Storage.allocateUninitialized(DType.FLOAT64, n);
        Arrays.fill(live.doubles(), 42.0);
        // A collected neighbour of the same size proves that recycling did happen meanwhile.
        Storage dead = Storage.allocateUninitialized(DType.FLOAT64, n);
        WeakReference<Object> deadArray = new WeakReference<>(dead.array());
        dead = null;
        List<Storage> taken = new ArrayList<>();
        gcUntil(() -> {
            Storage s = Storage.allocateUninitialized(DType.FLOAT64, n);
            taken.add(s);
            return s.array() == deadArray.get();
        });
        for (Storage s : taken) {
            assertNotSame(live.array(), s.array());
        }
        assertTrue(Arrays.stream(live.doubles()).allMatch(v -> v == 42.0));
    }

    @Test
    void allocateUninitialized_viewKeepsStorageFromRecycling() throws InterruptedException {
        int n = freshLength();
        NDArray base = NDArray.empty(DType.FLOAT32, n);
        base.fill_(3);
        NDArray view = base.narrow(0, 1, n - 1);
        Object array = base.storage().array();
        base = null;
        Storage probe = Storage.allocateUninitialized(DType.FLOAT32, n);
        WeakReference<Object> probeArray = new WeakReference<>(probe.array());
        probe = null;
        gcUntil(() -> Storage.allocateUninitialized(DType.FLOAT32, n).array() == probeArray.get());
        for (int i = 0; i < 8; i++) {
            assertNotSame(array, Storage.allocateUninitialized(DType.FLOAT32, n).array());
        }
        assertEquals(3.0, view.getDouble(n - 2));
        assertSame(array, view.storage().array());
    }

    @Test
    void zeros_isZeroEvenFromRecycledArray() throws InterruptedException {
        int n = freshLength();
        NDArray dirty = NDArray.empty(DType.FLOAT32, n);
        dirty.fill_(7);
        dirty = null;
        NDArray[] z = new NDArray[1];
        gcUntil(() -> {
            z[0] = NDArray.zeros(DType.FLOAT32, n);
            return z[0].storage().recycled();
        });
        for (float v : z[0].storage().floats()) {
            assertEquals(0f, v);
        }
        assertEquals(0.0, z[0].sum().item());
    }

    @Test
    void allocateUninitialized_smallStoragesAreFreshAndZero() {
        Storage s = Storage.allocateUninitialized(DType.INT64, 1000);
        assertFalse(s.recycled());
        assertTrue(Arrays.stream(s.longs()).allMatch(v -> v == 0));
    }

    @Test
    void wrap_arrayIsNeverPooled() throws InterruptedException {
        int n = freshLength();
        float[] mine = new float[n];
        Storage wrapped = Storage.wrap(mine);
        wrapped = null;
        Storage probe = Storage.allocateUninitialized(DType.FLOAT32, n);
        WeakReference<Object> probeArray = new WeakReference<>(probe.array());
        probe = null;
        gcUntil(() -> Storage.allocateUninitialized(DType.FLOAT32, n).array() == probeArray.get());
        for (int i = 0; i < 8; i++) {
            assertNotSame(mine, Storage.allocateUninitialized(DType.FLOAT32, n).array());
        }
    }

    @Test
    void pool_staysWithinItsBoundEvictingTheOldest() throws InterruptedException {
        int n = 1 << 18; // 1 MiB of floats
        StoragePool pool = new StoragePool(1 << 20, 3L << 20);
        List<WeakReference<Object>> arrays = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            float[] a = new float[n];
            arrays.add(new WeakReference<>(a));
            pool.track(Storage.wrap(a), a, 4L * n); // the Storage is garbage at once
        }
        for (int i = 0; i < 200 && pool.stats().tracked() > 0; i++) {
            System.gc();
            pool.drain();
            Thread.sleep(20);
        }
        StoragePool.Stats stats = pool.stats();
        assertEquals(0, stats.tracked());
        assertEquals(3, stats.freeArrays());
        assertEquals(3L << 20, stats.freeBytes());
        Object a = pool.take(float[].class, n);
        Object b = pool.take(float[].class, n);
        Object c = pool.take(float[].class, n);
        assertEquals(null, pool.take(float[].class, n));
        assertEquals(null, pool.take(float[].class, n + 1));
        assertEquals(3, List.of(a, b, c).stream().map(System::identityHashCode).distinct().count());
        assertEquals(0, pool.stats().freeBytes());
    }

    /** Hands {@code arrays} to {@code pool} as if their Storages had been collected. */
    private static void giveAfterCollection(StoragePool pool, Object... arrays) throws InterruptedException {
        for (Object a : arrays) {
            pool.track(Storage.wrap(new float[1]), a, (long) java.lang.reflect.Array.getLength(a) * StoragePool.bytesPerElement(a.getClass()));
        }
        for (int i = 0; i < 200 && pool.stats().tracked() > 0; i++) {
            System.gc();
            pool.drain();
            Thread.sleep(20);
        }
        assertEquals(0, pool.stats().tracked());
    }

    @Test
    void pool_evictionPassesOverArraysAlreadyTaken() throws InterruptedException {
        int n = 1 << 18; // 1 MiB of floats or ints
        StoragePool pool = new StoragePool(1 << 20, 3L << 20);
        float[] a1 = new float[n];
        giveAfterCollection(pool, a1, new float[n], new float[n]);
        assertNotNull(pool.take(float[].class, n));
        assertNotNull(pool.take(float[].class, n));
        giveAfterCollection(pool, new int[n], new int[n], new int[n]); // the third evicts a1, the oldest still free
        StoragePool.Stats stats = pool.stats();
        assertEquals(3, stats.freeArrays());
        assertEquals(3L << 20, stats.freeBytes());
        assertEquals(null, pool.take(float[].class, n));
        for (int i = 0; i < 3; i++) {
            assertNotNull(pool.take(int[].class, n));
        }
        assertEquals(0, pool.stats().freeArrays());
        assertEquals(0, pool.stats().freeBytes());
    }

    @Test
    void allocateUninitialized_threadsNeverShareAnArray() throws Exception {
        int n = freshLength();
        int threads = 4;
        int rounds = 60;
        ExecutorService exec = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int mark = t + 1;
                results.add(exec.submit(() -> {
                    int recycled = 0;
                    for (int r = 0; r < rounds; r++) {
                        NDArray x = NDArray.empty(DType.INT32, n);
                        recycled += x.storage().recycled() ? 1 : 0;
                        int[] a = x.storage().ints();
                        Arrays.fill(a, mark * 1000 + r);
                        if (r % 10 == 0) {
                            System.gc();
                        }
                        Thread.yield();
                        for (int v : a) {
                            if (v != mark * 1000 + r) {
                                throw new AssertionError("array of a live storage was overwritten: " + v);
                            }
                        }
                        java.lang.ref.Reference.reachabilityFence(x);
                    }
                    return recycled;
                }));
            }
            int recycled = 0;
            for (Future<Integer> f : results) {
                recycled += f.get();
            }
            assertTrue(recycled > 0, "some arrays were recycled across threads");
        } finally {
            exec.shutdownNow();
        }
    }
}
