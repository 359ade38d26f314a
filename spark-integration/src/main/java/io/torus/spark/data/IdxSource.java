package io.torus.spark.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads a row range of an MNIST-style IDX image/label file pair (plain or {@code .gz}) on an
 * executor, so that a DataFrame of MNIST is built where it is used instead of on the driver.
 *
 * <p>IDX layout (big-endian): magic {@code 0x00000803} (images) or {@code 0x00000801} (labels),
 * the item count, for images the row and column counts, then one unsigned byte per pixel or label.
 * A gzipped file is decompressed from its start up to the range (MNIST's 47 MB take well under a
 * second).
 */
public final class IdxSource {
    private static final int IMAGES = 0x803;
    private static final int LABELS = 0x801;

    private IdxSource() {
    }

    /** {@code base} or {@code base.gz} in {@code dir}, whichever exists. */
    public static Path file(Path dir, String base) {
        Path plain = dir.resolve(base);
        if (Files.isRegularFile(plain)) {
            return plain;
        }
        Path gz = dir.resolve(base + ".gz");
        if (Files.isRegularFile(gz)) {
            return gz;
        }
        throw new IllegalArgumentException("MNIST: neither " + plain + " nor " + gz + " exists");
    }

    /** The item count in the header of an IDX file. */
    public static int count(Path file) {
        try (DataInputStream in = open(file)) {
            in.readInt();
            return in.readInt();
        } catch (IOException e) {
            throw new UncheckedIOException("reading IDX header of " + file, e);
        }
    }

    /** Images {@code [from, to)}: one byte array of rows × cols pixels each. */
    public static byte[][] images(Path file, int from, int to) {
        try (DataInputStream in = open(file)) {
            int count = header(in, file, IMAGES, from, to);
            int size = in.readInt() * in.readInt();
            in.skipNBytes((long) from * size);
            byte[][] out = new byte[to - from][size];
            for (byte[] image : out) {
                in.readFully(image);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("reading images " + from + ".." + to + " of " + file, e);
        }
    }

    /** Labels {@code [from, to)}. */
    public static byte[] labels(Path file, int from, int to) {
        try (DataInputStream in = open(file)) {
            header(in, file, LABELS, from, to);
            in.skipNBytes(from);
            byte[] out = new byte[to - from];
            in.readFully(out);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("reading labels " + from + ".." + to + " of " + file, e);
        }
    }

    private static int header(DataInputStream in, Path file, int magic, int from, int to) throws IOException {
        int m = in.readInt();
        if (m != magic) {
            throw new IllegalStateException("IDX file " + file + ": magic 0x" + Integer.toHexString(m) + ", expected 0x"
                    + Integer.toHexString(magic));
        }
        int count = in.readInt();
        if (from < 0 || to < from || to > count) {
            throw new IllegalArgumentException("IDX file " + file + ": rows [" + from + ", " + to + ") requested, it has "
                    + count);
        }
        return count;
    }

    private static DataInputStream open(Path file) throws IOException {
        InputStream raw = Files.newInputStream(file);
        InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw;
        return new DataInputStream(new BufferedInputStream(in, 1 << 16));
    }
}
