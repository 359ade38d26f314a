package io.torus.comm.transport.shm;

import io.torus.comm.transport.Elements;
import io.torus.comm.transport.Fold;
import io.torus.comm.transport.Tag;
import io.torus.tensor.DType;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/*
 * One directed link as a single-producer/single-consumer ring buffer in a memory-mapped file
 * (the layout NCCL's SHM transport and Aeron's IPC publications share in spirit: counters in a
 * header, bytes in a power-of-two ring behind it).
 *
 *   offset  field (8-byte words, native order)       written by
 *   0       magic (set last, with release)            consumer (creator)
 *   8       capacity of the data ring, in bytes        consumer
 *   16      from rank, to rank (two ints)              consumer
 *   24      consumer pid                               consumer
 *   32      producer pid                               producer (attach)
 *   40      producer attached (0/1, release)           producer
 *   64      head: bytes ever written (release)         producer      own cache line
 *   128     tail: bytes ever consumed (release)        consumer      own cache line
 *   192     producer closed (0/1)                      producer
 *   200     consumer closed (0/1)                      consumer
 *   208     consumer sleeping on its doorbell (0/1)    consumer
 *   216     producer sleeping on its doorbell (0/1)    producer
 *   256     abort state: 0 none, 1 being written, 2 set (CAS, release)   either side
 *   264     abort culprit rank                         the aborting side
 *   272     abort reason length, then UTF-8 bytes from 280 (at most 1000)
 *   4096    the data ring, `capacity` bytes
 *
 * Records in the ring, 32-byte aligned so a record header never wraps (the payload may):
 *   seq (long) | chunk (int) | dtype wire id (int) | total elements (int) | offset of this
 *   fragment in the message (int) | elements in this fragment (int) | 0 (int) | payload, padded to 32.
 *
 * Ordering: the producer copies a record in with plain writes and then publishes head with a
 * volatile store (a release, plus the store-load fence the doorbell protocol needs, see
 * Doorbell); the consumer reads head with an acquire load before it reads the record, and
 * publishes tail with a volatile store once it has copied the payload out, which hands the space
 * back. Head and tail only ever grow, so "head - tail" is the bytes in flight and there is no ABA.
 * VarHandle views over a direct buffer give exactly these semantics across processes (the
 * memory is the same physical pages in both).
 */
final class Segment {
    static final long MAGIC = 0x746f7275_73686d31L; // "torushm1"
    static final int DATA_START = 4096;
    static final int RECORD_HEADER = 32;
    static final int ALIGN = 32;
    private static final int OFF_MAGIC = 0;
    private static final int OFF_CAPACITY = 8;
    private static final int OFF_FROM = 16;
    private static final int OFF_TO = 20;
    private static final int OFF_CONSUMER_PID = 24;
    private static final int OFF_PRODUCER_PID = 32;
    private static final int OFF_ATTACHED = 40;
    private static final int OFF_HEAD = 64;
    private static final int OFF_TAIL = 128;
    private static final int OFF_PRODUCER_CLOSED = 192;
    private static final int OFF_CONSUMER_CLOSED = 200;
    private static final int OFF_CONSUMER_SLEEPING = 208;
    private static final int OFF_PRODUCER_SLEEPING = 216;
    private static final int OFF_ABORT_STATE = 256;
    private static final int OFF_ABORT_CULPRIT = 264;
    private static final int OFF_ABORT_LENGTH = 272;
    private static final int OFF_ABORT_REASON = 280;
    private static final int MAX_REASON_BYTES = 1000;

    private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

    final Path path;
    final int capacity;
    final int from;
    final int to;
    private final MappedByteBuffer map;
    /** The data ring as a little-endian buffer (the wire order of {@link Elements}). */
    private final ByteBuffer ring;

