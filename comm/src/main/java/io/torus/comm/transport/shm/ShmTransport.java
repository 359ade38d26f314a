package io.torus.comm.transport.shm;

import io.torus.comm.transport.CollectiveMismatchException;
import io.torus.comm.transport.Elements;
import io.torus.comm.transport.Fold;
import io.torus.comm.transport.PeerLostException;
import io.torus.comm.transport.SharedWindows;
import io.torus.comm.transport.Tag;
import io.torus.comm.transport.Transport;
import io.torus.tensor.DType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/*
 * The shared-memory Transport for ranks on one machine (the idea of NCCL's SHM transport and of
 * Aeron's IPC: no kernel, no event loop, one copy in and one copy out).
 *
 * Every directed ring link (rank -> rank + 1) is one Segment: a single-producer/single-consumer
 * ring buffer in a memory-mapped file under /dev/shm. send() copies the elements straight from the
 * caller's array into the mapped ring and publishes the new head; receive() waits for the head,
 * checks the record's tag, dtype and length exactly as a Netty frame is checked, copies the
 * payload into the caller's array and publishes the new tail. receiveReduce (a ring's
 * reduce-scatter step) does not copy out at all: it folds the payload straight from the mapped
 * ring into the caller's array (Fold, lanes loaded from the mapping) and then publishes the tail,
 * so the pipeline is: producer copy in, consumer fold, one pass over the data fewer per step than
 * "copy out into a scratch array, then reduce from it". With more ranks than cores the total CPU
 * per all-reduce is what sets its speed, so that pass counts.
 *
 * Waiting: a short spin (Waiter), then the link's Doorbell, a Unix-domain socket written only
 * when the other side has said it sleeps: the kernel wakes the sleeper the moment data (or room)
 * is published, as a socket read wakes gloo, and nobody makes a system call while both sides keep
 * up. Never a hot spin, so that on two vCPUs a waiting rank gives its core to the rank it waits for.
 *
 * The contract of Transport says a send never waits for the receiver to call receive. A ring
 * buffer is bounded, so when a send finds no room for spillAfter (a few ms: longer than a peer
 * just being descheduled) the rest of the message is copied to the heap ("spilled") and handed
 * to this rank's link thread, which writes it into the ring as room appears (so does receive()
 * while it waits). Later sends queue behind the spill to keep the order. RingAllReduce keeps at
 * most a few pieces in flight, so its hot path never spills; broadcast and all-gather of large
 * blocks may.
 *
 * Failures. A rank's failure is written into the headers of both its links (abort state, culprit,
 * reason); every wait checks the header of the link it waits on and adopts an abort it finds,
 * writing it into its own other link, so an abort travels around the ring as Netty's Abort frames
 * do. The link thread also adopts aborts every 50 ms while nobody waits, and checks that the
 * neighbours' processes are alive (their pids are in the headers; ProcessGroups only picks shm
 * when all ranks share one pid namespace): a kill -9 fails the waits within ~100 ms, naming the
 * rank, even without Hazelcast (which ProcessGroups also listens to). A peer that closes sets its
 * closed flag: what it sent can still be read, then receives fail naming it.
 *
 * Files: see ShmFiles (owner-only, per-job unguessable names, unlinked once both ends have mapped
 * them, stale ones removed). close() unmaps the memory once no thread can touch it any more.
 */
/**
 * The shared-memory {@link Transport} for ranks on the same machine: one single-producer,
 * single-consumer ring buffer per directed ring link, in a memory-mapped file under
 * {@code /dev/shm}. See the comment above for the design.
 *
 * <pre>{@code
 * // on every rank, with the same key (job-specific and unguessable, e.g. from the rendezvous):
 * ShmTransport t = ShmTransport.connect(rank, worldSize, key, ShmTransport.Options.defaults());
 * ... send / receive (from one thread) ...
 * t.close();
 * }</pre>
 */
public final class ShmTransport implements Transport {
    private static final Logger log = LoggerFactory.getLogger(ShmTransport.class);
    /** Records carry at most this share of the ring, so that writing and reading overlap. */
    private static final int FRAGMENT_SHARE = 4;
    /** A write waits for room for at least this many bytes of payload (or the rest of the message). */
    private static final int MIN_FRAGMENT_BYTES = 64 * 1024;
    private static final long CHECK_INTERVAL_NANOS = 50_000_000L;
    /** Shared window per rank unless {@code torus.comm.shm.window.bytes} says otherwise: all-reduces up to 4 MiB. */
    public static final int DEFAULT_WINDOW_BYTES = 4 << 20;

