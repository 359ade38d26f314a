package io.torus.comm.transport.shm;

import io.torus.comm.transport.CollectiveMismatchException;
import io.torus.comm.transport.Elements;
import io.torus.comm.transport.PeerLostException;
import io.torus.comm.transport.SharedWindows;
import io.torus.comm.transport.Tag;
import io.torus.tensor.DType;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/*
 * The shared windows of a shared-memory group (SharedWindows): every rank creates one file, maps
 * every other rank's, and so can read what any rank publishes without a hop through the ring.
 * Small all-reduces use it (SharedMemoryAllReduce): on a ring each of the 2 (N - 1) steps waits
 * for the neighbour's message, and with a megabyte split into pieces that were never smaller
 * than the chunk, a 2-rank all-reduce was four passes over the data in a row plus two wake-ups;
 * on the windows every rank writes its vector once, reduces its own chunk from all windows as
 * soon as the pieces are there, and copies out the others' chunks, all ranks at the same time.
 *
 *   offset  field (native order)                                 written by
 *   0       magic (set last, with release)                       owner
 *   8       capacity of the window in bytes                      owner
 *   16      rank, world size (two ints)                          owner
 *   24      owner pid                                            owner
 *   32      attached: how many other ranks have mapped it (CAS)  the others
 *   64      epoch: collectives begun on the windows (release)    owner     own cache line
 *   256     done: the last epoch this rank ended (release)       owner     own cache line
 *   320     closed (0/1)                                         owner
 *   384     sleeping on its bell (0/1)                           owner     own cache line
 *   512     block of even epochs, 768 block of odd epochs:       owner
 *             +0 sequence number, +8 length, +12 dtype wire id   (before the epoch is published)
 *             +64 counter WRITTEN, +128 counter REDUCED          (release; own cache lines)
 *   4096    the window: two halves of `capacity` bytes, little-endian elements
 *
 * Epochs. Every rank counts the collectives it runs on the windows, so rank k's epoch equals ours
 * exactly while it is in the same one. Odd and even epochs use the two halves of the window in
 * turn, so begin() only waits until every rank's `done` has reached the epoch before the previous
 * one (nobody still reads the half this rank is about to overwrite), which on the next collective
 * back to back is almost always true already: a rank may start writing while a slower one still
 * copies out the previous result. The epoch's header block (the same parity) gets zeroed counters,
 * sequence number, length and dtype, then the epoch is published with a release store; a reader
 * that sees the epoch (acquire) sees those too, so a waiter compares them with its own and reports
 * a mismatch naming both ranks and sequence numbers. A waiter in epoch e accepts rank k at e or
 * e + 1 (k ended e and began the next, on the other block) and reads block e's counters; k cannot
 * begin e + 2, which reuses that block, before the waiter has ended e.
 *
 * Waiting: a short spin, then Thread.yield() for up to 50 us (the peer is usually in the same
 * collective and microseconds away; yielding lets it run when it shares our core), then sleep on
 * this rank's bell (WindowBells), which every rank that publishes news rings if this rank's
 * sleeping word is up: Doorbell's protocol, a volatile store then a volatile load on both sides,
 * so no wake-up is lost. On a busy machine a peer is often a whole time slice late; a sleeper
 * woken by the kernel when it arrives goes on at once, where polling would burn this process's
 * share of the CPU or oversleep. Every wait checks what the transport's waits check: a failure of
 * the group, this rank's close, the awaited rank's closed flag, every 50 ms its process, and the
 * receive timeout. Ranks that disagree on the algorithm (one on the windows, one on the ring, as
 * when one passes a larger tensor) are caught from both sides: a window wait that finds a ring
 * record of the same or an earlier collective waiting for it, and a ring wait that finds a rank
 * on the windows in the same or an earlier collective (ShmTransport.awaitRecord).
 *
 * Files: ShmFiles.window, owner-only, created with CREATE_NEW, unlinked by the owner once every
 * other rank has attached; unmapped by ShmTransport.close once no thread is inside.
 */
