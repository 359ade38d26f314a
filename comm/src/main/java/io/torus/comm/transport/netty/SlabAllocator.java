package io.torus.comm.transport.netty;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledUnsafeDirectByteBuf;
import io.netty.util.internal.PlatformDependent;
import io.torus.comm.protocol.Frame;

import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;

/*
 * The allocator of a NettyTransport's connections: large direct buffers (fragment payloads on the
 * way out, socket reads on the way in) are slabs recycled through bounded queues, one per size
 * class (powers of two from 64 KiB to 1 MiB, then Frame.MAX_FRAME_BYTES); everything smaller goes
 * to Netty's pooled allocator.
 *
 * Why not the pooled allocator for everything: its per-thread caches hold buffers of at most
 * 32 KiB (io.netty.allocator.maxCachedBufferCapacity), so every 512 KiB - 1 MiB buffer goes to a
 * shared arena, and an arena frees a 4 MiB chunk as soon as its last buffer is released, which in
 * a ring happens after every burst of fragments. The next burst maps the chunk again and the
 * kernel zero-fills it page by page. Measured on a 2-rank 64 MiB all-reduce: about 11 ms of system
 * time per rank and iteration, an eighth of all the CPU the all-reduce used; recycling slabs took it
 * away (scripts/bench/comm-results.md). Raising the cache limit with the system property would do
 * the same for every Netty user in the JVM (Spark's too), and only if set before Netty loads.
 *
 * A slab is a plain direct ByteBuffer: handed out as an unpooled buffer of the requested capacity
 * (it cannot grow), put back in its class's queue when that buffer is released, or left to the
 * garbage collector when the idle slabs already hold the allocator's byte budget.
 */
final class SlabAllocator extends AbstractByteBufAllocator {
    /** Requests of at least this many bytes (and at most {@link #MAX_SLAB_BYTES}) get a slab. */
    static final int MIN_SLAB_BYTES = 64 * 1024;
    static final int MAX_SLAB_BYTES = Frame.MAX_FRAME_BYTES;
    /** Size classes: 64 KiB, 128 KiB, ... 1 MiB, then MAX_SLAB_BYTES. */
    private static final int CLASSES = Integer.numberOfTrailingZeros(Frame.MAX_CHUNK_BYTES / MIN_SLAB_BYTES) + 2;

    private final ArrayBlockingQueue<ByteBuffer>[] free;
    private final ByteBufAllocator small = PooledByteBufAllocator.DEFAULT;

    /** @param idleBytes how many bytes of slabs each size class keeps for reuse */
    @SuppressWarnings("unchecked")
    SlabAllocator(int idleBytes) {
        super(true);
        this.free = new ArrayBlockingQueue[CLASSES];
        for (int c = 0; c < CLASSES; c++) {
            free[c] = new ArrayBlockingQueue<>(Math.max(1, idleBytes / slabBytes(c)));
        }
    }

    private static int slabBytes(int sizeClass) {
        return sizeClass == CLASSES - 1 ? MAX_SLAB_BYTES : MIN_SLAB_BYTES << sizeClass;
    }

    private static int sizeClass(int bytes) {
        int c = 32 - Integer.numberOfLeadingZeros((Math.max(bytes, MIN_SLAB_BYTES) - 1) / MIN_SLAB_BYTES);
        return Math.min(c, CLASSES - 1);
    }

    @Override
    protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
        if (initialCapacity < MIN_SLAB_BYTES || initialCapacity > MAX_SLAB_BYTES || !PlatformDependent.hasUnsafe()) {
            return small.directBuffer(initialCapacity, maxCapacity);
        }
        int c = sizeClass(initialCapacity);
        ByteBuffer slab = free[c].poll();
        if (slab == null) {
            slab = ByteBuffer.allocateDirect(slabBytes(c));
        }
        return new SlabBuf(this, free[c], slab, initialCapacity);
    }

    @Override
    protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
        return small.heapBuffer(initialCapacity, maxCapacity);
    }

    @Override
    public boolean isDirectBufferPooled() {
        return true;
    }

    /** Idle slabs of all classes, for tests. */
    int freeSlabs() {
        int n = 0;
        for (ArrayBlockingQueue<ByteBuffer> q : free) {
            n += q.size();
        }
        return n;
    }

    /** A slab's first {@code capacity} bytes as a fixed-size buffer that gives the slab back when released. */
    private static final class SlabBuf extends UnpooledUnsafeDirectByteBuf {
        private final ArrayBlockingQueue<ByteBuffer> home;
        private final ByteBuffer slab;

        SlabBuf(SlabAllocator owner, ArrayBlockingQueue<ByteBuffer> home, ByteBuffer slab, int capacity) {
            super(owner, slab.duplicate().clear().limit(capacity), capacity); // sliced, never freed by Netty
            this.home = home;
            this.slab = slab;
            clear(); // Netty's constructor takes the wrapped bytes as written
        }

        @Override
        protected void deallocate() {
            super.deallocate();
            home.offer(slab); // when the class is full, the garbage collector frees it
        }
    }
}
