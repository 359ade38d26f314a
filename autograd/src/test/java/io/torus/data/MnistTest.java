package io.torus.data;

import io.torus.autograd.Tensor;
import io.torus.tensor.DType;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The IDX reader behind Mnist and FashionMnist, on tiny hand-written files and, when installed, the real Fashion-MNIST. */
class MnistTest {

    private static void writeIdx(Path dir, String prefix, int[][] images, int[] labels, boolean gz) throws Exception {
        String ext = gz ? ".gz" : "";
        try (DataOutputStream out = new DataOutputStream(open(dir.resolve(prefix + "-images-idx3-ubyte" + ext), gz))) {
            out.writeInt(0x803);
            out.writeInt(images.length);
            out.writeInt(1);
            out.writeInt(images[0].length);
            for (int[] im : images) {
                for (int p : im) {
                    out.writeByte(p);
                }
            }
        }
        try (DataOutputStream out = new DataOutputStream(open(dir.resolve(prefix + "-labels-idx1-ubyte" + ext), gz))) {
            out.writeInt(0x801);
            out.writeInt(labels.length);
            for (int l : labels) {
                out.writeByte(l);
            }
        }
    }

    private static OutputStream open(Path p, boolean gz) throws Exception {
        OutputStream o = Files.newOutputStream(p);
        return gz ? new GZIPOutputStream(o) : o;
    }

    @Test
    void load_readsPlainAndGzippedIdx(@TempDir Path dir) throws Exception {
        writeIdx(dir, "train", new int[][] {{0, 128, 255}, {1, 2, 3}}, new int[] {7, 9}, true);
        writeIdx(dir, "t10k", new int[][] {{255, 0, 51}}, new int[] {3}, false);
        TensorDataset raw = Mnist.loadRaw(dir, Mnist.Split.TRAIN);
        assertEquals(DType.INT32, raw.inputs().dtype());
        assertArrayEquals(new long[] {0, 128, 255, 1, 2, 3}, raw.inputs().toLongArray());
        assertArrayEquals(new long[] {7, 9}, raw.targets().toLongArray());
        TensorDataset test = Mnist.load(dir, Mnist.Split.TEST);
        assertArrayEquals(new int[] {1, 3}, test.inputs().shape());
        assertArrayEquals(new float[] {1f, 0f, 0.2f}, test.inputs().toFloatArray());
        assertArrayEquals(new long[] {3}, test.targets().toLongArray());
    }

    @Test
    void load_equalsToTensorOfRaw() {
        Path small = Path.of(System.getProperty("torus.project.root", "..")).resolve("testdata/mnist-small");
        Assumptions.assumeTrue(Files.isDirectory(small), "testdata/mnist-small not found at " + small.toAbsolutePath());
        TensorDataset scaled = Mnist.load(small, Mnist.Split.TEST);
        Tensor viaTransform = Mnist.loadRaw(small, Mnist.Split.TEST).transform(Transforms.toTensor()).inputs();
        assertArrayEquals(new int[] {500, 784}, scaled.inputs().shape());
        assertArrayEquals(scaled.inputs().toFloatArray(), viaTransform.toFloatArray());
    }

    @Test
    void load_missingFileNamesDirectoryAndHowToGetIt(@TempDir Path dir) {
        IllegalArgumentException m = assertThrows(IllegalArgumentException.class, () -> Mnist.load(dir, Mnist.Split.TRAIN));
        assertTrue(m.getMessage().contains("train-images-idx3-ubyte[.gz] not found in " + dir.toAbsolutePath())
                && m.getMessage().contains("fetch-mnist.sh"), m.getMessage());
        IllegalArgumentException f = assertThrows(IllegalArgumentException.class, () -> FashionMnist.load(dir, Mnist.Split.TEST));
        assertTrue(f.getMessage().startsWith("Fashion-MNIST file t10k-images") && f.getMessage().contains("dataset-fashion-mnist"),
                f.getMessage());
        assertEquals(false, FashionMnist.isInstalled(dir));
    }

    @Test
    void load_badMagicAndShortFileAreNamed(@TempDir Path dir) throws Exception {
        writeIdx(dir, "train", new int[][] {{1, 2}}, new int[] {1, 2}, false);
        IllegalArgumentException count = assertThrows(IllegalArgumentException.class, () -> Mnist.load(dir, Mnist.Split.TRAIN));
        assertTrue(count.getMessage().contains("with 1 labels") && count.getMessage().contains("2 labels"), count.getMessage());
        Path images = dir.resolve("train-images-idx3-ubyte");
        byte[] b = Files.readAllBytes(images);
        Files.write(images, java.util.Arrays.copyOf(b, b.length - 1));
        IllegalArgumentException shortFile = assertThrows(IllegalArgumentException.class, () -> Mnist.load(dir, Mnist.Split.TRAIN));
        assertTrue(shortFile.getMessage().contains(images.toString()) && shortFile.getMessage().contains("ends early"),
                shortFile.getMessage());
        b[3] = 0x01;
        Files.write(images, b);
        IllegalArgumentException magic = assertThrows(IllegalArgumentException.class, () -> Mnist.load(dir, Mnist.Split.TRAIN));
        assertTrue(magic.getMessage().contains("magic 801, expected 803"), magic.getMessage());
    }

    @Test
    void fashionMnist_testSplitFromTheDebianPackage() {
        Assumptions.assumeTrue(FashionMnist.isInstalled(FashionMnist.DEFAULT_DIR), "Fashion-MNIST is not installed in "
                + FashionMnist.DEFAULT_DIR + " (apt-get install dataset-fashion-mnist); skipping");
        TensorDataset test = FashionMnist.load(Mnist.Split.TEST);
        assertArrayEquals(new int[] {10000, 784}, test.inputs().shape());
        long[] counts = new long[10];
        for (long y : test.targets().toLongArray()) {
            counts[(int) y]++;
        }
        assertArrayEquals(new long[] {1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000}, counts);
        assertEquals("Ankle boot", FashionMnist.CLASSES.get((int) test.targets().toLongArray()[0]));
        // the first image's pixel bytes sum to 33456 (checked with numpy)
        TensorDataset raw = FashionMnist.loadRaw(FashionMnist.DEFAULT_DIR, Mnist.Split.TEST);
        assertEquals(33456, raw.inputs().select(0, 0).sum().item());
        assertArrayEquals(raw.transform(Transforms.toTensor()).inputs().toFloatArray(), test.inputs().toFloatArray());
    }
}