    private Segment(Path path, MappedByteBuffer map) {
        this.path = path;
        this.map = map;
        this.capacity = (int) map.getLong(OFF_CAPACITY);
        this.from = map.getInt(OFF_FROM);
        this.to = map.getInt(OFF_TO);
        this.ring = map.duplicate().position(DATA_START).limit(DATA_START + capacity).slice()
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Creates and maps the file (it must not exist), initializes the header, publishes the magic. The consumer's side. */
    static Segment create(Path path, int capacity, int from, int to) throws IOException {
        if (Integer.bitCount(capacity) != 1 || capacity < 64 * 1024) {
            throw new IllegalArgumentException("shm ring capacity " + capacity + ": expected a power of two >= 64 KiB");
        }
        MappedByteBuffer map = ShmFiles.createMapped(path, (long) DATA_START + capacity);
        map.putLong(OFF_CAPACITY, capacity);
        map.putInt(OFF_FROM, from);
        map.putInt(OFF_TO, to);
        map.putLong(OFF_CONSUMER_PID, ProcessHandle.current().pid());
        LONGS.setRelease(map, OFF_MAGIC, MAGIC);
        return new Segment(path, map);
    }

    /**
     * Maps an existing file created by the consumer, or returns null while it is not there or not
     * yet initialized. The producer's side; checks that the file is the link it expects.
     */
    static Segment tryAttach(Path path, int from, int to, int ownUid) throws IOException {
        MappedByteBuffer map = ShmFiles.mapOwned(path, "link", ownUid, size -> size >= DATA_START);
        if (map == null) {
            return null;
        }
        if ((long) LONGS.getAcquire(map, OFF_MAGIC) != MAGIC) {
            return null;
        }
        Segment s = new Segment(path, map);
        if (s.from != from || s.to != to || (long) DATA_START + s.capacity != map.capacity()) {
            throw new IllegalStateException("shm link file " + path + " is for rank " + s.from + " -> " + s.to
                    + " with capacity " + s.capacity + ", expected rank " + from + " -> " + to);
        }
        map.putLong(OFF_PRODUCER_PID, ProcessHandle.current().pid());
        LONGS.setRelease(map, OFF_ATTACHED, 1L);
        return s;
    }

    /** The pid of the process that created a link or window file, or -1 if it cannot be read (for stale-file cleanup). */
    static long creatorPid(Path path) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(32).order(ByteOrder.nativeOrder());
            // A window file (Windows) keeps its creator's pid at the same offset.
            if (ch.read(b, 0) < 32 || b.getLong(OFF_MAGIC) != MAGIC && b.getLong(OFF_MAGIC) != Windows.MAGIC) {
                return -1;
            }
            return b.getLong(OFF_CONSUMER_PID);
        } catch (IOException e) {
            return -1;
        }
    }

    boolean producerAttached() {
        return (long) LONGS.getAcquire(map, OFF_ATTACHED) != 0;
    }

    long consumerPid() {
        return map.getLong(OFF_CONSUMER_PID);
    }

    long producerPid() {
        return (long) LONGS.getAcquire(map, OFF_PRODUCER_PID);
    }

    long head() {
        return (long) LONGS.getAcquire(map, OFF_HEAD);
    }

    long tail() {
        return (long) LONGS.getAcquire(map, OFF_TAIL);
    }

    /** Raises or lowers the consumer's sleeping word, then re-reads head: both volatile (see Doorbell). */
    long consumerSleeping(boolean sleeping) {
        LONGS.setVolatile(map, OFF_CONSUMER_SLEEPING, sleeping ? 1L : 0L);
        return (long) LONGS.getVolatile(map, OFF_HEAD);
    }

    /** Raises or lowers the producer's sleeping word, then re-reads tail: both volatile (see Doorbell). */
    long producerSleeping(boolean sleeping) {
        LONGS.setVolatile(map, OFF_PRODUCER_SLEEPING, sleeping ? 1L : 0L);
        return (long) LONGS.getVolatile(map, OFF_TAIL);
    }

    /** After publishing head: is the consumer asleep on its doorbell? */
    boolean consumerAsleep() {
        return (long) LONGS.getVolatile(map, OFF_CONSUMER_SLEEPING) != 0;
    }

    /** After publishing tail: is the producer asleep on its doorbell? */
    boolean producerAsleep() {
        return (long) LONGS.getVolatile(map, OFF_PRODUCER_SLEEPING) != 0;
    }

    void closeProducer() {
        LONGS.setRelease(map, OFF_PRODUCER_CLOSED, 1L);
    }

    void closeConsumer() {
        LONGS.setRelease(map, OFF_CONSUMER_CLOSED, 1L);
    }

    boolean producerClosed() {
        return (long) LONGS.getAcquire(map, OFF_PRODUCER_CLOSED) != 0;
    }

    boolean consumerClosed() {
        return (long) LONGS.getAcquire(map, OFF_CONSUMER_CLOSED) != 0;
    }

    /** Records an abort in the header unless one is there already (the first wins). */
    void abort(int culprit, String reason) {
        if (!LONGS.compareAndSet(map, OFF_ABORT_STATE, 0L, 1L)) {
            return;
        }
        byte[] text = reason.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(text.length, MAX_REASON_BYTES);
        map.putLong(OFF_ABORT_CULPRIT, culprit);
        map.putLong(OFF_ABORT_LENGTH, n);
        map.duplicate().position(OFF_ABORT_REASON).put(text, 0, n);
        LONGS.setRelease(map, OFF_ABORT_STATE, 2L);
    }

    /** The abort recorded in the header, or null; one being written right now reads as null until done. */
    Abort aborted() {
        if ((long) LONGS.getAcquire(map, OFF_ABORT_STATE) != 2L) {
            return null;
        }
        int n = (int) Math.min(MAX_REASON_BYTES, Math.max(0, map.getLong(OFF_ABORT_LENGTH)));
        byte[] text = new byte[n];
        map.duplicate().position(OFF_ABORT_REASON).get(text);
        return new Abort((int) map.getLong(OFF_ABORT_CULPRIT), new String(text, StandardCharsets.UTF_8));
    }

    record Abort(int culprit, String reason) {
    }

    /** Bytes a record of {@code payloadBytes} takes in the ring. */
    static int recordBytes(int payloadBytes) {
        return RECORD_HEADER + ((payloadBytes + ALIGN - 1) & -ALIGN);
    }

    // ---- producer side -------------------------------------------------------------------------

    /** Free bytes in the ring as the producer sees them. */
    long free(long head) {
        return capacity - (head - tail());
    }

    /**
     * Writes one record at {@code head} (which must have room for it) and publishes it.
     *
     * @return the new head
     */
    long write(long head, Tag tag, Object src, int srcOffset, int total, int fragmentOffset, int count) {
        DType dtype = Elements.dtype(src);
        int pos = writeHeader(head, tag, dtype, total, fragmentOffset, count);
        int bytes = count * Elements.byteSize(dtype);
        int at = (pos + RECORD_HEADER) & (capacity - 1);
        int firstPart = Math.min(bytes, capacity - at);
        int size = Elements.byteSize(dtype);
        int firstElements = firstPart / size;
        // A wrap never cuts an element: positions and capacity are multiples of 32, element sizes divide 32.
        Elements.write(src, srcOffset, firstElements, ring.duplicate().order(ByteOrder.LITTLE_ENDIAN).position(at));
        if (firstElements < count) {
            Elements.write(src, srcOffset + firstElements, count - firstElements,
                    ring.duplicate().order(ByteOrder.LITTLE_ENDIAN).position(0));
        }
        long next = head + recordBytes(bytes);
        LONGS.setVolatile(map, OFF_HEAD, next);
        return next;
    }

    /** Writes the header of a record at {@code head} (not yet published) and returns its ring position. */
    private int writeHeader(long head, Tag tag, DType dtype, int total, int fragmentOffset, int count) {
        int pos = (int) (head & (capacity - 1));
        ring.putLong(pos, tag.seq());
        ring.putInt(pos + 8, tag.chunk());
        ring.putInt(pos + 12, Elements.wireId(dtype));
        ring.putInt(pos + 16, total);
        ring.putInt(pos + 20, fragmentOffset);
        ring.putInt(pos + 24, count);
        ring.putInt(pos + 28, 0);
        return pos;
    }

    /**
     * Writes one record at {@code head} (which must have room for it) whose payload is
     * {@code acc[accOffset + i] (fold) in[i]}, {@code in} being {@code count} elements of the
     * record at {@code inTail} of {@code in}, starting at its element {@code inFrom}; publishes it
     * and returns the new head. Neither {@code acc} nor {@code in} changes (see
     * ShmTransport.receiveReduceSend).
     */
    long writeFolded(long head, Tag tag, int total, int fragmentOffset, Segment in, long inTail, int inFrom, int count,
                     Fold fold, Object acc, int accOffset) {
        DType dtype = Elements.dtype(acc);
        int size = Elements.byteSize(dtype);
        int pos = writeHeader(head, tag, dtype, total, fragmentOffset, count);
        int outAt = (pos + RECORD_HEADER) & (capacity - 1);
        int inAt = (in.payload(inTail) + inFrom * size) & (in.capacity - 1);
        for (int done = 0; done < count; ) {
            // Cut where either ring wraps (never inside an element: positions and capacities are multiples of 32).
            int k = Math.min(count - done, Math.min(capacity - outAt, in.capacity - inAt) / size);
            fold.foldTo(acc, accOffset + done, in.ring, inAt, ring, outAt, k);
            done += k;
            outAt = (outAt + k * size) & (capacity - 1);
            inAt = (inAt + k * size) & (in.capacity - 1);
        }
        long next = head + recordBytes(count * size);
        LONGS.setVolatile(map, OFF_HEAD, next);
        return next;
    }

    /** Like {@link #write} from a little-endian staging buffer holding {@code count} elements of {@code dtype} at its position. */
    long writeStaged(long head, Tag tag, DType dtype, ByteBuffer staged, int total, int fragmentOffset, int count) {
        int pos = writeHeader(head, tag, dtype, total, fragmentOffset, count);
        int bytes = count * Elements.byteSize(dtype);
        int at = (pos + RECORD_HEADER) & (capacity - 1);
        int firstPart = Math.min(bytes, capacity - at);
        ByteBuffer src = staged.duplicate();
        src.limit(src.position() + firstPart);
        ring.duplicate().position(at).put(src);
        if (firstPart < bytes) {
            src.limit(staged.position() + bytes).position(staged.position() + firstPart);
            ring.duplicate().position(0).put(src);
        }
        long next = head + recordBytes(bytes);
        LONGS.setVolatile(map, OFF_HEAD, next);
        return next;
    }

    // ---- consumer side -------------------------------------------------------------------------

    /** The header of the record at {@code tail} (the producer has published it). */
    RecordHeader header(long tail) {
        int pos = (int) (tail & (capacity - 1));
        return new RecordHeader(ring.getLong(pos), ring.getInt(pos + 8), ring.getInt(pos + 12), ring.getInt(pos + 16),
                ring.getInt(pos + 20), ring.getInt(pos + 24));
    }

    /**
     * Copies the payload of the record at {@code tail} into {@code dst[dstOffset, ...)}, hands its
     * space back to the producer and returns the new tail.
     */
    long read(long tail, RecordHeader h, Object dst, int dstOffset) {
        int pos = (int) (tail & (capacity - 1));
        int size = Elements.byteSize(Elements.dtype(dst));
        int bytes = h.count() * size;
        int at = (pos + RECORD_HEADER) & (capacity - 1);
        int firstElements = Math.min(bytes, capacity - at) / size;
        Elements.read(ring.duplicate().order(ByteOrder.LITTLE_ENDIAN).position(at), dst, dstOffset, firstElements);
        if (firstElements < h.count()) {
            Elements.read(ring.duplicate().order(ByteOrder.LITTLE_ENDIAN).position(0), dst, dstOffset + firstElements,
                    h.count() - firstElements);
        }
        long next = tail + recordBytes(bytes);
        LONGS.setVolatile(map, OFF_TAIL, next);
        return next;
    }

    /**
     * Like {@link #read}, but folds the payload into {@code dst[dstOffset, ...)} straight from the
     * mapped ring (no copy out), then hands its space back.
     */
    long readFold(long tail, RecordHeader h, Fold fold, Object dst, int dstOffset) {
        int pos = (int) (tail & (capacity - 1));
        int size = Elements.byteSize(Elements.dtype(dst));
        int bytes = h.count() * size;
        int at = (pos + RECORD_HEADER) & (capacity - 1);
        int firstElements = Math.min(bytes, capacity - at) / size;
        fold.fold(dst, dstOffset, ring, at, firstElements);
        if (firstElements < h.count()) {
            fold.fold(dst, dstOffset + firstElements, ring, 0, h.count() - firstElements);
        }
        long next = tail + recordBytes(bytes);
        LONGS.setVolatile(map, OFF_TAIL, next);
        return next;
    }

    /** Ring position of the payload of the record at {@code tail}. */
    private int payload(long tail) {
        return (int) (((tail & (capacity - 1)) + RECORD_HEADER) & (capacity - 1));
    }

    /**
     * Folds elements {@code [from, from + count)} of the record at {@code tail} into
     * {@code dst[dstOffset, ...)} without handing the record back (see {@link #release}).
     */
    void foldPart(long tail, int from, int count, Fold fold, Object dst, int dstOffset) {
        int size = Elements.byteSize(Elements.dtype(dst));
        int at = (payload(tail) + from * size) & (capacity - 1);
        int firstElements = Math.min(count, (capacity - at) / size);
        fold.fold(dst, dstOffset, ring, at, firstElements);
        if (firstElements < count) {
            fold.fold(dst, dstOffset + firstElements, ring, 0, count - firstElements);
        }
    }

    /** Hands the record at {@code tail}, of {@code h}'s size in {@code dtype}, back to the producer; returns the new tail. */
    long release(long tail, RecordHeader h, DType dtype) {
        long next = tail + recordBytes(h.count() * Elements.byteSize(dtype));
        LONGS.setVolatile(map, OFF_TAIL, next);
        return next;
    }

    /** Skips the record at {@code tail} without reading it (after a mismatch), returning the new tail. */
    long skip(long tail, RecordHeader h) {
        DType dtype;
        try {
            dtype = Elements.ofWireId((byte) h.dtypeId());
        } catch (IllegalArgumentException e) {
            return tail;
        }
        return tail + recordBytes(h.count() * Elements.byteSize(dtype));
    }

    /** Unmaps the file. Only when no thread can touch the mapping any more. */
    void unmap() {
        Unmapper.unmap(map);
    }

    record RecordHeader(long seq, int chunk, int dtypeId, int total, int offset, int count) {
    }

    @Override
    public String toString() {
        return "shm link rank " + from + " -> " + to + " (" + path + ")";
    }
}