    /**
     * Tunables, all with defaults that can be overridden by system properties.
     *
     * @param directory      where link files live ({@code torus.comm.shm.dir}; {@code /dev/shm}, else {@code java.io.tmpdir})
     * @param ringBytes      capacity of each link's ring, a power of two ({@code torus.comm.shm.ring.bytes}, 8 MiB)
     * @param connectTimeout how long {@link #connect} waits for the neighbours ({@code torus.comm.connect.timeout.seconds}, 60)
     * @param receiveTimeout how long a receive waits before blaming the silent peer ({@code torus.comm.receive.timeout.seconds}, 1800)
     * @param spillAfter     how long a send waits for room before it copies the rest aside ({@code torus.comm.shm.spill.after.millis}, 50)
     * @param windowBytes    capacity of each rank's shared window ({@code torus.comm.shm.window.bytes}, 0 = none): all-reduces
     *                       of at most this many bytes run on the windows ({@link #sharedWindows()}) instead of the ring.
     *                       Off by default: on the shared 2-vCPU machine where it was measured it did not beat
     *                       the ring reliably (see docs in SharedMemoryAllReduce); 4194304 turns it on for 4 MiB
     */
    public record Options(Path directory, int ringBytes, Duration connectTimeout, Duration receiveTimeout,
                          Duration spillAfter, int windowBytes) {
        public Options {
            Objects.requireNonNull(directory, "directory");
            if (Integer.bitCount(ringBytes) != 1 || ringBytes < (64 << 10) || ringBytes > (1 << 30)) {
                throw new IllegalArgumentException("ShmTransport.Options: ring bytes " + ringBytes
                        + ": expected a power of two from 64 KiB to 1 GiB");
            }
            if (connectTimeout.isNegative() || connectTimeout.isZero() || receiveTimeout.isNegative()
                    || receiveTimeout.isZero() || spillAfter.isNegative()) {
                throw new IllegalArgumentException("ShmTransport.Options: timeouts " + connectTimeout + ", "
                        + receiveTimeout + ", spill after " + spillAfter + ": expected positive timeouts");
            }
            if (windowBytes != 0 && (windowBytes < (64 << 10) || windowBytes > (1 << 30) || windowBytes % 4096 != 0)) {
                throw new IllegalArgumentException("ShmTransport.Options: window bytes " + windowBytes
                        + ": expected 0 (no windows) or a multiple of 4096 from 64 KiB to 1 GiB");
            }
        }

        public static Options defaults() {
            String dir = System.getProperty("torus.comm.shm.dir");
            return new Options(dir == null || dir.isBlank() ? ShmFiles.defaultDirectory() : Path.of(dir),
                    Integer.getInteger("torus.comm.shm.ring.bytes", 8 << 20),
                    Duration.ofSeconds(Long.getLong("torus.comm.connect.timeout.seconds", 60)),
                    Duration.ofSeconds(Long.getLong("torus.comm.receive.timeout.seconds", 1800)),
                    Duration.ofMillis(Long.getLong("torus.comm.shm.spill.after.millis", 50)),
                    Integer.getInteger("torus.comm.shm.window.bytes", DEFAULT_WINDOW_BYTES));
        }

        public Options withDirectory(Path dir) {
            return new Options(dir, ringBytes, connectTimeout, receiveTimeout, spillAfter, windowBytes);
        }

        public Options withRingBytes(int bytes) {
            return new Options(directory, bytes, connectTimeout, receiveTimeout, spillAfter, windowBytes);
        }

        public Options withConnectTimeout(Duration timeout) {
            return new Options(directory, ringBytes, timeout, receiveTimeout, spillAfter, windowBytes);
        }

        public Options withReceiveTimeout(Duration timeout) {
            return new Options(directory, ringBytes, connectTimeout, timeout, spillAfter, windowBytes);
        }

        public Options withSpillAfter(Duration after) {
            return new Options(directory, ringBytes, connectTimeout, receiveTimeout, after, windowBytes);
        }

        public Options withWindowBytes(int bytes) {
            return new Options(directory, ringBytes, connectTimeout, receiveTimeout, spillAfter, bytes);
        }
    }

    private final int rank;
    private final int worldSize;
    private final int left;
    private final int right;
    private final Options options;
    /** From the left neighbour (this rank consumes); null for a world of one. */
    private final Segment in;
    /** To the right neighbour (this rank produces); null for a world of one. */
    private final Segment out;
    /** The doorbells of {@link #in} and {@link #out}; null for a world of one. */
    private final Doorbell inBell;
    private final Doorbell outBell;
    /** Every rank's shared window; null for a world of one or with windows off. */
    private final Windows windows;
    private final int fragmentBytes;