final class Windows implements SharedWindows {
    static final long MAGIC = 0x746f7275_7377696eL; // "toruswin"
    static final int DATA_START = 4096;
    private static final int OFF_MAGIC = 0;
    private static final int OFF_CAPACITY = 8;
    private static final int OFF_RANK = 16;
    private static final int OFF_WORLD = 20;
    private static final int OFF_PID = 24;
    private static final int OFF_ATTACHED = 32;
    private static final int OFF_EPOCH = 64;
    /** Per half h (epoch parity): a block at OFF_BLOCK + h * BLOCK_STRIDE. */
    private static final int OFF_BLOCK = 512;
    private static final int BLOCK_STRIDE = 256;
    private static final int SEQ = 0;
    private static final int LENGTH = 8;
    private static final int DTYPE = 12;
    private static final int COUNTERS = 64;
    private static final int COUNTER_STRIDE = 64;
    private static final int OFF_DONE = 256;
    private static final int OFF_CLOSED = 320;
    private static final int OFF_SLEEPING = 384;
    private static final long CHECK_INTERVAL_NANOS = 50_000_000L;
    private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

    /** What the owning transport checks and does around window waits. */
    interface Guard {
        /**
         * Throws {@link PeerLostException} if the group is broken or this rank closed, and
         * {@link CollectiveMismatchException} if a ring record of collective {@code seq} or earlier waits.
         */
        void check(String context, long seq);

        /** Breaks the group (the first failure wins). */
        void fail(int culprit, String reason);

        /** Marks a thread inside the mapped memory; fails if the transport is closing. */
        void enter(String context);

        void exit();
    }

    private final int rank;
    private final int worldSize;
    private final int capacity;
    private final MappedByteBuffer[] maps;
    /** Rank k's two halves: epochs alternate between them (see the note on epochs). */
    private final ByteBuffer[][] windows;
    private final long[] pids;
    private final Duration receiveTimeout;
    private final WindowBells bells;
    private Guard guard;
    /** Collectives begun on the windows by this rank. */
    private long epoch;
    private Tag tag;
    private DType dtype;
    private int length;
    private boolean inside;

    private Windows(int rank, int worldSize, int capacity, MappedByteBuffer[] maps, Duration receiveTimeout,
                    WindowBells bells) {
        this.bells = bells;
        this.rank = rank;
        this.worldSize = worldSize;
        this.capacity = capacity;
        this.maps = maps;
        this.receiveTimeout = receiveTimeout;
        this.windows = new ByteBuffer[worldSize][2];
        this.pids = new long[worldSize];
        for (int k = 0; k < worldSize; k++) {
            for (int half = 0; half < 2; half++) {
                int from = DATA_START + half * capacity;
                windows[k][half] = maps[k].duplicate().position(from).limit(from + capacity).slice()
                        .order(ByteOrder.LITTLE_ENDIAN);
            }
            pids[k] = maps[k].getLong(OFF_PID);
        }
    }

