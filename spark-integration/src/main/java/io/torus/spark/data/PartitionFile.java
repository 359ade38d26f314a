package io.torus.spark.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * One materialised DataFrame partition: the training rows in a compact binary file that a rank
 * can read any row range of without parsing the rest.
 *
 * <h2>Note [Partition file layout]</h2>
 * All numbers little-endian. Features and labels are stored as two column blocks, so a row range
 * is two contiguous reads.
 * <pre>
 *   offset            size          field
 *   0                 4             magic "TRP1"
 *   4                 4             int32  featureDim d (0 when the partition is empty)
 *   8                 8             int64  rows n
 *   16                4·n·d         float32 features, row-major [n, d]
 *   16 + 4·n·d        8·n           int64  labels [n]
 * </pre>
 * The writer streams the features and keeps the labels (8 bytes a row) in memory until the end,
 * then writes them and the header, into a temporary file that it renames into place, so a reader
 * never sees a half-written partition.
 */
public final class PartitionFile {
    static final int MAGIC = 0x31505254;  // "TRP1" read as a little-endian int32
    static final int HEADER_BYTES = 16;
    private static final int IO_CHUNK = 1 << 20;

    private PartitionFile() {
    }

    /** The file name of partition {@code partition} inside a data directory. */
    public static String fileName(int partition) {
        return String.format("part-%05d.bin", partition);
    }

    /** The header of a partition file. */
    public record Header(int featureDim, long rows) {
    }

