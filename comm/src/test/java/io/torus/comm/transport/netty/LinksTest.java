package io.torus.comm.transport.netty;

import io.netty.buffer.PooledByteBufAllocator;
import io.torus.comm.protocol.Abort;
import io.torus.comm.protocol.Chunk;
import io.torus.comm.transport.PeerLostException;
import io.torus.comm.transport.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How {@link Links} reads goodbyes, closes and aborts, driven event by event (no sockets). */
class LinksTest {
    private static final Tag TAG = new Tag(3, 0);
    private static final Duration NO_WAIT = Duration.ofMillis(1);

    private static Chunk chunk() {
        return Chunk.copyOf(3, 0, 0, 1, new float[] {1}, 0, 1, PooledByteBufAllocator.DEFAULT);
    }

    @Test
    void goodbyeOnTheOutboundConnection_doesNotEndDataStillComingOnTheInboundOne() {
        Links links = new Links(0, 2);
        links.onGoodbye(1, Links.Direction.OUTBOUND);
        links.onClosed(1, Links.Direction.OUTBOUND);
        // The inbox keeps waiting for data (here it gives up after 1 ms, blaming silence, not the goodbye) ...
        assertTrue(assertThrows(PeerLostException.class, () -> links.inbox(1).take(TAG, NO_WAIT))
                .getMessage().contains("rank 1 sent nothing for"));
        // ... that arrives afterwards.
        Chunk late = chunk();
        links.onChunk(1, late); // overtaken by the Goodbye on the other TCP stream
        assertSame(late, links.inbox(1).take(TAG, NO_WAIT));
        late.release();
        assertTrue(assertThrows(PeerLostException.class, () -> links.checkSendable(1, "send"))
                .getMessage().endsWith("rank 1 closed its transport"));

        links.onGoodbye(1, Links.Direction.INBOUND);
        links.onClosed(1, Links.Direction.INBOUND);
        PeerLostException e = assertThrows(PeerLostException.class, () -> links.inbox(1).take(TAG, NO_WAIT));
        assertEquals("rank 0 cannot receive chunk 0 of collective 3 from rank 1: rank 1 closed its transport", e.getMessage());
        assertTrue(!links.failed(), "an orderly close breaks nothing by itself");
    }

    @Test
    void closeWithoutGoodbye_breaksTheGroupNamingThePeer() {
        Links links = new Links(2, 3);
        Chunk queued = chunk();
        links.onChunk(1, queued);
        links.onClosed(1, Links.Direction.INBOUND);
        assertTrue(links.failed());
        assertEquals(0, queued.refCnt(), "queued data is released when the group breaks");
        PeerLostException e = assertThrows(PeerLostException.class, () -> links.inbox(0).take(TAG, NO_WAIT));
        assertEquals(1, e.lostRank());
        assertTrue(e.getMessage().endsWith("rank 1 closed its connection without saying goodbye"
                + " (its process exited or was killed)"), e.getMessage());
    }

    @Test
    void abortFromAPeer_blamesTheCulpritItNamesAndSaysWhoReportedIt() {
        Links links = new Links(0, 4);
        links.onAbort(3, new Abort(2, "left the job"));
        links.onAbort(1, new Abort(1, "a later, different story"));
        PeerLostException e = assertThrows(PeerLostException.class, () -> links.inbox(3).take(TAG, NO_WAIT));
        assertEquals(2, e.lostRank());
        assertTrue(e.getMessage().endsWith("rank 2 left the job (reported by rank 3)"), e.getMessage());
    }
}
