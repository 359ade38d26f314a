package io.torus.launcher;

import io.torus.launcher.testjobs.HaltingEstimatorJob;
import io.torus.spark.SparkSubmit;
import io.torus.spark.TorusEstimator;
import io.torus.spark.TorusModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.nio.file.Path;

import static org.apache.spark.sql.functions.col;

/**
 * Test driver for {@link SparkClusterTest}: {@code MASTER CHECKPOINT_DIR MNIST_DIR}. Fits a
 * {@link TorusEstimator} on the cluster with {@link HaltingEstimatorJob} (an executor JVM dies in
 * epoch 1 of the first attempt) and prints the fitted model's training accuracy.
 */
public final class SparkFaultDriver {
    private SparkFaultDriver() {
    }

    public static void main(String[] args) {
        SparkSession spark = SparkSession.builder().master(args[0]).appName("torus fault test")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.scheduler.barrier.maxConcurrentTasksCheck.interval", "1s")
                .config("spark.scheduler.minRegisteredResourcesRatio", "1.0")
                .config("spark.executor.cores", "1")
                .getOrCreate();
        try {
            Dataset<Row> train = SparkSubmit.mnistFrame(spark, Path.of(args[2]), 8);
            TorusModel model = new TorusEstimator().setJobClass(HaltingEstimatorJob.class.getName())
                    .setModel("mlp:784-32-10").setEpochs(3).setBatchSize(32).setNumWorkers(2)
                    .setCheckpointDir(args[1]).setMaxRetries(2).fit(train);
            Dataset<Row> scored = model.transform(train);
            double accuracy = scored.filter(col("label").cast("double").equalTo(col("prediction"))).count()
                    / (double) scored.count();
            System.out.printf("fault driver: fitted, training accuracy %.3f%n", accuracy);
        } finally {
            spark.stop();
        }
    }
}
