package io.torus.data;

import java.nio.file.Path;

/**
 * Reads the MNIST IDX files (LeCun &amp; Cortes, CC BY-SA 3.0), plain or gzipped, from a
 * directory holding {@code train-images-idx3-ubyte[.gz]}, {@code train-labels-idx1-ubyte[.gz]}
 * and the {@code t10k-} pair. Images become rows of 784 pixels, labels INT64 in 0..9.
 * {@link FashionMnist} reads the same format.
 */
public final class Mnist {
    public enum Split {
        TRAIN("train"), TEST("t10k");

        private final String prefix;

        Split(String prefix) {
            this.prefix = prefix;
        }

        /** The file name prefix: {@code train} or {@code t10k}. */
        public String prefix() {
            return prefix;
        }
    }

    private static final String HINT = "run scripts/fetch-mnist.sh to download it";

    private Mnist() {
    }

    /** Pixels as FLOAT32 in [0, 1] (the raw bytes through {@link Transforms#toTensor()}). */
    public static TensorDataset load(Path dir, Split split) {
        return Idx.load("MNIST", dir, split, false, HINT);
    }

    /** Pixels as INT32 in 0..255, for a {@link Transforms} pipeline starting with {@code toTensor()}. */
    public static TensorDataset loadRaw(Path dir, Split split) {
        return Idx.load("MNIST", dir, split, true, HINT);
    }
}
