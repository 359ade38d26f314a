package io.torus.data;

import io.torus.autograd.Tensor;
import io.torus.tensor.NDArray;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads the MNIST IDX files (LeCun &amp; Cortes, CC BY-SA 3.0), plain or gzipped. Images become
 * FLOAT32 rows of 784 values in [0, 1]; labels INT64.
 */
public final class Mnist {
    public enum Split {
        TRAIN("train"), TEST("t10k");

        private final String prefix;

        Split(String prefix) {
            this.prefix = prefix;
        }
    }

    private Mnist() {
    }

    public static TensorDataset load(Path dir, Split split) {
        Path images = find(dir, split.prefix + "-images-idx3-ubyte");
        Path labels = find(dir, split.prefix + "-labels-idx1-ubyte");
        try (DataInputStream im = open(images); DataInputStream lb = open(labels)) {
            int magic = im.readInt();
            if (magic != 0x00000803) {
                throw new IllegalArgumentException(images + ": not an IDX image file (magic " + Integer.toHexString(magic) + ", expected 803)");
            }
            int n = im.readInt();
            int rows = im.readInt();
            int cols = im.readInt();
            int lmagic = lb.readInt();
            int ln = lb.readInt();
            if (lmagic != 0x00000801 || ln != n) {
                throw new IllegalArgumentException(labels + ": expected an IDX label file with " + n + " labels, got magic "
                        + Integer.toHexString(lmagic) + " and " + ln + " labels");
            }
            byte[] pix = new byte[n * rows * cols];
            im.readFully(pix);
            byte[] lab = new byte[n];
            lb.readFully(lab);
            float[] x = new float[pix.length];
            for (int i = 0; i < pix.length; i++) {
                x[i] = (pix[i] & 0xFF) / 255f;
            }
            long[] y = new long[n];
            for (int i = 0; i < n; i++) {
                y[i] = lab[i];
            }
            return new TensorDataset(Tensor.wrap(NDArray.of(x, n, rows * cols)), Tensor.wrap(NDArray.of(y, n)));
        } catch (IOException e) {
            throw new UncheckedIOException("reading MNIST from " + dir + ": " + e.getMessage(), e);
        }
    }

    private static Path find(Path dir, String base) {
        for (String name : new String[] {base, base + ".gz"}) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new IllegalArgumentException("MNIST file " + base + "[.gz] not found in " + dir.toAbsolutePath()
                + " (run scripts/fetch-mnist.sh to download it)");
    }

    private static DataInputStream open(Path p) throws IOException {
        InputStream in = new BufferedInputStream(Files.newInputStream(p), 1 << 16);
        return new DataInputStream(p.toString().endsWith(".gz") ? new GZIPInputStream(in, 1 << 16) : in);
    }
}