    private final ReentrantLock sendLock = new ReentrantLock();
    /** Producer position; guarded by sendLock. */
    private long head;
    /** Messages (or their rests) waiting for room; guarded by sendLock. */
    private final ArrayDeque<Spill> spills = new ArrayDeque<>();
    private volatile boolean spillPending;
    /** Consumer position; only the receiving thread touches it. */
    private long tail;
    private long spilledBytes;

    private volatile Failure failure;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Set when close() is about to unmap: no new access may start. */
    private volatile boolean unmapping;
    /** Threads inside an operation that touches the mapped memory. */
    private final AtomicInteger users = new AtomicInteger();
    private final Object mapGuard = new Object();
    private boolean unmapped;
    private final Thread linkThread;
    private volatile boolean stopping;

    private ShmTransport(int rank, int worldSize, Options options, Segment in, Segment out, Doorbell inBell,
                         Doorbell outBell, Windows windows) {
        this.rank = rank;
        this.worldSize = worldSize;
        this.left = Math.floorMod(rank - 1, worldSize);
        this.right = (rank + 1) % worldSize;
        this.options = options;
        this.in = in;
        this.out = out;
        this.inBell = inBell;
        this.outBell = outBell;
        this.windows = windows;
        if (windows != null) {
            windows.guardWith(new WindowGuard());
        }
        this.fragmentBytes = options.ringBytes() / FRAGMENT_SHARE;
        if (worldSize > 1) {
            linkThread = new Thread(this::linkLoop, "torus-shm-rank-" + rank);
            linkThread.setDaemon(true);
            linkThread.start();
        } else {
            linkThread = null;
        }
    }

