package io.torus.data;

import io.torus.autograd.Tensor;
import io.torus.tensor.NDArray;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * The IDX files of MNIST and Fashion-MNIST (unsigned-byte images, magic 0x803, and labels, magic
 * 0x801; big-endian counts), plain or gzipped: {@code PREFIX-images-idx3-ubyte[.gz]} and
 * {@code PREFIX-labels-idx1-ubyte[.gz]} with PREFIX {@code train} or {@code t10k}.
 */
final class Idx {
    private Idx() {
    }

    /**
     * The split's images as rows of {@code rows·cols} pixels and its labels as INT64, pixels
     * either raw (INT32 in 0..255) or scaled to FLOAT32 in [0, 1] (as {@link Transforms#toTensor()}).
     */
    static TensorDataset load(String dataset, Path dir, Mnist.Split split, boolean raw, String hint) {
        Path images = find(dataset, dir, split.prefix() + "-images-idx3-ubyte", hint);
        Path labels = find(dataset, dir, split.prefix() + "-labels-idx1-ubyte", hint);
        byte[] pix;
        int n;
        int pixels;
        try (DataInputStream im = open(images)) {
            int magic = im.readInt();
            if (magic != 0x00000803) {
                throw new IllegalArgumentException(images + ": not an IDX image file (magic " + Integer.toHexString(magic)
                        + ", expected 803)");
            }
            n = im.readInt();
            pixels = im.readInt() * im.readInt();
            pix = new byte[Math.multiplyExact(n, pixels)];
            im.readFully(pix);
        } catch (EOFException e) {
            throw new IllegalArgumentException(images + ": file ends early (truncated download?)", e);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + dataset + " images " + images + ": " + e.getMessage(), e);
        }
        byte[] lab;
        try (DataInputStream lb = open(labels)) {
            int magic = lb.readInt();
            int count = lb.readInt();
            if (magic != 0x00000801 || count != n) {
                throw new IllegalArgumentException(labels + ": expected an IDX label file (magic 801) with " + n
                        + " labels, got magic " + Integer.toHexString(magic) + " and " + count + " labels");
            }
            lab = new byte[n];
            lb.readFully(lab);
        } catch (EOFException e) {
            throw new IllegalArgumentException(labels + ": file ends early (truncated download?)", e);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + dataset + " labels " + labels + ": " + e.getMessage(), e);
        }
        long[] y = new long[n];
        for (int i = 0; i < n; i++) {
            y[i] = lab[i] & 0xFF;
        }
        NDArray x;
        if (raw) {
            int[] v = new int[pix.length];
            for (int i = 0; i < pix.length; i++) {
                v[i] = pix[i] & 0xFF;
            }
            x = NDArray.of(v, n, pixels);
        } else {
            float[] v = new float[pix.length];
            for (int i = 0; i < pix.length; i++) {
                v[i] = (pix[i] & 0xFF) / 255f;
            }
            x = NDArray.of(v, n, pixels);
        }
        return new TensorDataset(Tensor.wrap(x), Tensor.wrap(NDArray.of(y, n)));
    }

    private static Path find(String dataset, Path dir, String base, String hint) {
        for (String name : new String[] {base, base + ".gz"}) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new IllegalArgumentException(dataset + " file " + base + "[.gz] not found in " + dir.toAbsolutePath() + " (" + hint + ")");
    }

    private static DataInputStream open(Path p) throws IOException {
        InputStream in = new BufferedInputStream(Files.newInputStream(p), 1 << 16);
        return new DataInputStream(p.toString().endsWith(".gz") ? new GZIPInputStream(in, 1 << 16) : in);
    }
}
