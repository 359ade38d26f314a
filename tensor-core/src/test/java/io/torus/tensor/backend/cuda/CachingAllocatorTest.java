package io.torus.tensor.backend.cuda;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The caching allocator's bookkeeping over a bounded address space standing in for a GPU's memory. */
class CachingAllocatorTest {

    /** A heap of {@code capacity} bytes handing out increasing addresses, as cuMemAlloc would. */
    static final class BoundedHeap implements CachingAllocator.Heap<Long> {
        final long capacity;
        long used;
        long next = 4096;
        final Map<Long, Long> live = new HashMap<>();

        BoundedHeap(long capacity) {
            this.capacity = capacity;
        }

        @Override
        public Long malloc(long bytes) {
            if (used + bytes > capacity) {
                throw new OutOfDeviceMemoryException("heap full: " + used + " + " + bytes + " > " + capacity);
            }
            used += bytes;
            long p = next;
            next += bytes;
            live.put(p, bytes);
            return p;
        }

        @Override
        public void free(Long ptr) {
            Long bytes = live.remove(ptr);
            assertTrue(bytes != null, "free of a pointer the heap did not hand out: " + ptr);
            used -= bytes;
        }
    }

    @Test
    void sizeClass_smallRoundsTo512AndLargeTo2MiB() {
        assertEquals(512, CachingAllocator.sizeClass(0));
        assertEquals(512, CachingAllocator.sizeClass(1));
        assertEquals(512, CachingAllocator.sizeClass(512));
        assertEquals(1024, CachingAllocator.sizeClass(513));
        assertEquals(1L << 20, CachingAllocator.sizeClass(1L << 20));
        assertEquals(2L << 20, CachingAllocator.sizeClass((1L << 20) + 1));
        assertEquals(4L << 20, CachingAllocator.sizeClass((2L << 20) + 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CachingAllocator.sizeClass(-1));
        assertTrue(e.getMessage().contains("-1"), e.getMessage());
    }

    @Test
    void allocate_reusesAReleasedBlockOfTheSameClassWithoutTheHeap() {
        BoundedHeap heap = new BoundedHeap(1L << 30);
        CachingAllocator<Long> a = new CachingAllocator<>(heap);
        CachingAllocator.Block<Long> first = a.allocate(1000);
        a.release(first);
        CachingAllocator.Block<Long> again = a.allocate(600); // rounds to 1024 as well
        assertEquals(first.ptr(), again.ptr());
        assertEquals(1, a.stats().heapMallocs());
        CachingAllocator.Block<Long> other = a.allocate(5000); // another class: a new block
        assertNotEquals(first.ptr(), other.ptr());
        assertEquals(2, a.stats().heapMallocs());
    }

    @Test
    void allocate_aTrainingLoopStopsCallingTheHeapAfterItsFirstStep() {
        BoundedHeap heap = new BoundedHeap(1L << 30);
        CachingAllocator<Long> a = new CachingAllocator<>(heap);
        long[] stepSizes = {784 * 64 * 4, 256 * 64 * 4, 10 * 64 * 4, 256 * 784 * 4, 3 << 20};
        long afterFirst = -1;
        for (int step = 0; step < 5; step++) {
            List<CachingAllocator.Block<Long>> held = new ArrayList<>();
            for (long s : stepSizes) {
                held.add(a.allocate(s));
            }
            held.forEach(a::release);
            if (step == 0) {
                afterFirst = a.stats().heapMallocs();
            }
        }
        assertEquals(stepSizes.length, afterFirst);
        assertEquals(afterFirst, a.stats().heapMallocs());
        CachingAllocator.Stats st = a.stats();
        assertEquals(0, st.inUseBytes());
        assertEquals(st.heapBytes(), st.cachedBytes());
    }

    @Test
    void allocate_whenTheHeapIsFullReleasesTheCacheAndRetries() {
        long block = 2L << 20;
        BoundedHeap heap = new BoundedHeap(3 * block);
        CachingAllocator<Long> a = new CachingAllocator<>(heap);
        List<CachingAllocator.Block<Long>> blocks = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            blocks.add(a.allocate(block));
        }
        a.release(blocks.get(0));
        a.release(blocks.get(1));
        CachingAllocator.Block<Long> bigger = a.allocate(2 * block); // another class: must free the two cached blocks
        assertEquals(2 * block, bigger.bytes());
        assertEquals(2, a.stats().heapFrees());
        assertEquals(0, a.stats().cachedBytes());
        OutOfDeviceMemoryException e = assertThrows(OutOfDeviceMemoryException.class, () -> a.allocate(block));
        assertTrue(e.getMessage().contains("heap full"), e.getMessage());
    }
}