    /**
     * Connects this rank into the ring: creates the file of the link from the left neighbour,
     * maps the one to the right neighbour as soon as that rank has created it, and returns once
     * both neighbours are attached (the files are unlinked by then).
     *
     * @param key every rank's same job-specific, unguessable key (8..64 letters, digits, '_')
     * @throws IllegalStateException naming the missing neighbour if the ring is not up within
     *                               {@link Options#connectTimeout()}
     */
    public static ShmTransport connect(int rank, int worldSize, String key, Options options) {
        Objects.requireNonNull(options, "options");
        if (worldSize < 1 || rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("ShmTransport.connect: rank " + rank + " of world size " + worldSize
                    + ": expected 0 <= rank < worldSize");
        }
        ShmFiles.checkKey(key);
        if (worldSize == 1) {
            return new ShmTransport(rank, 1, options, null, null, null, null, null);
        }
        int left = Math.floorMod(rank - 1, worldSize);
        int right = (rank + 1) % worldSize;
        Path dir = options.directory();
        ShmFiles.removeStale(dir);
        Path inPath = ShmFiles.link(dir, key, left, rank);
        Path outPath = ShmFiles.link(dir, key, rank, right);
        Segment in = null;
        Segment out = null;
        java.nio.channels.ServerSocketChannel server = null;
        Doorbell inBell = null;
        Doorbell outBell = null;
        Windows windows = null;
        long deadline = System.nanoTime() + options.connectTimeout().toNanos();
        try {
            try {
                in = Segment.create(inPath, options.ringBytes(), left, rank);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                throw new IllegalStateException("rank " + rank + ": shm link file " + inPath
                        + " already exists (two groups with the same key, or two workers with the same rank?)");
            }
            server = Doorbell.listen(Doorbell.socketPath(inPath));
            int ownUid = (Integer) Files.getAttribute(inPath, "unix:uid");
            Waiter w = new Waiter();
            while ((out = Segment.tryAttach(outPath, rank, right, ownUid)) == null) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("rank " + rank + ": shm ring not connected after "
                            + options.connectTimeout() + ": rank " + right + " has not created " + outPath);
                }
                w.pause();
            }
            w = new Waiter();
            while ((outBell = Doorbell.tryConnect(Doorbell.socketPath(outPath))) == null) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("rank " + rank + ": shm ring not connected after "
                            + options.connectTimeout() + ": rank " + right + " does not listen on "
                            + Doorbell.socketPath(outPath));
                }
                w.pause();
            }
            w = new Waiter();
            while (!in.producerAttached() || inBell == null && (inBell = Doorbell.tryAccept(server)) == null) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("rank " + rank + ": shm ring not connected after "
                            + options.connectTimeout() + ": rank " + left + " has not attached to " + inPath);
                }
                w.pause();
            }
            Files.deleteIfExists(inPath);
            Files.deleteIfExists(Doorbell.socketPath(inPath));
            server.close();
            if (options.windowBytes() > 0) {
                windows = Windows.connect(dir, key, rank, worldSize, options.windowBytes(), deadline, options.receiveTimeout());
            }
        } catch (IOException e) {
            cleanUp(inPath, in, out, server, inBell, outBell);
            throw new IllegalStateException("rank " + rank + ": cannot set up shm links in " + dir + ": " + e, e);
        } catch (RuntimeException e) {
            cleanUp(inPath, in, out, server, inBell, outBell);
            throw e;
        }
        log.debug("rank {}: shm ring connected: left rank {}, right rank {}, {} KiB per link in {}", rank, left, right,
                options.ringBytes() >> 10, dir);
        return new ShmTransport(rank, worldSize, options, in, out, inBell, outBell, windows);
    }

    private static void cleanUp(Path inPath, Segment in, Segment out, java.nio.channels.ServerSocketChannel server,
                                Doorbell inBell, Doorbell outBell) {
        try {
            Files.deleteIfExists(inPath);
            Files.deleteIfExists(Doorbell.socketPath(inPath));
            if (server != null) {
                server.close();
            }
        } catch (IOException ignored) {
            // best effort
        }
        if (inBell != null) {
            inBell.close();
        }
        if (outBell != null) {
            outBell.close();
        }
        if (in != null) {
            in.unmap();
        }
        if (out != null) {
            out.unmap();
        }
    }

    /**
     * This process's machine identity for choosing shared memory: the kernel's boot id, the host
     * name, the pid namespace (so that peers' pids mean the same processes) and the device and
     * inode of {@code directory} (so that two containers with private {@code /dev/shm} mounts
     * differ). Two ranks can use this transport between them when their identities are equal and
     * non-empty. Empty when any part cannot be read (not Linux, no {@code /proc}): no shared memory.
     */
    public static String hostIdentity(Path directory) {
        try {
            String boot = Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).strip();
            String pidNs = Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString();
            String host = java.net.InetAddress.getLocalHost().getHostName();
            Object dev = Files.getAttribute(directory, "unix:dev");
            Object ino = Files.getAttribute(directory, "unix:ino");
            return boot + "|" + host + "|" + pidNs + "|" + directory.toAbsolutePath() + "@" + dev + ":" + ino;
        } catch (IOException | RuntimeException e) {
            log.debug("no host identity for shared memory: {}", e.toString());
            return "";
        }
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int worldSize() {
        return worldSize;
    }

    /** The ranks' shared windows (see {@code Windows}), or null for a world of one or with {@link Options#windowBytes()} 0. */
    @Override
    public SharedWindows sharedWindows() {
        return windows;
    }

    // ---- send ----------------------------------------------------------------------------------

    @Override
    public void send(int peer, Tag tag, Object src, int offset, int length) {
        checkPeer("send", peer, right);
        Objects.checkFromIndexSize(offset, length, Elements.length(src));
        String context = "rank " + rank + " cannot send " + tag + " to rank " + peer;
        enter(context);
        try {
            checkSendable(context);
            int size = Elements.byteSize(Elements.dtype(src));
            sendLock.lock();
            try {
                drainSpills();
                int done = 0;
                Waiter w = null;
                do {
                    if (!spills.isEmpty()) {
                        spill(tag, src, offset + done, length, done, length - done);
                        return;
                    }
                    int n = writeSome(tag, src, offset + done, length, done, length - done, size);
                    if (n >= 0) {
                        done += n;
                        w = null;
                        if (length == 0) {
                            return;
                        }
                        continue;
                    }
                    if (w == null) {
                        w = new Waiter();
                    } else if (w.waitedNanos() > options.spillAfter().toNanos()) {
                        spill(tag, src, offset + done, length, done, length - done);
                        return;
                    }
                    checkSendable(context);
                    if (!w.spin()) {
                        long needed = Segment.RECORD_HEADER
                                + Math.min(Math.min((long) (length - done) * size, fragmentBytes), MIN_FRAGMENT_BYTES);
                        long tailNow = out.producerSleeping(true);
                        if (out.capacity - (head - tailNow) < needed) {
                            outBell.await(Math.min(CHECK_INTERVAL_NANOS, options.spillAfter().toNanos()) / 1_000_000 + 1);
                        }
                        out.producerSleeping(false);
                    }
                } while (done < length);
            } finally {
                sendLock.unlock();
            }
        } catch (PeerLostException e) {
            fail(e.lostRank(), e.reason());
            throw e;
        } finally {
            exit();
        }
    }

    /**
     * Writes as much of the message as the ring has room for, in one record. Guarded by sendLock.
     *
     * @return elements written (0 for an empty message), or -1 when there is not enough room yet
     */
    private int writeSome(Tag tag, Object src, int from, int total, int fragmentOffset, int remaining, int size) {
        long free = out.free(head) - Segment.RECORD_HEADER;
        long wanted = Math.min((long) remaining * size, fragmentBytes);
        long needed = Math.min(wanted, MIN_FRAGMENT_BYTES);
        if (free < needed || free < 0) {
            return -1;
        }
        int n = (int) (Math.min(wanted, free & -Segment.ALIGN) / size);
        if (n == 0 && remaining > 0) {
            return -1;
        }
        head = out.write(head, tag, src, from, total, fragmentOffset, n);
        if (out.consumerAsleep()) {
            outBell.ring();
        }
        return n;
    }

    /** Copies the rest of a message aside for the link thread. Guarded by sendLock. */
    private void spill(Tag tag, Object src, int from, int total, int fragmentOffset, int count) {
        DType dtype = Elements.dtype(src);
        ByteBuffer data = ByteBuffer.allocate(count * Elements.byteSize(dtype)).order(ByteOrder.LITTLE_ENDIAN);
        Elements.write(src, from, count, data.duplicate());
        spills.addLast(new Spill(tag, dtype, total, fragmentOffset, count, data));
        spilledBytes += data.capacity();
        spillPending = true;
        LockSupport.unpark(linkThread);
    }

    /** Writes spilled messages into the ring as far as there is room. Guarded by sendLock. */
    private void drainSpills() {
        Spill s;
        while ((s = spills.peekFirst()) != null) {
            if (failure != null) {
                spills.clear();
                break;
            }
            int size = Elements.byteSize(s.dtype);
            long free = out.free(head) - Segment.RECORD_HEADER;
            long wanted = Math.min((long) s.count * size, fragmentBytes);
            if (free < Math.min(wanted, MIN_FRAGMENT_BYTES) || free < 0) {
                break;
            }
            int n = (int) (Math.min(wanted, free & -Segment.ALIGN) / size);
            if (n == 0 && s.count > 0) {
                break;
            }
            head = out.writeStaged(head, s.tag, s.dtype, s.data, s.total, s.offset, n);
            if (out.consumerAsleep()) {
                outBell.ring();
            }
            s.data.position(s.data.position() + n * size);
            s.offset += n;
            s.count -= n;
            if (s.count == 0) {
                spills.removeFirst();
            }
        }
        spillPending = !spills.isEmpty();
    }

    private void checkSendable(String context) {
        Failure f = failure;
        if (f != null) {
            throw new PeerLostException(f.culprit, f.reason, context);
        }
        if (closed.get()) {
            throw new PeerLostException(rank, "closed its transport", context);
        }
        Segment.Abort a = out.aborted();
        if (a != null) {
            throw new PeerLostException(a.culprit(), a.reason(), context);
        }
        if (out.consumerClosed()) {
            throw new PeerLostException(right, "closed its transport", context);
        }
    }

    // ---- receive -------------------------------------------------------------------------------

    @Override
    public void receive(int peer, Tag tag, Object dst, int offset, int length) {
        take(peer, tag, dst, offset, length, null);
    }

    /** Folds each fragment straight out of the mapped ring into {@code dst}; {@code scratch} is not used. */
    @Override
    public void receiveReduce(int peer, Tag tag, Object dst, int offset, int length, Fold fold, Object scratch) {
        take(peer, tag, dst, offset, length, Objects.requireNonNull(fold, "fold"));
    }

    /** Receives a message fragment by fragment, copying each into {@code dst} or, with a fold, folding it in. */
    private void take(int peer, Tag tag, Object dst, int offset, int length, Fold fold) {
        checkPeer("receive", peer, left);
        Objects.checkFromIndexSize(offset, length, Elements.length(dst));
        DType dtype = Elements.dtype(dst);
        String context = "rank " + rank + " cannot receive " + tag + " from rank " + peer;
        enter(context);
        try {
            int copied = 0;
            do {
                awaitRecord(context, tag);
                Segment.RecordHeader h = in.header(tail);
                checkRecord(h, peer, tag, dtype, length, copied);
                tail = fold == null ? in.read(tail, h, dst, offset + copied)
                        : in.readFold(tail, h, fold, dst, offset + copied);
                if (in.producerAsleep()) {
                    inBell.ring();
                }
                copied += h.count();
            } while (copied < length);
        } catch (PeerLostException e) {
            fail(e.lostRank(), e.reason());
            throw e;
        } finally {
            exit();
        }
    }

    /** Checks that the record {@code h} is the fragment at {@code copied} of the expected message; aborts the group if not. */
    private void checkRecord(Segment.RecordHeader h, int peer, Tag tag, DType dtype, int length, int copied) {
        try {
            DType actual;
            try {
                actual = Elements.ofWireId((byte) h.dtypeId());
            } catch (IllegalArgumentException e) {
                throw new CollectiveMismatchException("rank " + rank + " received a corrupt record from rank "
                        + peer + " while expecting " + tag + ": " + e.getMessage());
            }
            if (h.seq() < 0 || h.chunk() < 0) {
                throw new CollectiveMismatchException("rank " + rank + " received a corrupt record from rank "
                        + peer + " (seq " + h.seq() + ", chunk " + h.chunk() + ") while expecting " + tag);
            }
            CollectiveMismatchException.check(rank, peer, tag, dtype, length, new Tag(h.seq(), h.chunk()), actual,
                    h.total());
            if (h.offset() != copied || h.count() < 0 || h.count() > length - copied) {
                throw new CollectiveMismatchException("rank " + rank + " expected the fragment at offset " + copied
                        + " of " + tag + " from rank " + peer + " but received " + h.count()
                        + " elements at offset " + h.offset());
            }
        } catch (CollectiveMismatchException e) {
            fail(rank, "aborted the group: " + e.getMessage());
            throw e;
        }
    }

    /**
     * Folds each incoming fragment with {@code dst}'s elements straight into the ring to the right
     * (Segment.writeFolded: one read of each operand and one write, {@code dst} is not written),
     * so the message that leaves is the one receiveReduce + send would send. A fragment that finds
     * earlier messages still spilled, or no room to the right for spillAfter, is folded into
     * {@code dst} and its rest spilled as send would, which keeps the order on the wire.
     */
    @Override
    public void receiveReduceSend(int peer, Tag tag, Object dst, int offset, int length, Fold fold, Object scratch,
                                  int to, Tag outTag) {
        Objects.requireNonNull(fold, "fold");
        if (length == 0) {
            Transport.super.receiveReduceSend(peer, tag, dst, offset, length, fold, scratch, to, outTag);
            return;
        }
        checkPeer("receive", peer, left);
        checkPeer("send", to, right);
        Objects.checkFromIndexSize(offset, length, Elements.length(dst));
        DType dtype = Elements.dtype(dst);
        int size = Elements.byteSize(dtype);
        String context = "rank " + rank + " cannot receive " + tag + " from rank " + peer + " and send it on to rank "
                + to + " as " + outTag;
        enter(context);
        try {
            int copied = 0;
            do {
                awaitRecord(context, tag);
                Segment.RecordHeader h = in.header(tail);
                checkRecord(h, peer, tag, dtype, length, copied);
                int count = h.count();
                sendLock.lock();
                try {
                    drainSpills();
                    int done = 0;
                    Waiter w = null;
                    while (done < count && spills.isEmpty()) {
                        checkSendable(context);
                        long free = out.free(head) - Segment.RECORD_HEADER;
                        long wanted = (long) (count - done) * size;
                        int n = free >= Math.min(wanted, MIN_FRAGMENT_BYTES) ? (int) (Math.min(wanted, free & -Segment.ALIGN) / size) : 0;
                        if (n > 0) {
                            head = out.writeFolded(head, outTag, length, copied + done, in, tail, done, n, fold, dst,
                                    offset + copied + done);
                            if (out.consumerAsleep()) {
                                outBell.ring();
                            }
                            done += n;
                            w = null;
                            continue;
                        }
                        if (w == null) {
                            w = new Waiter();
                        } else if (w.waitedNanos() > options.spillAfter().toNanos()) {
                            break;
                        }
                        if (!w.spin()) {
                            long needed = Segment.RECORD_HEADER + Math.min(wanted, MIN_FRAGMENT_BYTES);
                            long tailNow = out.producerSleeping(true);
                            if (out.capacity - (head - tailNow) < needed) {
                                outBell.await(Math.min(CHECK_INTERVAL_NANOS, options.spillAfter().toNanos()) / 1_000_000 + 1);
                            }
                            out.producerSleeping(false);
                        }
                    }
                    if (done < count) {
                        in.foldPart(tail, done, count - done, fold, dst, offset + copied + done);
                        spill(outTag, dst, offset + copied + done, length, copied + done, count - done);
                    }
                } finally {
                    sendLock.unlock();
                }
                tail = in.release(tail, h, dtype);
                if (in.producerAsleep()) {
                    inBell.ring();
                }
                copied += count;
            } while (copied < length);
        } catch (PeerLostException e) {
            fail(e.lostRank(), e.reason());
            throw e;
        } finally {
            exit();
        }
    }

    /** Waits until a record is published at {@code tail}, failing as soon as the group breaks. */
    private void awaitRecord(String context, Tag expected) {
        checkReceivable(context, false);
        if (in.head() != tail) {
            return;
        }
        Waiter w = new Waiter();
        long nextCheck = CHECK_INTERVAL_NANOS;
        while (in.head() == tail) {
            checkReceivable(context, true);
            if (spillPending && sendLock.tryLock()) {
                try {
                    drainSpills();
                } finally {
                    sendLock.unlock();
                }
            }
            long waited = w.waitedNanos();
            if (waited > nextCheck) {
                nextCheck = waited + CHECK_INTERVAL_NANOS;
                if (windows != null) {
                    windows.checkNoneAhead(expected.seq(), left, expected);
                }
                if (!in.producerClosed()) {
                    checkPeerAlive(left, in.producerPid(), context);
                }
                if (waited > options.receiveTimeout().toNanos()) {
                    throw new PeerLostException(left, "sent nothing for " + options.receiveTimeout() + " (is it stuck?)",
                            context);
                }
            }
            if (!w.spin()) {
                if (in.consumerSleeping(true) == tail) {
                    inBell.await(CHECK_INTERVAL_NANOS / 1_000_000);
                }
                in.consumerSleeping(false);
            }
        }
    }

    private void checkReceivable(String context, boolean empty) {
        Failure f = failure;
        if (f != null) {
            throw new PeerLostException(f.culprit, f.reason, context);
        }
        if (closed.get()) {
            throw new PeerLostException(rank, "closed its transport", context);
        }
        Segment.Abort a = in.aborted();
        if (a != null) {
            throw new PeerLostException(a.culprit(), a.reason(), context);
        }
        // Read the closed flag before re-reading head: a close after the last record is then seen with it.
        if (empty && in.producerClosed() && in.head() == tail) {
            throw new PeerLostException(left, "closed its transport", context);
        }
    }

    private static void checkPeerAlive(int peer, long pid, String context) {
        if (pid > 0 && !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            throw new PeerLostException(peer, "exited (its process, pid " + pid + ", is gone)", context);
        }
    }

    // ---- failure and close ---------------------------------------------------------------------

    @Override
    public void abort(int culpritRank, String reason) {
        fail(culpritRank, reason);
    }

    /** Breaks the group: the first failure wins and is written into both links' headers. */
    private void fail(int culprit, String reason) {
        synchronized (mapGuard) {
            if (failure != null) {
                return;
            }
            failure = new Failure(culprit, reason);
            if (!unmapped && in != null) {
                in.abort(culprit, reason);
                out.abort(culprit, reason);
                // Wake both neighbours (and this rank's own waits) to see it now.
                inBell.ring();
                outBell.ring();
                inBell.wakeUp();
                outBell.wakeUp();
                if (windows != null) {
                    windows.wakeUp();
                }
            }
        }
        log.debug("rank {}: shm transport failed: rank {} {}", rank, culprit, reason);
        LockSupport.unpark(linkThread);
    }

    /**
     * Writes what is still spilled (waiting at most a few seconds for the right neighbour to make
     * room), raises this rank's closed flags on both links, and unmaps the memory once no thread
     * is inside an operation. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (in != null) {
            flushOnClose();
            synchronized (mapGuard) {
                out.closeProducer();
                in.closeConsumer();
                if (windows != null) {
                    windows.closeOwn();
                }
                inBell.ring();
                outBell.ring();
                inBell.wakeUp();
                outBell.wakeUp();
            }
            stopping = true;
            LockSupport.unpark(linkThread);
            try {
                linkThread.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            unmapWhenIdle();
        }
        if (spilledBytes > 0) {
            log.debug("rank {}: {} bytes were spilled to the heap while the ring was full", rank, spilledBytes);
        }
    }

    private void flushOnClose() {
        if (!spillPending) {
            return;
        }
        Waiter w = new Waiter();
        while (spillPending && failure == null && !out.consumerClosed() && out.aborted() == null
                && w.waitedNanos() < TimeUnit.SECONDS.toNanos(5)) {
            if (sendLock.tryLock()) {
                try {
                    drainSpills();
                } finally {
                    sendLock.unlock();
                }
            }
            w.pause();
        }
    }

    private void unmapWhenIdle() {
        unmapping = true;
        Waiter w = new Waiter();
        while (users.get() > 0 && w.waitedNanos() < TimeUnit.SECONDS.toNanos(2)) {
            w.pause();
        }
        synchronized (mapGuard) {
            if (users.get() > 0) {
                log.debug("rank {}: shm link still in use at close; leaving the unmapping to the collector", rank);
                return;
            }
            unmapped = true;
            in.unmap();
            out.unmap();
            if (windows != null) {
                windows.unmap();
            }
            inBell.close();
            outBell.close();
        }
    }

    private void enter(String context) {
        users.incrementAndGet();
        if (unmapping) {
            users.decrementAndGet();
            throw new PeerLostException(rank, "closed its transport", context);
        }
    }

    private void exit() {
        users.decrementAndGet();
    }

    /**
     * The link thread: writes spilled messages as room appears, and every 50 ms adopts an abort
     * found in a link header and checks that both neighbours' processes are still alive.
     */
    private void linkLoop() {
        long lastCheck = System.nanoTime();
        Waiter drainWait = null;
        while (!stopping) {
            users.incrementAndGet();
            try {
                if (unmapping) {
                    return;
                }
                if (spillPending) {
                    sendLock.lock();
                    try {
                        drainSpills();
                    } finally {
                        sendLock.unlock();
                    }
                }
                if (System.nanoTime() - lastCheck > CHECK_INTERVAL_NANOS) {
                    lastCheck = System.nanoTime();
                    watchNeighbours();
                }
            } finally {
                users.decrementAndGet();
            }
            if (spillPending && failure == null) {
                drainWait = drainWait == null ? new Waiter() : drainWait;
                drainWait.pause();
            } else {
                drainWait = null;
                LockSupport.parkNanos(CHECK_INTERVAL_NANOS);
            }
        }
    }

    private void watchNeighbours() {
        if (failure != null) {
            return;
        }
        for (Segment s : new Segment[] {in, out}) {
            Segment.Abort a = s.aborted();
            if (a != null) {
                fail(a.culprit(), a.reason());
                return;
            }
        }
        String context = "rank " + rank + "'s shm links";
        try {
            // A neighbour that closed before its process ended left in order: what it sent can still
            // be read, and the closed flags fail whatever needs more from it.
            if (!in.producerClosed()) {
                checkPeerAlive(left, in.producerPid(), context);
            }
            if (!out.consumerClosed()) {
                checkPeerAlive(right, out.consumerPid(), context);
            }
        } catch (PeerLostException e) {
            log.warn("rank {}: rank {} {}", rank, e.lostRank(), e.reason());
            fail(e.lostRank(), e.reason());
        }
    }

    private void checkPeer(String op, int peer, int expected) {
        if (peer < 0 || peer >= worldSize || peer == rank) {
            throw new IllegalArgumentException(op + ": peer " + peer + " is not another rank of this group (ranks 0.."
                    + (worldSize - 1) + ", this is rank " + rank + ")");
        }
        if (peer != expected) {
            throw new IllegalArgumentException(op + ": rank " + rank + " can " + op + " only " + (op.equals("send")
                    ? "to its right neighbour, rank " : "from its left neighbour, rank ") + expected
                    + ", not rank " + peer + " (the shm transport connects the ring)");
        }
    }

    @Override
    public String toString() {
        return "ShmTransport[rank " + rank + " of " + worldSize + " in " + options.directory() + "]";
    }

    private record Failure(int culprit, String reason) {
    }

    /** What window waits check: the same failures as a receive, and ring records that should not be there. */
    private final class WindowGuard implements Windows.Guard {
        @Override
        public void check(String context, long seq) {
            checkReceivable(context, false);
            if (in.head() != tail) {
                Segment.RecordHeader h = in.header(tail);
                if (h.seq() <= seq) {
                    throw new CollectiveMismatchException("rank " + rank + " is in collective " + seq + " on the shm windows "
                            + "but rank " + left + " sent it chunk " + h.chunk() + " of collective " + h.seq() + " (" + h.total()
                            + " elements) over the ring: every rank must issue the same collectives, in the same order, "
                            + "on tensors with the same number of elements");
                }
            }
        }

        @Override
        public void fail(int culprit, String reason) {
            ShmTransport.this.fail(culprit, reason);
        }

        @Override
        public void enter(String context) {
            ShmTransport.this.enter(context);
        }

        @Override
        public void exit() {
            ShmTransport.this.exit();
        }
    }

    /** The rest of a message that did not fit the ring yet. */
    private static final class Spill {
        final Tag tag;
        final DType dtype;
        final int total;
        int offset;
        int count;
        final ByteBuffer data;

        Spill(Tag tag, DType dtype, int total, int offset, int count, ByteBuffer data) {
            this.tag = tag;
            this.dtype = dtype;
            this.total = total;
            this.offset = offset;
            this.count = count;
            this.data = data;
        }
    }
}