    /**
     * Creates this rank's window file, maps every other rank's as it appears, and returns once
     * every rank has mapped this one (its file is unlinked by then).
     *
     * @throws IllegalStateException naming the missing rank if that takes past {@code deadlineNanos}
     */
    static Windows connect(Path dir, String key, int rank, int worldSize, int capacity, long deadlineNanos,
                           Duration receiveTimeout) throws IOException {
        MappedByteBuffer[] maps = new MappedByteBuffer[worldSize];
        Path own = ShmFiles.window(dir, key, rank);
        try {
            maps[rank] = create(own, capacity, rank, worldSize);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            throw new IllegalStateException("rank " + rank + ": shm window file " + own
                    + " already exists (two groups with the same key, or two workers with the same rank?)");
        }
        Path ownBell = WindowBells.socketPath(own);
        java.nio.channels.ServerSocketChannel server = null;
        java.nio.channels.SocketChannel[] out = new java.nio.channels.SocketChannel[worldSize];
        java.nio.channels.SocketChannel[] incoming = new java.nio.channels.SocketChannel[worldSize - 1];
        int accepted = 0;
        boolean ok = false;
        try {
            server = WindowBells.listen(ownBell);
            int ownUid = (Integer) Files.getAttribute(own, "unix:uid");
            for (int k = 0; k < worldSize; k++) {
                if (k == rank) {
                    continue;
                }
                Path p = ShmFiles.window(dir, key, k);
                Waiter w = new Waiter();
                while ((maps[k] = tryAttach(p, k, worldSize, capacity, ownUid)) == null
                        || (out[k] = WindowBells.tryConnect(WindowBells.socketPath(p))) == null) {
                    if (System.nanoTime() - deadlineNanos > 0) {
                        throw new IllegalStateException("rank " + rank + ": shm windows not connected in time: rank " + k
                                + " has not created " + p + " and its bell");
                    }
                    w.pause();
                }
            }
            Waiter w = new Waiter();
            while (accepted < worldSize - 1 || (long) LONGS.getVolatile(maps[rank], OFF_ATTACHED) < worldSize - 1) {
                java.nio.channels.SocketChannel ch = accepted < worldSize - 1 ? server.accept() : null;
                if (ch != null) {
                    incoming[accepted++] = ch;
                    continue;
                }
                if (System.nanoTime() - deadlineNanos > 0) {
                    throw new IllegalStateException("rank " + rank + ": shm windows not connected in time: only "
                            + (long) LONGS.getVolatile(maps[rank], OFF_ATTACHED) + " of " + (worldSize - 1)
                            + " other ranks have mapped " + own + ", " + accepted + " rang its bell");
                }
                w.pause();
            }
            Windows windows = new Windows(rank, worldSize, capacity, maps, receiveTimeout,
                    WindowBells.of(out, incoming));
            ok = true;
            return windows;
        } finally {
            Files.deleteIfExists(own);
            Files.deleteIfExists(ownBell);
            if (server != null) {
                WindowBells.closeQuietly(server);
            }
            if (!ok) {
                for (MappedByteBuffer m : maps) {
                    if (m != null) {
                        Unmapper.unmap(m);
                    }
                }
                for (java.nio.channels.SocketChannel ch : out) {
                    if (ch != null) {
                        WindowBells.closeQuietly(ch);
                    }
                }
                for (java.nio.channels.SocketChannel ch : incoming) {
                    if (ch != null) {
                        WindowBells.closeQuietly(ch);
                    }
                }
            }
        }
    }

    private static MappedByteBuffer create(Path path, int capacity, int rank, int worldSize) throws IOException {
        MappedByteBuffer map = ShmFiles.createMapped(path, (long) DATA_START + 2L * capacity);
        map.putLong(OFF_CAPACITY, capacity);
        map.putInt(OFF_RANK, rank);
        map.putInt(OFF_WORLD, worldSize);
        map.putLong(OFF_PID, ProcessHandle.current().pid());
        LONGS.setRelease(map, OFF_MAGIC, MAGIC);
        return map;
    }

    /** Maps rank {@code owner}'s window file and counts this rank in, or returns null while it is not ready. */
    private static MappedByteBuffer tryAttach(Path path, int owner, int worldSize, int capacity, int ownUid)
            throws IOException {
        MappedByteBuffer map = ShmFiles.mapOwned(path, "window", ownUid, size -> size == (long) DATA_START + 2L * capacity);
        if (map == null) {
            return null;
        }
        if ((long) LONGS.getAcquire(map, OFF_MAGIC) != MAGIC) {
            Unmapper.unmap(map);
            return null;
        }
        if (map.getInt(OFF_RANK) != owner || map.getInt(OFF_WORLD) != worldSize || map.getLong(OFF_CAPACITY) != capacity) {
            Unmapper.unmap(map);
            throw new IllegalStateException("shm window file " + path + " is rank " + map.getInt(OFF_RANK) + "'s of "
                    + map.getInt(OFF_WORLD) + ", expected rank " + owner + " of " + worldSize + " with " + capacity + " bytes");
        }
        LONGS.getAndAdd(map, OFF_ATTACHED, 1L);
        return map;
    }

