package io.torus.comm.transport;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InMemoryTransportTest {

    @Test
    void receive_getsWhatWasSentInOrder() {
        List<InMemoryTransport> t = InMemoryTransport.group(2);
        t.get(0).send(1, new Tag(0, 0), new float[] {9, 1, 2, 3}, 1, 3);
        t.get(0).send(1, new Tag(0, 1), new float[0], 0, 0);
        float[] got = new float[4];
        t.get(1).receive(0, new Tag(0, 0), got, 1, 3);
        t.get(1).receive(0, new Tag(0, 1), got, 0, 0);
        assertArrayEquals(new float[] {0, 1, 2, 3}, got);
    }

    @Test
    void receive_drainsDataSentBeforeThePeerClosedThenFailsNamingIt() {
        List<InMemoryTransport> t = InMemoryTransport.group(2);
        t.get(1).send(0, new Tag(3, 0), new float[] {5}, 0, 1);
        t.get(1).close();
        float[] got = new float[1];
        t.get(0).receive(1, new Tag(3, 0), got, 0, 1);
        assertEquals(5, got[0]);
        PeerLostException e = assertThrows(PeerLostException.class, () -> t.get(0).receive(1, new Tag(3, 1), got, 0, 1));
        assertEquals(1, e.lostRank());
        assertEquals("rank 0 cannot receive chunk 1 of collective 3 from rank 1: rank 1 closed its transport", e.getMessage());
        assertThrows(PeerLostException.class, () -> t.get(0).send(1, new Tag(3, 2), got, 0, 1));
    }

    @Test
    void receive_wrongTagFailsNamingBothAndBreaksTheGroup() {
        List<InMemoryTransport> t = InMemoryTransport.group(3);
        t.get(0).send(1, new Tag(4, 0), new float[2], 0, 2);
        CollectiveMismatchException e = assertThrows(CollectiveMismatchException.class,
                () -> t.get(1).receive(0, new Tag(5, 0), new float[2], 0, 2));
        assertTrue(e.getMessage().contains("expected chunk 0 of collective 5 from rank 0 but received chunk 0 of collective 4"),
                e.getMessage());
        PeerLostException lost = assertThrows(PeerLostException.class,
                () -> t.get(2).receive(0, new Tag(0, 0), new float[0], 0, 0));
        assertEquals(1, lost.lostRank(), "rank 1 detected the misuse and aborted");
    }

    @Test
    void abort_failsAPendingReceiveOnAnotherRank() {
        List<InMemoryTransport> t = InMemoryTransport.group(3);
        CompletableFuture<Void> pending = CompletableFuture.runAsync(
                () -> t.get(2).receive(1, new Tag(0, 0), new float[1], 0, 1));
        t.get(0).abort(1, "left the job");
        PeerLostException e = assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> (PeerLostException) assertThrows(Exception.class, pending::join).getCause());
        assertEquals("rank 2 cannot receive chunk 0 of collective 0 from rank 1: rank 1 left the job", e.getMessage());
    }

    @Test
    void send_toSelfOrUnknownRankIsRejected() {
        InMemoryTransport t = InMemoryTransport.group(2).get(0);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> t.send(0, new Tag(0, 0), new float[0], 0, 0))
                .getMessage().contains("peer 0 is not another rank"));
        assertThrows(IllegalArgumentException.class, () -> t.send(2, new Tag(0, 0), new float[0], 0, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> t.send(1, new Tag(0, 0), new float[2], 1, 2));
    }
}