    public static Header readHeader(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return readHeader(ch, file);
        } catch (IOException e) {
            throw new UncheckedIOException("reading partition file " + file, e);
        }
    }

    /**
     * Reads rows {@code [fromRow, toRow)} of {@code file}: their features into {@code features}
     * starting at element {@code featuresOffset}, their labels into {@code labels} at
     * {@code labelsOffset}.
     */
    public static void readRows(Path file, long fromRow, long toRow, float[] features, int featuresOffset,
                                long[] labels, int labelsOffset) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Header h = readHeader(ch, file);
            if (fromRow < 0 || toRow < fromRow || toRow > h.rows()) {
                throw new IllegalArgumentException("partition file " + file + ": rows [" + fromRow + ", " + toRow
                        + ") requested, the file has " + h.rows() + " rows");
            }
            long n = toRow - fromRow;
            int d = h.featureDim();
            readFloats(ch, HEADER_BYTES + 4L * d * fromRow, features, featuresOffset, Math.toIntExact(n * d), file);
            readLongs(ch, HEADER_BYTES + 4L * d * h.rows() + 8L * fromRow, labels, labelsOffset,
                    Math.toIntExact(n), file);
        } catch (IOException e) {
            throw new UncheckedIOException("reading partition file " + file, e);
        }
    }

    private static Header readHeader(FileChannel ch, Path file) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, b, 0, file);
        b.flip();
        int magic = b.getInt();
        int dim = b.getInt();
        long rows = b.getLong();
        if (magic != MAGIC) {
            throw new IllegalStateException("partition file " + file + ": bad magic 0x" + Integer.toHexString(magic)
                    + ", expected 0x" + Integer.toHexString(MAGIC) + " (not a Torus partition file)");
        }
        long expected = HEADER_BYTES + (4L * dim + 8L) * rows;
        if (dim < 0 || rows < 0 || ch.size() != expected) {
            throw new IllegalStateException("partition file " + file + ": header says " + rows + " rows of " + dim
                    + " features (" + expected + " bytes) but the file has " + ch.size() + " bytes (truncated?)");
        }
        return new Header(dim, rows);
    }

    private static void readFloats(FileChannel ch, long pos, float[] dst, int off, int count, Path file)
            throws IOException {
        ByteBuffer b = chunkBuffer(4L * count);
        while (count > 0) {
            int n = Math.min(count, b.capacity() / 4);
            b.clear().limit(4 * n);
            readFully(ch, b, pos, file);
            b.flip();
            b.asFloatBuffer().get(dst, off, n);
            pos += 4L * n;
            off += n;
            count -= n;
        }
    }

    private static void readLongs(FileChannel ch, long pos, long[] dst, int off, int count, Path file)
            throws IOException {
        ByteBuffer b = chunkBuffer(8L * count);
        while (count > 0) {
            int n = Math.min(count, b.capacity() / 8);
            b.clear().limit(8 * n);
            readFully(ch, b, pos, file);
            b.flip();
            b.asLongBuffer().get(dst, off, n);
            pos += 8L * n;
            off += n;
            count -= n;
        }
    }

    private static ByteBuffer chunkBuffer(long bytes) {
        return ByteBuffer.allocate((int) Math.max(8, Math.min(IO_CHUNK, bytes))).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long pos, Path file) throws IOException {
        while (b.hasRemaining()) {
            int r = ch.read(b, pos);
            if (r < 0) {
                throw new IllegalStateException("partition file " + file + ": unexpected end of file at byte " + pos);
            }
            pos += r;
        }
    }

    /** Opens a writer for partition {@code partition} in {@code dir}; call {@link Writer#commit()} to publish. */
    public static Writer writer(Path dir, int partition, String attemptTag) {
        return new Writer(dir.resolve(fileName(partition)),
                dir.resolve(fileName(partition) + ".tmp-" + attemptTag));
    }

    /** Streams rows into a partition file (see Note [Partition file layout]). Not thread-safe. */
    public static final class Writer implements AutoCloseable {
        private final Path target;
        private final Path temp;
        private final FileChannel ch;
        private final ByteBuffer buf = ByteBuffer.allocate(IO_CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        private long[] labels = new long[1024];
        private long rows;
        private int dim = -1;
        private boolean committed;

        private Writer(Path target, Path temp) {
            this.target = target;
            this.temp = temp;
            try {
                this.ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                        StandardOpenOption.WRITE);
                ch.position(HEADER_BYTES);
            } catch (IOException e) {
                throw new UncheckedIOException("creating partition file " + temp, e);
            }
        }

        /** Appends one row; every row of a file has the same number of features. */
        public void add(float[] features, long label) {
            if (dim < 0) {
                dim = features.length;
            } else if (features.length != dim) {
                throw new IllegalArgumentException("partition file " + target + ": row " + rows + " has "
                        + features.length + " features, expected " + dim + " like the rows before it");
            }
            for (float f : features) {
                if (buf.remaining() < 4) {
                    flush();
                }
                buf.putFloat(f);
            }
            if (rows == labels.length) {
                labels = Arrays.copyOf(labels, Math.toIntExact(Math.min(Integer.MAX_VALUE - 8, 2L * rows)));
            }
            labels[(int) rows++] = label;
        }

        public long rows() {
            return rows;
        }

        /** Features per row; 0 while no row has been added. */
        public int featureDim() {
            return Math.max(dim, 0);
        }

        /** Writes the labels and the header and moves the file into place. */
        public Path commit() {
            try {
                for (int i = 0; i < rows; i++) {
                    if (buf.remaining() < 8) {
                        flush();
                    }
                    buf.putLong(labels[i]);
                }
                flush();
                buf.putInt(MAGIC).putInt(featureDim()).putLong(rows).flip();
                while (buf.hasRemaining()) {
                    ch.write(buf, HEADER_BYTES - buf.remaining());
                }
                buf.clear();
                ch.force(false);
                ch.close();
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                committed = true;
                return target;
            } catch (IOException e) {
                throw new UncheckedIOException("writing partition file " + target, e);
            }
        }

        private void flush() {
            buf.flip();
            try {
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("writing partition file " + temp, e);
            }
            buf.clear();
        }

        /** Discards the temporary file unless {@link #commit()} succeeded. */
        @Override
        public void close() {
            if (!committed) {
                try {
                    ch.close();
                    Files.deleteIfExists(temp);
                } catch (IOException e) {
                    // best effort: the temporary name never collides with a published file
                }
            }
        }
    }
}
