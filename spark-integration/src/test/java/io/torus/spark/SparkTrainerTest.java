package io.torus.spark;

import io.torus.tensor.Device;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.apache.spark.ml.functions.array_to_vector;
import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** End-to-end on {@code local[2]}: two ranks as one barrier stage, talking over the Netty ring. */
class SparkTrainerTest {
    private static final int ROWS = 103;
    private static final int WORKERS = 2;

    @TempDir
    Path work;

    /** Row i has features [i, 2i] (as doubles, to exercise the cast) and the int label i. */
    private static Dataset<Row> rows(SparkSession spark) {
        return spark.range(0, ROWS, 1, 5).select(
                array(col("id").cast("double"), col("id").multiply(2).cast("double")).as("x"),
                col("id").cast("int").as("y"));
    }

    @Test
    void run_everyRowOncePerEpochAndRanksAllReduce() throws IOException {
        SparkSession spark = SharedSpark.get();
        long t0 = System.nanoTime();
        SparkTrainer.run(spark, ShardRecordingJob.class, new String[] {"a", "b"}, WORKERS, rows(spark), "x", "y",
                work, 11);
        System.out.printf("run_everyRowOncePerEpochAndRanksAllReduce: SparkTrainer.run took %d ms%n",
                (System.nanoTime() - t0) / 1_000_000);
        checkEveryRowOncePerEpoch(work);
        for (int r = 0; r < WORKERS; r++) {
            assertEquals("worldSize=2 localRank=" + r + " totalRows=" + ROWS + " args=a,b device=" + Device.CPU,
                    Files.readString(work.resolve("done-rank" + r + ".txt")));
        }
        assertTrue(Files.exists(work.resolve("data").resolve("manifest.properties")));
    }

    /** The same with the features as a Spark ML vector column. */
    @Test
    void run_vectorFeatures_everyRowOncePerEpoch() throws IOException {
        SparkSession spark = SharedSpark.get();
        Dataset<Row> vectors = rows(spark).withColumn("x", array_to_vector(col("x")));
        SparkTrainer.run(spark, ShardRecordingJob.class, new String[0], WORKERS, vectors, "x", "y", work, 5);
        checkEveryRowOncePerEpoch(work);
    }

    /**
     * The property behind Note [Epoch shards], from what the ranks really read: in each of epochs
     * 0..2 the ranks' row ids are disjoint, cover all rows, differ in size by at most one, and the
     * assignment changes from one epoch to the next.
     */
    private static void checkEveryRowOncePerEpoch(Path work) throws IOException {
        List<List<Set<Long>>> byEpoch = new ArrayList<>();
        for (int epoch = 0; epoch < 3; epoch++) {
            Set<Long> all = new HashSet<>();
            List<Set<Long>> perRank = new ArrayList<>();
            int total = 0;
            for (int r = 0; r < WORKERS; r++) {
                List<String> lines = Files.readAllLines(work.resolve("ids-rank" + r + "-epoch" + epoch + ".txt"));
                assertTrue(lines.size() == ROWS / WORKERS || lines.size() == ROWS / WORKERS + 1,
                        "rank " + r + " epoch " + epoch + " has " + lines.size() + " rows");
                Set<Long> ids = new HashSet<>();
                lines.forEach(s -> ids.add(Long.parseLong(s)));
                perRank.add(ids);
                all.addAll(ids);
                total += lines.size();
            }
            assertEquals(ROWS, total, "rows read in epoch " + epoch);
            assertEquals(ROWS, all.size(), "distinct rows in epoch " + epoch);
            byEpoch.add(perRank);
        }
        assertNotEquals(byEpoch.get(0), byEpoch.get(1));
        assertNotEquals(byEpoch.get(1), byEpoch.get(2));
    }

    /** Rank 1 throws while rank 0 waits for it in an all-reduce; afterwards both task slots are free again. */
    @Test
    void run_failureNamesTheRankAndFreesTheSlots() {
        SparkSession spark = SharedSpark.get();
        long t0 = System.nanoTime();
        SparkTrainingException e = assertThrows(SparkTrainingException.class,
                () -> SparkTrainer.run(spark, FailingJob.class, new String[] {"1"}, WORKERS, work));
        System.out.printf("run_failureNamesTheRankAndFreesTheSlots: failed after %d ms: %s%n",
                (System.nanoTime() - t0) / 1_000_000, e.getMessage());
        assertEquals(1, e.rank());
        assertTrue(e.getMessage().contains("rank 1 of 2") && e.getMessage().contains("deliberate failure on rank 1"),
                e.getMessage());

        // Rank 0 was killed while blocked in a collective: the next run gets both slots.
        SparkTrainer.run(spark, AllReduceJob.class, new String[0], WORKERS, work);
    }

    @Test
    void run_nullFeaturesAreReportedBeforeTraining() {
        SparkSession spark = SharedSpark.get();
        Dataset<Row> withNull = rows(spark).withColumn("x", when(col("y").equalTo(7), lit(null)).otherwise(col("x")));
        SparkTrainingException e = assertThrows(SparkTrainingException.class, () -> SparkTrainer.run(spark,
                ShardRecordingJob.class, new String[0], WORKERS, withNull, "x", "y", work));
        assertEquals(-1, e.rank());
        assertTrue(e.getMessage().contains("materialising the training data")
                && e.getMessage().contains("features are null"), e.getMessage());
    }

    @Test
    void run_moreWorkersThanLocalSlotsFailsAtOnce() {
        SparkTrainingException e = assertThrows(SparkTrainingException.class,
                () -> SparkTrainer.run(SharedSpark.get(), AllReduceJob.class, new String[0], 3, work));
        assertTrue(e.getMessage().contains("numWorkers=3 but master local[2] runs only 2 tasks"), e.getMessage());
    }

    @Test
    void run_rejectsBadColumnsBeforeStarting() {
        SparkSession spark = SharedSpark.get();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SparkTrainer.run(spark,
                ShardRecordingJob.class, new String[0], WORKERS, rows(spark), "x", "nope", work));
        assertTrue(e.getMessage().contains("no label column 'nope'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SparkTrainer.run(spark, ShardRecordingJob.class,
                new String[0], WORKERS, rows(spark).withColumn("y", col("y").cast("double")), "x", "y", work));
        assertTrue(e.getMessage().contains("has type double: expected an integer type"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SparkTrainer.run(spark, ShardRecordingJob.class,
                new String[0], WORKERS, rows(spark), "y", "y", work));
        assertTrue(e.getMessage().contains("expected an array of numbers"), e.getMessage());
    }
}
