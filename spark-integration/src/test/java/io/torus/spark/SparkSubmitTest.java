package io.torus.spark;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code SparkSubmit} end to end on {@code local[2]}: MNIST (the committed 2,000-image subset) and an MLP. */
class SparkSubmitTest {
    private static final Path MNIST_SMALL =
            Path.of(System.getProperty("torus.project.root", "..")).resolve("testdata/mnist-small");

    @TempDir
    Path run;

    @Test
    void submit_trainsAnMlpOnMnistSmall() throws IOException {
        SharedSpark.get();  // join the test JVM's one SparkSession instead of starting another
        long t0 = System.nanoTime();
        int status = SparkSubmit.run(new String[] {"--master", "local[2]", "--num-workers", "2", "--run-dir",
                run.toString(), "--data", MNIST_SMALL.toString(), MnistMlpJob.class.getName(),
                MNIST_SMALL.toString(), "3"});
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(0, status);

        double loss0 = Double.parseDouble(Files.readString(run.resolve("loss-epoch0.txt")));
        double loss2 = Double.parseDouble(Files.readString(run.resolve("loss-epoch2.txt")));
        double accuracy = Double.parseDouble(Files.readString(run.resolve("accuracy.txt")).trim());
        System.out.printf("submit_trainsAnMlpOnMnistSmall: %d ms, loss %.3f -> %.3f, test accuracy %.3f%n", ms,
                loss0, loss2, accuracy);
        assertTrue(loss2 < loss0, "loss went from " + loss0 + " to " + loss2);
        assertTrue(accuracy > 0.75, "test accuracy " + accuracy);
        assertEquals(Files.readString(run.resolve("params-rank0.txt")),
                Files.readString(run.resolve("params-rank1.txt")), "ranks ended with different weights");
        // The executors read MNIST's 2,000 rows from the IDX files, 784 pixels each.
        io.torus.spark.data.DataManifest manifest = io.torus.spark.data.DataManifest.read(run.resolve("data"));
        assertEquals(2000, manifest.totalRows());
        assertEquals(784, manifest.featureDim());
    }
}