    void guardWith(Guard g) {
        this.guard = g;
    }

    @Override
    public int windowBytes() {
        return capacity;
    }

    @Override
    public ByteBuffer window(int r) {
        return windows[r][(int) (epoch & 1)];
    }

    @Override
    public void begin(Tag t, DType type, int n) {
        if (inside) {
            throw new IllegalStateException("rank " + rank + ": shm windows: begin of " + t + " inside " + tag);
        }
        String context = "rank " + rank + " cannot begin " + t + " on the shm windows";
        guard.enter(context);
        try {
            long previous = epoch - 1; // the epoch that last used the half this one will use
            for (int k = 0; k < worldSize; k++) {
                if (k != rank) {
                    int peer = k;
                    waitFor(peer, context, t.seq(), () -> (long) LONGS.getAcquire(maps[peer], OFF_DONE) >= previous);
                }
            }
        } catch (RuntimeException | Error e) {
            guard.exit();
            throw e;
        }
        epoch++;
        tag = t;
        dtype = type;
        length = n;
        inside = true;
        MappedByteBuffer mine = maps[rank];
        for (int c = 0; c < 2; c++) {
            LONGS.setRelease(mine, block(epoch) + COUNTERS + c * COUNTER_STRIDE, 0L);
        }
        mine.putLong(block(epoch) + SEQ, t.seq());
        mine.putInt(block(epoch) + LENGTH, n);
        mine.putInt(block(epoch) + DTYPE, Elements.wireId(type));
        LONGS.setVolatile(mine, OFF_EPOCH, epoch);
        wakeSleepers();
    }

    @Override
    public void publish(int which, long value) {
        LONGS.setVolatile(maps[rank], block(epoch) + counter(which), value);
        wakeSleepers();
    }

    /** After a volatile store of news: rings every rank that said it sleeps (see WindowBells). */
    private void wakeSleepers() {
        for (int k = 0; k < worldSize; k++) {
            if (k != rank && (long) LONGS.getVolatile(maps[k], OFF_SLEEPING) != 0) {
                bells.ring(k);
            }
        }
    }

    @Override
    public void await(int k, int which, long value) {
        if (k == rank) {
            return;
        }
        int off = block(epoch) + counter(which);
        MappedByteBuffer m = maps[k];
        long e0 = (long) LONGS.getAcquire(m, OFF_EPOCH);
        if ((e0 == epoch || e0 == epoch + 1) && (long) LONGS.getAcquire(m, off) >= value) {
            checkSame(k);
            return;
        }
        String context = "rank " + rank + " cannot complete " + tag + " on the shm windows with rank " + k;
        waitFor(k, context, tag.seq(), () -> {
            // Rank k may have ended this epoch and begun the next, on the other half: this one's block stays.
            long e = (long) LONGS.getAcquire(m, OFF_EPOCH);
            if (e == epoch || e == epoch + 1) {
                checkSame(k);
                return (long) LONGS.getAcquire(m, off) >= value;
            }
            if (e > epoch) {
                throw new CollectiveMismatchException("rank " + rank + " is in " + tag + " (" + length + " elements) "
                        + "on the shm windows but rank " + k + " has begun more collectives there: every rank must issue "
                        + "the same collectives, in the same order, on tensors with the same number of elements");
            }
            return false;
        });
    }

    @Override
    public void end() {
        if (!inside) {
            return;
        }
        inside = false;
        LONGS.setVolatile(maps[rank], OFF_DONE, epoch);
        wakeSleepers();
        guard.exit();
    }

