package io.torus.comm.transport.shm;

import io.torus.comm.testing.Ranks;
import io.torus.comm.transport.CollectiveMismatchException;
import io.torus.comm.transport.PeerLostException;
import io.torus.comm.transport.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link ShmTransport} on its own: link files, ordering, spills, mismatches, aborts and close. */
class ShmTransportTest {
    private static final Duration LIMIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private static String key() {
        return UUID.randomUUID().toString().replace("-", "");
    }

    private List<ShmTransport> group(int n, ShmTransport.Options options) {
        String key = key();
        return Ranks.run(n, rank -> ShmTransport.connect(rank, n, key, options));
    }

    private ShmTransport.Options options() {
        return ShmTransport.Options.defaults().withDirectory(dir).withRingBytes(64 << 10);
    }

    private static void closeAll(List<ShmTransport> ts) {
        ts.forEach(ShmTransport::close);
    }

    /** Waits until {@code path} exists ("eventually"), at most 30 s. */
    private static void awaitExists(Path path) {
        long deadline = System.nanoTime() + LIMIT.toNanos();
        while (!Files.exists(path)) {
            assertTrue(System.nanoTime() < deadline, path + " never appeared");
            Thread.onSpinWait();
        }
    }

    @Test
    void connect_linkFilesAreOwnerOnlyAndUnlinkedOnceBothEndsMappedThem() throws Exception {
        String key = key();
        CompletableFuture<ShmTransport> rank0 = CompletableFuture.supplyAsync(() -> ShmTransport.connect(0, 2, key, options()));
        Path fromRank1 = ShmFiles.link(dir, key, 1, 0);
        awaitExists(fromRank1);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(fromRank1)));
        ShmTransport rank1 = ShmTransport.connect(1, 2, key, options());
        ShmTransport t0 = rank0.get(30, TimeUnit.SECONDS);
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of(), left.toList(), "link files left after connect");
        }
        t0.close();
        rank1.close();
    }

    @Test
    void connect_aLinkFileOthersCouldOpen_isRefusedAndOwnFilesRemoved() throws Exception {
        String key = key();
        Path planted = ShmFiles.link(dir, key, 0, 1);
        Segment.create(planted, 64 << 10, 0, 1).unmap();
        Files.setPosixFilePermissions(planted, PosixFilePermissions.fromString("rw-r--r--"));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ShmTransport.connect(0, 2, key, options()));
        assertTrue(e.getMessage().contains(planted + " belongs to uid") && e.getMessage().contains("mode 644"), e.getMessage());
        assertFalse(Files.exists(ShmFiles.link(dir, key, 1, 0)), "the file rank 0 created is removed on failure");
    }

    @Test
    void connect_removesStaleFilesOfDeadProcessesOnly() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Path staleDead = fakeLink("deadbeefdead0001", gone.pid(), Instant.now().minusSeconds(600));
        Path freshDead = fakeLink("deadbeefdead0002", gone.pid(), Instant.now());
        Path oldAlive = fakeLink("deadbeefdead0003", ProcessHandle.current().pid(), Instant.now().minusSeconds(600));
        List<ShmTransport> ts = group(2, options());
        closeAll(ts);
        assertFalse(Files.exists(staleDead), "an old file of a dead process is removed");
        assertTrue(Files.exists(freshDead), "a fresh file may belong to a job still connecting");
        assertTrue(Files.exists(oldAlive), "a live process's file stays");
    }

    private Path fakeLink(String key, long pid, Instant modified) throws IOException {
        Path p = ShmFiles.link(dir, key, 0, 1);
        Segment.create(p, 64 << 10, 0, 1).unmap();
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(0, pid), 24);
        }
        Files.setLastModifiedTime(p, FileTime.from(modified));
        return p;
    }

    @Test
    void send_manyTimesTheRingBeforeReceiving_spillsInsteadOfDeadlocking() {
        List<ShmTransport> ts = group(2, options().withSpillAfter(Duration.ofMillis(1)));
        int n = 1 << 18; // 1 MiB of floats per message, 16 rings' worth
        List<float[]> got = assertTimeoutPreemptively(LIMIT, () -> Ranks.run(2, rank -> {
            ShmTransport t = ts.get(rank);
            float[] out = new float[n];
            for (int i = 0; i < n; i++) {
                out[i] = rank * 1e6f + i;
            }
            for (int k = 0; k < 3; k++) {
                t.send(1 - rank, new Tag(k, 0), out, 0, n);
            }
            float[] in = new float[n];
            for (int k = 0; k < 3; k++) {
                t.receive(1 - rank, new Tag(k, 0), in, 0, n);
            }
            return in;
        }));
        for (int rank = 0; rank < 2; rank++) {
            float[] want = new float[n];
            for (int i = 0; i < n; i++) {
                want[i] = (1 - rank) * 1e6f + i;
            }
            assertArrayEquals(want, got.get(rank));
        }
        closeAll(ts);
    }

    @Test
    void receive_everyDtypeAndEmptyMessages_arriveInOrderAcrossTheWrap() {
        List<ShmTransport> ts = group(2, options());
        Ranks.run(2, rank -> {
            ShmTransport t = ts.get(rank);
            for (int k = 0; k < 200; k++) {
                int len = (k * 7919) % 5000;
                if (rank == 0) {
                    double[] d = new double[len];
                    boolean[] b = new boolean[len];
                    for (int i = 0; i < len; i++) {
                        d[i] = k + i / 8.0;
                        b[i] = (i + k) % 3 == 0;
                    }
                    t.send(1, new Tag(k, 0), d, 0, len);
                    t.send(1, new Tag(k, 1), b, 0, len);
                } else {
                    double[] d = new double[len + 2];
                    boolean[] b = new boolean[len];
                    t.receive(0, new Tag(k, 0), d, 2, len);
                    t.receive(0, new Tag(k, 1), b, 0, len);
                    for (int i = 0; i < len; i++) {
                        assertEquals(k + i / 8.0, d[i + 2]);
                        assertEquals((i + k) % 3 == 0, b[i]);
                    }
                }
            }
            return null;
        });
        closeAll(ts);
    }

    @Test
    void receive_wrongTag_failsWithRanksAndSequenceAndBreaksThePeerToo() {
        List<ShmTransport> ts = group(2, options());
        ts.get(0).send(1, new Tag(3, 0), new float[4], 0, 4);
        CollectiveMismatchException e = assertThrows(CollectiveMismatchException.class,
                () -> ts.get(1).receive(0, new Tag(4, 0), new float[4], 0, 4));
        assertTrue(e.getMessage().contains("rank 1 expected chunk 0 of collective 4 from rank 0 but received chunk 0 of collective 3"),
                e.getMessage());
        PeerLostException lost = assertTimeoutPreemptively(LIMIT, () -> assertThrows(PeerLostException.class,
                () -> ts.get(0).receive(1, new Tag(3, 1), new float[4], 0, 4)));
        assertEquals(1, lost.lostRank());
        assertTrue(lost.getMessage().contains("aborted the group"), lost.getMessage());
        closeAll(ts);
    }

    @Test
    void abort_travelsAroundTheRingAndFailsPendingReceives() throws Exception {
        List<ShmTransport> ts = group(3, options());
        CompletableFuture<Throwable> r1 = waitingReceive(ts.get(1), 0);
        CompletableFuture<Throwable> r2 = waitingReceive(ts.get(2), 1);
        ts.get(0).abort(0, "gave up on purpose");
        for (CompletableFuture<Throwable> f : List.of(r1, r2)) {
            Throwable t = f.get(30, TimeUnit.SECONDS);
            PeerLostException e = assertThrows(PeerLostException.class, () -> {
                throw t;
            });
            assertEquals(0, e.lostRank());
            assertTrue(e.getMessage().contains("rank 0 gave up on purpose"), e.getMessage());
        }
        closeAll(ts);
    }

    private static CompletableFuture<Throwable> waitingReceive(ShmTransport t, int from) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                t.receive(from, new Tag(0, 0), new int[8], 0, 8);
                return new AssertionError("receive returned");
            } catch (RuntimeException e) {
                return e;
            }
        });
    }

    @Test
    void close_peerStillReadsWhatWasSentThenFailsNamingTheClosedRank() {
        List<ShmTransport> ts = group(2, options());
        for (int k = 0; k < 3; k++) {
            ts.get(0).send(1, new Tag(k, 0), new long[] {k, k + 1}, 0, 2);
        }
        ts.get(0).close();
        for (int k = 0; k < 3; k++) {
            long[] got = new long[2];
            ts.get(1).receive(0, new Tag(k, 0), got, 0, 2);
            assertArrayEquals(new long[] {k, k + 1}, got);
        }
        PeerLostException e = assertTimeoutPreemptively(LIMIT, () -> assertThrows(PeerLostException.class,
                () -> ts.get(1).receive(0, new Tag(3, 0), new long[2], 0, 2)));
        assertEquals(0, e.lostRank());
        assertTrue(e.getMessage().contains("rank 0 closed its transport"), e.getMessage());
        ts.get(1).close();
    }

    @Test
    void send_toARankThatIsNotTheRightNeighbour_isRejected() {
        List<ShmTransport> ts = group(3, options());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ts.get(0).send(2, new Tag(0, 0), new float[1], 0, 1));
        assertTrue(e.getMessage().contains("only to its right neighbour, rank 1, not rank 2"), e.getMessage());
        closeAll(ts);
    }

    @Test
    void options_badRingSize_isRejectedNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> options().withRingBytes(100_000));
        assertTrue(e.getMessage().contains("ring bytes 100000: expected a power of two"), e.getMessage());
    }
}
