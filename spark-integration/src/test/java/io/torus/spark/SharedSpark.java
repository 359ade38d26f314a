package io.torus.spark;

import org.apache.spark.sql.SparkSession;

/**
 * The one SparkSession of the test JVM (Spark allows one SparkContext per JVM; surefire runs all
 * test classes in one fork). Stopped by a shutdown hook.
 */
final class SharedSpark {
    private static SparkSession spark;

    private SharedSpark() {
    }

    static synchronized SparkSession get() {
        if (spark == null) {
            spark = SparkSession.builder()
                    .master("local[2]")
                    .appName("torus-spark-integration-tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1")
                    .config("spark.scheduler.barrier.maxConcurrentTasksCheck.interval", "1s")
                    .config("spark.scheduler.minRegisteredResourcesRatio", "1.0")
                    .config("spark.sql.shuffle.partitions", "4")
                    .getOrCreate();
            spark.sparkContext().setLogLevel("WARN");
            SparkSession s = spark;
            Runtime.getRuntime().addShutdownHook(new Thread(s::stop, "stop-shared-spark"));
        }
        return spark;
    }
}
