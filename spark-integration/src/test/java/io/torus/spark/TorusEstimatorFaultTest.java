package io.torus.spark;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A rank dies mid-training: the barrier stage is retried and resumes from the last epoch checkpoint. */
class TorusEstimatorFaultTest {
    private static final Pattern COMMITTED = Pattern.compile("attempt=(\\d+) epoch=(\\d+) committed");

    @TempDir
    Path ck;

    private static Dataset<Row> arrays(SparkSession spark) {
        Dataset<Row> blobs = TorusEstimatorTest.blobs(spark, 240, 3);
        return blobs.select(array(col("x0"), col("x1"), col("x2"), col("x3")).as("features"), col("label"));
    }

    private TorusEstimator estimator(int retries) throws IOException {
        Files.writeString(ck.resolve(FaultyEstimatorJob.FAULT_FILE), "epoch=2\nrank=1\nmode=throw\n");
        return new TorusEstimator().setJobClass(FaultyEstimatorJob.class.getName()).setModel("mlp:4-8-3")
                .setEpochs(4).setBatchSize(8).setCheckpointDir(ck.toString()).setMaxRetries(retries);
    }

    @Test
    void fit_rankDiesInEpoch2_retriesAndResumesWithoutRepeatingOrSkippingEpochs() throws IOException {
        TorusModel model = estimator(2).fit(arrays(SharedSpark.get()));

        List<String> committed = Files.readAllLines(ck.resolve(EstimatorJob.EPOCH_LOG));
        List<String> started = Files.readAllLines(ck.resolve("started.log"));
        System.out.println("fault test, epochs committed:\n  " + String.join("\n  ", committed));
        System.out.println("fault test, epochs started:\n  " + String.join("\n  ", started.stream().sorted().toList()));
        assertEquals(4, committed.size(), "one commit per epoch: " + committed);
        for (int e = 0; e < 4; e++) {
            Matcher m = COMMITTED.matcher(committed.get(e));
            assertTrue(m.find(), committed.get(e));
            assertEquals(e, Integer.parseInt(m.group(2)), "epochs in order, none repeated or skipped: " + committed);
            assertEquals(e < 2 ? 0 : 1, Integer.parseInt(m.group(1)), "epoch " + e + " committed by attempt");
        }
        // Attempt 1 started at epoch 2 on both ranks: epochs 0 and 1 were not trained again.
        assertTrue(started.containsAll(List.of("attempt=1 epoch=2 rank=0", "attempt=1 epoch=2 rank=1",
                "attempt=1 epoch=3 rank=0", "attempt=1 epoch=3 rank=1")), started.toString());
        assertTrue(started.stream().noneMatch(s -> s.matches("attempt=1 epoch=[01] .*")), started.toString());
        assertEquals(4, model.weights().entries().size());
    }

    @Test
    void fit_noRetriesLeft_failsNamingTheRank() throws IOException {
        SparkTrainingException e = assertThrows(SparkTrainingException.class,
                () -> estimator(0).fit(arrays(SharedSpark.get())));
        assertEquals(1, e.rank());
        assertTrue(e.getMessage().contains("injected fault: rank 1 dies before epoch 2"), e.getMessage());
    }
}
