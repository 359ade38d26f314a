package io.torus.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Fashion-MNIST (Xiao, Rasul &amp; Vollgraf 2017, MIT licence): 28×28 grey images of ten kinds of
 * clothing in MNIST's IDX format and file names, 60,000 for training and 10,000 for testing.
 * Debian's {@code dataset-fashion-mnist} package installs the gzipped files in
 * {@link #DEFAULT_DIR}. Images become rows of 784 pixels, labels INT64 in 0..9 naming
 * {@link #CLASSES}.
 */
public final class FashionMnist {
    /** Where {@code apt-get install dataset-fashion-mnist} puts the files. */
    public static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");

    /** The class of each label value. */
    public static final List<String> CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
            "Sneaker", "Bag", "Ankle boot");

    private static final String HINT = "on Debian, apt-get install dataset-fashion-mnist puts the files in " + DEFAULT_DIR;

    private FashionMnist() {
    }

    /** Pixels as FLOAT32 in [0, 1] (the raw bytes through {@link Transforms#toTensor()}). */
    public static TensorDataset load(Path dir, Mnist.Split split) {
        return Idx.load("Fashion-MNIST", dir, split, false, HINT);
    }

    /** Pixels as INT32 in 0..255, for a {@link Transforms} pipeline starting with {@code toTensor()}. */
    public static TensorDataset loadRaw(Path dir, Mnist.Split split) {
        return Idx.load("Fashion-MNIST", dir, split, true, HINT);
    }

    /** {@link #load(Path, Mnist.Split)} from {@link #DEFAULT_DIR}. */
    public static TensorDataset load(Mnist.Split split) {
        return load(DEFAULT_DIR, split);
    }

    /** Whether the four files are in {@code dir}, plain or gzipped. */
    public static boolean isInstalled(Path dir) {
        for (Mnist.Split s : Mnist.Split.values()) {
            for (String kind : new String[] {"-images-idx3-ubyte", "-labels-idx1-ubyte"}) {
                String base = s.prefix() + kind;
                if (!Files.isRegularFile(dir.resolve(base)) && !Files.isRegularFile(dir.resolve(base + ".gz"))) {
                    return false;
                }
            }
        }
        return true;
    }
}