    /**
     * For a ring wait of collective {@code seq}: throws a mismatch if some rank has begun a
     * collective on the windows that this rank has not, numbered {@code seq} or lower.
     */
    void checkNoneAhead(long seq, int left, Tag expected) {
        for (int k = 0; k < worldSize; k++) {
            if (k == rank) {
                continue;
            }
            MappedByteBuffer m = maps[k];
            long e = (long) LONGS.getAcquire(m, OFF_EPOCH);
            if (e > epoch && (e > epoch + 1 || m.getLong(block(e) + SEQ) <= seq)) {
                throw new CollectiveMismatchException("rank " + rank + " expected " + expected + " from rank " + left
                        + " over the shm ring but rank " + k + " began collective " + m.getLong(block(e) + SEQ) + " of "
                        + m.getInt(block(e) + LENGTH) + " elements on the shm windows: every rank must issue the same "
                        + "collectives, in the same order, on tensors with the same number of elements");
            }
        }
    }

    /** Raises this rank's closed flag: waits for it fail naming this rank. */
    void closeOwn() {
        LONGS.setVolatile(maps[rank], OFF_CLOSED, 1L);
        for (int k = 0; k < worldSize; k++) {
            if (k != rank) {
                bells.ring(k);
            }
        }
        bells.wakeUp();
    }

    /** Makes this rank's sleeping wait (if any) look at the group now: a local abort. */
    void wakeUp() {
        bells.wakeUp();
    }

    /** Only when no thread can touch the mappings any more. */
    void unmap() {
        bells.close();
        for (MappedByteBuffer m : maps) {
            Unmapper.unmap(m);
        }
    }

    private void checkSame(int k) {
        MappedByteBuffer m = maps[k];
        DType actual;
        try {
            actual = Elements.ofWireId((byte) m.getInt(block(epoch) + DTYPE));
        } catch (IllegalArgumentException e) {
            throw new CollectiveMismatchException("rank " + rank + " found a corrupt shm window header of rank " + k);
        }
        CollectiveMismatchException.check(rank, k, tag, dtype, length, new Tag(m.getLong(block(epoch) + SEQ), tag.chunk()),
                actual, m.getInt(block(epoch) + LENGTH));
    }

    private static int counter(int which) {
        if (which != WRITTEN && which != REDUCED) {
            throw new IllegalArgumentException("shm windows: counter " + which + ": expected WRITTEN (0) or REDUCED (1)");
        }
        return COUNTERS + which * COUNTER_STRIDE;
    }

    /** The header block of an epoch: epochs alternate between two, as between the window's halves. */
    private static int block(long epoch) {
        return OFF_BLOCK + (int) (epoch & 1) * BLOCK_STRIDE;
    }

    @FunctionalInterface
    private interface Condition {
        boolean holds();
    }

    /** Waits until {@code done} holds, watching rank {@code k} and the group; failures break the group. */
    private void waitFor(int k, String context, long seq, Condition done) {
        try {
            Waiter w = null;
            long nextCheck = CHECK_INTERVAL_NANOS;
            while (!done.holds()) {
                w = w == null ? new Waiter() : w;
                guard.check(context, seq);
                if ((long) LONGS.getAcquire(maps[k], OFF_CLOSED) != 0 && !done.holds()) {
                    throw new PeerLostException(k, "closed its transport", context);
                }
                long waited = w.waitedNanos();
                if (waited > nextCheck) {
                    nextCheck = waited + CHECK_INTERVAL_NANOS;
                    long pid = pids[k];
                    if (pid > 0 && !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                        throw new PeerLostException(k, "exited (its process, pid " + pid + ", is gone)", context);
                    }
                    if (waited > receiveTimeout.toNanos()) {
                        throw new PeerLostException(k, "did not go on for " + receiveTimeout + " (is it stuck?)", context);
                    }
                }
                if (!w.spinOrYield()) {
                    LONGS.setVolatile(maps[rank], OFF_SLEEPING, 1L);
                    try {
                        if (!done.holds()) {
                            bells.await(CHECK_INTERVAL_NANOS / 1_000_000);
                        }
                    } finally {
                        LONGS.setVolatile(maps[rank], OFF_SLEEPING, 0L);
                    }
                }
            }
        } catch (PeerLostException e) {
            guard.fail(e.lostRank(), e.reason());
            throw e;
        } catch (CollectiveMismatchException e) {
            guard.fail(rank, "aborted the group: " + e.getMessage());
            throw e;
        }
    }
}
