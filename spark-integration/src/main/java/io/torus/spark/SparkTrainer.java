package io.torus.spark;

import io.torus.comm.TrainingJob;
import io.torus.spark.data.DataManifest;
import io.torus.spark.driver.BarrierLauncher;
import io.torus.spark.driver.DataMaterializer;
import io.torus.spark.task.RankReport;
import io.torus.spark.task.TaskSpec;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Runs a {@link TrainingJob} data-parallel on a Spark cluster: {@code numWorkers} ranks as the
 * tasks of one barrier stage, talking to each other over Torus's own Netty ring.
 *
 * <pre>{@code
 * SparkTrainer.run(spark, MyJob.class, new String[] {"--epochs", "3"}, 4,
 *         trainDf, "features", "label", Path.of("/shared/runs/mnist"));
 * // in MyJob.run(ctx): TensorDataset shard = ctx.hostedData().orElseThrow().shard(epoch);
 * }</pre>
 *
 * <p>Contract: the cluster must be able to run {@code numWorkers} tasks at once (a barrier stage
 * starts all or nothing); the job class must be on the executors' classpath; directories given
 * here must be reachable under the same path from the driver and every executor (any local path
 * in {@code local[N]}, a shared file system on a cluster). Keep one training run per
 * {@code SparkSession} at a time.
 *
 * <p>Hosted data: in every epoch each row goes to exactly one rank and shard sizes differ by at
 * most one row (Note [Epoch shards] in {@link io.torus.spark.data.ShardPlan}), so a job must not
 * derive its number of collectives from its own shard size: take the same number of steps on
 * every rank, e.g. {@code totalRows() / worldSize()} rows in full batches. In {@code local[N]} the
 * ranks are threads of one JVM and share global state such as {@code Tensor.manualSeed}: start
 * from rank 0's weights (as {@code DistributedDataParallel} does) rather than from a shared seed.
 *
 * <p>Settings read from the Spark conf: {@code spark.torus.bindHost} (address the ranks bind to;
 * default the executor's host), {@code spark.torus.device} (default {@code cpu}),
 * {@code spark.torus.data.seed} (default 0), {@code spark.torus.failureCloseDelay} (ms, default 500).
 */
public final class SparkTrainer {
    private static final Logger LOG = LoggerFactory.getLogger(SparkTrainer.class);

    /** Subdirectory of the work directory that holds the materialised training data. */
    public static final String DATA_DIR = "data";

    private SparkTrainer() {
    }

    /**
     * Runs {@code job} on {@code numWorkers} ranks; the job loads its own data. Its run directory
     * is a new temporary directory on the driver's machine (so only right for {@code local[N]}
     * and single-machine clusters; pass one with {@link #run(SparkSession, Class, String[], int, Path)}).
     *
     * @throws SparkTrainingException naming the failed rank when any rank's job throws
     */
    public static void run(SparkSession spark, Class<? extends TrainingJob> job, String[] jobArgs, int numWorkers) {
        Path runDir;
        try {
            runDir = Files.createTempDirectory("torus-spark-");
        } catch (IOException e) {
            throw new UncheckedIOException("creating a run directory", e);
        }
        run(spark, job, jobArgs, numWorkers, runDir);
    }

    /** Runs {@code job} on {@code numWorkers} ranks with {@code runDir} as its run directory. */
    public static void run(SparkSession spark, Class<? extends TrainingJob> job, String[] jobArgs, int numWorkers,
                           Path runDir) {
        launch(spark, spec(spark, job, jobArgs, numWorkers, runDir, null, 0L));
    }

    /**
     * Materialises {@code train} under {@code workDir}/{@value #DATA_DIR} (one file per partition,
     * written by the executors) and runs {@code job} on {@code numWorkers} ranks with
     * {@code workDir} as its run directory; each rank reads its shard of each epoch through
     * {@code ctx.hostedData()}. Seeded by {@code spark.torus.data.seed} (default 0).
     *
     * @param featuresCol an array-of-numbers column (cast to float)
     * @param labelCol    an integer column (cast to long)
     */
    public static void run(SparkSession spark, Class<? extends TrainingJob> job, String[] jobArgs, int numWorkers,
                           Dataset<Row> train, String featuresCol, String labelCol, Path workDir) {
        run(spark, job, jobArgs, numWorkers, train, featuresCol, labelCol, workDir,
                spark.sparkContext().getConf().getLong("spark.torus.data.seed", 0L));
    }

    /**
     * As {@link #run(SparkSession, Class, String[], int, Dataset, String, String, Path)}, with an
     * explicit seed for the per-epoch shard assignment.
     */
    public static void run(SparkSession spark, Class<? extends TrainingJob> job, String[] jobArgs, int numWorkers,
                           Dataset<Row> train, String featuresCol, String labelCol, Path workDir, long seed) {
        check(job, numWorkers);
        Path dataDir = workDir.toAbsolutePath().resolve(DATA_DIR);
        DataManifest manifest = DataMaterializer.materialize(train, featuresCol, labelCol, dataDir);
        if (manifest.totalRows() < numWorkers) {
            throw new IllegalArgumentException("training data has " + manifest.totalRows() + " rows, fewer than "
                    + "numWorkers=" + numWorkers + ": every rank needs at least one row");
        }
        if (manifest.numPartitions() < 2 * numWorkers) {
            LOG.warn("training data has {} partitions for {} ranks: ranks see the same rows every epoch unless "
                    + "there are several partitions per rank (repartition to at least {})",
                    manifest.numPartitions(), numWorkers, 2 * numWorkers);
        }
        launch(spark, spec(spark, job, jobArgs, numWorkers, workDir, manifest, seed));
    }

    private static TaskSpec spec(SparkSession spark, Class<? extends TrainingJob> job, String[] jobArgs,
                                 int numWorkers, Path runDir, DataManifest data, long seed) {
        check(job, numWorkers);
        return spec(spark, job.getName(), jobArgs, numWorkers, runDir, data, seed,
                spark.sparkContext().getConf().get("spark.torus.device", "cpu"));
    }

    private static TaskSpec spec(SparkSession spark, String jobClass, String[] jobArgs, int numWorkers, Path runDir,
                                 DataManifest data, long seed, String device) {
        SparkConf conf = spark.sparkContext().getConf();
        return new TaskSpec(jobClass, jobArgs, numWorkers, runDir.toAbsolutePath().toString(),
                device, conf.get("spark.torus.bindHost", null), data, seed,
                conf.getLong("spark.torus.failureCloseDelay", 500L));
    }

    private static void check(Class<? extends TrainingJob> job, int numWorkers) {
        if (numWorkers < 1) {
            throw new IllegalArgumentException("SparkTrainer.run: numWorkers=" + numWorkers + ", expected at least 1");
        }
        if (job == null || !TrainingJob.class.isAssignableFrom(job)) {
            throw new IllegalArgumentException("SparkTrainer.run: job " + job + " does not implement "
                    + TrainingJob.class.getName());
        }
    }

    /**
     * Runs {@code jobClass} on already materialised data, retrying the whole barrier stage up to
     * {@code maxRetries} times when it fails.
     *
     * <h2>Note [Stage retries]</h2>
     * A barrier stage fails as a whole: when one rank's task dies (its job throws, its executor
     * JVM exits, its machine goes away) Spark kills the others and fails the job, and it does not
     * retry a failed barrier result stage itself. So the driver does: attempt {@code a} (0 first)
     * runs the job with {@code argsForAttempt.apply(a)}; after a failure the next attempt starts a
     * fresh barrier stage (new tasks, new ring, possibly other executors) on the same data. Whether
     * it continues where the failed one stopped is the job's business: the estimator's job reloads
     * the last training checkpoint (Note [Epoch commit] in {@link EstimatorJob}). The failure of the
     * last attempt is thrown.
     *
     * @return the ranks' reports of the attempt that succeeded
     */
    public static List<RankReport> runWithRetries(SparkSession spark, String jobClass,
                                                  java.util.function.IntFunction<String[]> argsForAttempt,
                                                  int numWorkers, Path runDir, DataManifest data, long seed,
                                                  String device, int maxRetries) {
        if (maxRetries < 0) {
            throw new IllegalArgumentException("SparkTrainer: maxRetries=" + maxRetries + ", expected >= 0");
        }
        if (numWorkers < 1) {
            throw new IllegalArgumentException("SparkTrainer.run: numWorkers=" + numWorkers + ", expected at least 1");
        }
        for (int attempt = 0; ; attempt++) {
            TaskSpec spec = spec(spark, jobClass, argsForAttempt.apply(attempt), numWorkers, runDir, data, seed,
                    device);
            try {
                return launch(spark, spec);
            } catch (SparkTrainingException e) {
                if (attempt >= maxRetries) {
                    throw e;
                }
                LOG.warn("attempt {} of {}'s barrier stage failed, retrying ({} of {} retries left): {}", attempt,
                        jobClass, maxRetries - attempt, maxRetries, e.getMessage());
            }
        }
    }

    private static List<RankReport> launch(SparkSession spark, TaskSpec spec) {
        try {
            Files.createDirectories(Path.of(spec.runDir()));
        } catch (IOException e) {
            throw new UncheckedIOException("creating run directory " + spec.runDir(), e);
        }
        List<RankReport> reports = BarrierLauncher.launch(spark, spec);
        LOG.info("training run of {} on {} ranks succeeded; run directory {}", spec.jobClass(), reports.size(),
                spec.runDir());
        return reports;
    }
}
