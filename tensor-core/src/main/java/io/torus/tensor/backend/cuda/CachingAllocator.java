package io.torus.tensor.backend.cuda;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The bookkeeping of the CUDA caching allocator, apart from any GPU: requests are rounded up to a
 * size class, and a freed block goes to its class's free list instead of back to the driver, so
 * that a training loop, which asks for the same sizes every step, stops calling cudaMalloc after
 * its first step (cudaMalloc and cudaFree synchronise the device and cost tens of microseconds).
 *
 * <p>Size classes, after PyTorch's CUDACachingAllocator: requests up to 1 MiB round up to a
 * multiple of 512 bytes, larger ones to a multiple of 2 MiB. Blocks are never split or merged;
 * a class only serves requests that round to it exactly. When the heap reports that it is out of
 * memory, every cached block is returned to it and the request retried once; the caller (see
 * {@link DeviceMemory}) may then collect garbage and retry again.
 *
 * <p>Blocks are reused in stream order: every kernel and copy of one device runs on one stream,
 * so work queued after a block was released cannot overtake the work that used it before.
 *
 * @param <P> the heap's pointer type ({@code CUdeviceptr} on a GPU)
 */
final class CachingAllocator<P> {
    static final long SMALL_LIMIT = 1L << 20;
    static final long SMALL_ROUND = 512;
    static final long LARGE_ROUND = 2L << 20;

    /** Where blocks come from: cudaMalloc / cudaFree on a device. */
    interface Heap<P> {
        /** A new block of exactly {@code bytes} bytes; throws {@link OutOfDeviceMemoryException} when there is no room. */
        P malloc(long bytes);

        void free(P ptr);
    }

    /** A block handed out by {@link #allocate}: its pointer and its size class in bytes. */
    record Block<P>(P ptr, long bytes) {
    }

    /** Counters, for tests and memory reports. */
    record Stats(long inUseBytes, long cachedBytes, long heapBytes, long heapMallocs, long heapFrees) {
    }

    private final Heap<P> heap;
    private final Map<Long, ArrayDeque<P>> free = new TreeMap<>();
    private long inUse;
    private long cached;
    private long mallocs;
    private long frees;

    CachingAllocator(Heap<P> heap) {
        this.heap = heap;
    }

    /** The size class of a request of {@code bytes} bytes (at least one 512-byte unit). */
    static long sizeClass(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("allocation of " + bytes + " bytes: expected a size >= 0");
        }
        if (bytes <= SMALL_LIMIT) {
            return Math.max(SMALL_ROUND, roundUp(bytes, SMALL_ROUND));
        }
        return roundUp(bytes, LARGE_ROUND);
    }

    private static long roundUp(long v, long unit) {
        return (v + unit - 1) / unit * unit;
    }

    /** A block of at least {@code bytes} bytes, from the cache when its class has one. */
    synchronized Block<P> allocate(long bytes) {
        long size = sizeClass(bytes);
        ArrayDeque<P> list = free.get(size);
        if (list != null && !list.isEmpty()) {
            cached -= size;
            inUse += size;
            return new Block<>(list.pop(), size);
        }
        P ptr;
        try {
            ptr = heap.malloc(size);
        } catch (OutOfDeviceMemoryException e) {
            if (releaseCached() == 0) {
                throw e;
            }
            ptr = heap.malloc(size);
        }
        mallocs++;
        inUse += size;
        return new Block<>(ptr, size);
    }

    /** Returns a block to its class's free list (the heap keeps it). */
    synchronized void release(Block<P> block) {
        free.computeIfAbsent(block.bytes(), k -> new ArrayDeque<>()).push(block.ptr());
        inUse -= block.bytes();
        cached += block.bytes();
    }

    /** Frees every cached block on the heap; returns the bytes freed. */
    synchronized long releaseCached() {
        long released = 0;
        List<Long> sizes = new ArrayList<>(free.keySet());
        for (long size : sizes) {
            ArrayDeque<P> list = free.remove(size);
            while (!list.isEmpty()) {
                heap.free(list.pop());
                frees++;
                released += size;
            }
        }
        cached -= released;
        return released;
    }

    synchronized Stats stats() {
        return new Stats(inUse, cached, inUse + cached, mallocs, frees);
    }
}
