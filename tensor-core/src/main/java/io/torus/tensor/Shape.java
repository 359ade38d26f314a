package io.torus.tensor;

import java.util.Arrays;

/** Shape arithmetic shared by every backend: element counts, strides, broadcasting, dims. */
public final class Shape {
    private Shape() {
    }

    public static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    /** Row-major strides of a contiguous array of this shape. */
    public static int[] contiguousStrides(int[] shape) {
        int[] strides = new int[shape.length];
        int s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            strides[i] = s;
            s *= Math.max(shape[i], 1);
        }
        return strides;
    }

    /** The broadcast of two shapes by NumPy's rules, or an error naming both and the op. */
    public static int[] broadcast(int[] a, int[] b, String op) {
        int n = Math.max(a.length, b.length);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int da = i < n - a.length ? 1 : a[i - (n - a.length)];
            int db = i < n - b.length ? 1 : b[i - (n - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": shapes " + str(a) + " and " + str(b)
                        + " cannot be broadcast (dimension " + i + ": " + da + " vs " + db + ")");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /** Turns a possibly negative dim into 0..rank-1, or throws naming the op. */
    public static int normalizeDim(int dim, int rank, String op) {
        int r = Math.max(rank, 1);
        if (dim < -r || dim >= r) {
            throw new IllegalArgumentException(op + ": dim " + dim + " out of range for a tensor of rank "
                    + rank + " (expected " + (-r) + ".." + (r - 1) + ")");
        }
        return dim < 0 ? dim + r : dim;
    }

    /** Replaces a single -1 in {@code shape} by the size that makes it hold {@code numel} elements. */
    public static int[] inferSize(int[] shape, long numel, String op) {
        int[] out = shape.clone();
        int unknown = -1;
        long known = 1;
        for (int i = 0; i < out.length; i++) {
            if (out[i] == -1) {
                if (unknown >= 0) {
                    throw new IllegalArgumentException(op + ": only one dimension can be -1, got " + str(shape));
                }
                unknown = i;
            } else if (out[i] < 0) {
                throw new IllegalArgumentException(op + ": invalid size " + out[i] + " in " + str(shape));
            } else {
                known *= out[i];
            }
        }
        if (unknown >= 0) {
            if (known == 0 || numel % known != 0) {
                throw new IllegalArgumentException(op + ": shape " + str(shape) + " is invalid for input of size " + numel);
            }
            out[unknown] = (int) (numel / known);
        } else if (known != numel) {
            throw new IllegalArgumentException(op + ": shape " + str(shape) + " is invalid for input of size " + numel);
        }
        return out;
    }

    /**
     * The piece sizes of PyTorch's {@code chunk}: pieces of {@code ceil(size / chunks)}, the last
     * one possibly smaller, so there may be fewer than {@code chunks} pieces; a dim of size 0
     * gives {@code chunks} empty pieces.
     */
    public static int[] chunkSizes(int size, int chunks, String op) {
        if (chunks <= 0) {
            throw new IllegalArgumentException(op + ": number of chunks must be greater than 0, got " + chunks);
        }
        if (size == 0) {
            return new int[chunks];
        }
        return splitSizes(size, (int) ((size + (long) chunks - 1) / chunks), op);
    }

    /** The piece sizes of PyTorch's {@code split(splitSize)}: full pieces and a smaller last one. */
    public static int[] splitSizes(int size, int splitSize, String op) {
        if (splitSize < 0 || (splitSize == 0 && size != 0)) {
            throw new IllegalArgumentException(op + ": split size must be positive for a dimension of size " + size
                    + ", got " + splitSize);
        }
        int pieces = splitSize == 0 ? 1 : Math.max(1, (int) ((size + (long) splitSize - 1) / splitSize));
        int[] sizes = new int[pieces];
        for (int i = 0; i < pieces; i++) {
            sizes[i] = Math.min(splitSize, size - i * splitSize);
        }
        return sizes;
    }

    public static String str(int[] shape) {
        return Arrays.toString(shape);
    }
}
