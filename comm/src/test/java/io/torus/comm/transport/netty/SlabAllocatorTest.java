package io.torus.comm.transport.netty;

import io.netty.buffer.ByteBuf;
import io.torus.comm.protocol.Frame;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SlabAllocatorTest {
    @Test
    void directBuffer_largeOnesAreRecycledSmallOnesPooled() {
        SlabAllocator alloc = new SlabAllocator(4 << 20);
        for (int size : new int[] {SlabAllocator.MIN_SLAB_BYTES, 100_000, 512 * 1024, Frame.MAX_CHUNK_BYTES, Frame.MAX_FRAME_BYTES}) {
            ByteBuf a = alloc.directBuffer(size);
            assertEquals(size, a.capacity());
            assertEquals(0, a.writerIndex());
            assertTrue(a.isDirect() && a.hasMemoryAddress());
            a.writeZero(size).setByte(size - 1, 7);
            int idle = alloc.freeSlabs();
            a.release();
            assertEquals(idle + 1, alloc.freeSlabs(), "released buffer of " + size + " bytes is kept");
            ByteBuf b = alloc.directBuffer(size);
            assertEquals(idle, alloc.freeSlabs(), "buffer of " + size + " bytes comes from the idle slabs");
            assertEquals(0, b.writerIndex());
            b.release();
        }
        int idle = alloc.freeSlabs();
        alloc.directBuffer(1000).release();
        alloc.directBuffer(Frame.MAX_FRAME_BYTES + 1).release();
        assertEquals(idle, alloc.freeSlabs());
    }
}
