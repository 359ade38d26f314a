package io.torus.tensor.backend.cuda;

import io.torus.tensor.DType;
import io.torus.tensor.Device;
import io.torus.tensor.Storage;
import jcuda.CudaException;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

import java.lang.ref.PhantomReference;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Device memory of one GPU: a {@link CachingAllocator} over cuMemAlloc/cuMemFree, and the link
 * between a {@link Storage} and its block. A storage's block goes back to the cache when the
 * storage becomes unreachable: each storage is tracked by a phantom reference, and the queue of
 * collected ones is drained by the allocating thread at every allocation (no cleaner thread, so
 * blocks return in a known place and order). When the device is full, the cache is emptied, the
 * JVM is asked to collect, the queue drained, and the request retried before giving up: the JVM
 * cannot see device memory pressure, so a training loop that drops its tensors relies on this.
 */
final class DeviceMemory {
    private static final long GC_WAIT_MS = 200;

    private final Device device;
    private final CachingAllocator<CUdeviceptr> cache;
    private final ReferenceQueue<Storage> collected = new ReferenceQueue<>();
    private final Set<Tracked> live = ConcurrentHashMap.newKeySet();

    private static final class Tracked extends PhantomReference<Storage> {
        final CachingAllocator.Block<CUdeviceptr> block;

        Tracked(Storage s, ReferenceQueue<Storage> q, CachingAllocator.Block<CUdeviceptr> block) {
            super(s, q);
            this.block = block;
        }
    }

    DeviceMemory(Device device) {
        this.device = device;
        this.cache = new CachingAllocator<>(new CachingAllocator.Heap<>() {
            @Override
            public CUdeviceptr malloc(long bytes) {
                CUdeviceptr p = new CUdeviceptr();
                try {
                    JCudaDriver.cuMemAlloc(p, bytes);
                } catch (CudaException e) {
                    if (String.valueOf(e.getMessage()).contains("OUT_OF_MEMORY")) {
                        throw new OutOfDeviceMemoryException(device + ": out of memory allocating " + bytes + " bytes");
                    }
                    throw e;
                }
                return p;
            }

            @Override
            public void free(CUdeviceptr ptr) {
                JCudaDriver.cuMemFree(ptr);
            }
        });
    }

    /** A storage of {@code n} elements of {@code dtype} on this device (contents arbitrary). */
    Storage allocate(CudaDevice owner, DType dtype, int n) {
        CachingAllocator.Block<CUdeviceptr> block = block((long) n * CudaTypes.size(dtype));
        Storage s = Storage.onDevice(dtype, device, new CudaBuffer(owner, block.ptr()), n);
        live.add(new Tracked(s, collected, block));
        return s;
    }

    /** A raw block for scratch space; the caller gives it back with {@link #release}. */
    CachingAllocator.Block<CUdeviceptr> block(long bytes) {
        drain();
        try {
            return cache.allocate(bytes);
        } catch (OutOfDeviceMemoryException e) {
            System.gc();
            drainWaiting();
            try {
                return cache.allocate(bytes);
            } catch (OutOfDeviceMemoryException again) {
                CachingAllocator.Stats st = cache.stats();
                throw new OutOfDeviceMemoryException(again.getMessage() + " (" + st.inUseBytes() + " bytes in use by live "
                        + "arrays, " + st.cachedBytes() + " cached)");
            }
        }
    }

    void release(CachingAllocator.Block<CUdeviceptr> block) {
        cache.release(block);
    }

    CachingAllocator.Stats stats() {
        drain();
        return cache.stats();
    }

    private void drain() {
        Reference<? extends Storage> r;
        while ((r = collected.poll()) != null) {
            returnBlock(r);
        }
    }

    private void drainWaiting() {
        try {
            Reference<? extends Storage> r;
            while ((r = collected.remove(GC_WAIT_MS)) != null) {
                returnBlock(r);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void returnBlock(Reference<? extends Storage> r) {
        Tracked t = (Tracked) r;
        if (live.remove(t)) {
            cache.release(t.block);
        }
    }
}
