package io.torus.launcher;

import io.torus.launcher.config.TorusConfig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A validated {@code torus spark-submit}: the job runs as one Spark barrier stage of
 * {@code numWorkers} tasks on {@code master}, with MNIST's training set (from {@code dataDir}) as
 * its hosted data.
 *
 * @param master     Spark master URL, e.g. local[2], local-cluster[2,1,1024], spark://host:7077
 * @param numWorkers data-parallel workers (barrier tasks), at least 1
 * @param runDir     absolute run directory
 * @param dataDir    directory of the MNIST IDX files, or null for spark-integration's default
 * @param conf       extra Spark settings, each KEY=VALUE
 * @param job        JOB as given
 * @param jobClass   the resolved class implementing {@code io.torus.comm.TrainingJob}
 * @param jobArgs    everything after JOB, verbatim
 */
public record SparkSubmitConfig(String master, int numWorkers, Path runDir, Path dataDir, List<String> conf,
                                String job, String jobClass, List<String> jobArgs) {

    public SparkSubmitConfig {
        if (master == null || master.isBlank() || master.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("--master '" + master
                    + "': expected a Spark master URL such as local[2] or spark://HOST:7077");
        }
        if (numWorkers < 1) {
            throw new IllegalArgumentException("--num-workers " + numWorkers + ": expected an integer >= 1");
        }
        if (runDir == null) {
            throw new IllegalArgumentException("--run-dir is missing: expected a directory");
        }
        runDir = runDir.toAbsolutePath().normalize();
        if (dataDir != null) {
            dataDir = dataDir.toAbsolutePath().normalize();
        }
        conf = List.copyOf(conf == null ? List.of() : conf);
        for (String kv : conf) {
            if (kv.indexOf('=') <= 0) {
                throw new IllegalArgumentException("--conf '" + kv + "': expected KEY=VALUE");
            }
        }
        if (job == null || job.isBlank()) {
            throw new IllegalArgumentException("JOB is missing: expected a built-in job name or a class name");
        }
        if (jobClass == null || jobClass.isBlank()) {
            throw new IllegalArgumentException("job '" + job + "': no job class resolved");
        }
        jobArgs = List.copyOf(jobArgs == null ? List.of() : jobArgs);
    }

    /**
     * Validates the flags, resolves JOB, picks the default run directory when {@code runDir} is
     * null and, when {@code dataDir} is null, takes {@code $TORUS_MNIST_DIR} if set.
     */
    public static SparkSubmitConfig of(String master, int numWorkers, Path runDir, Path dataDir, List<String> conf,
                                       String job, List<String> jobArgs, TorusConfig settings) {
        if (numWorkers < 1) {
            throw new IllegalArgumentException("--num-workers " + numWorkers + ": expected an integer >= 1");
        }
        String cls = BuiltinJobs.resolve(job, null);
        Path dir = runDir != null ? runDir : LaunchConfig.defaultRunDir(settings, BuiltinJobs.shortName(job) + "-spark");
        Path data = dataDir;
        if (data == null && System.getenv("TORUS_MNIST_DIR") != null) {
            data = Path.of(System.getenv("TORUS_MNIST_DIR"));
        }
        return new SparkSubmitConfig(master, numWorkers, dir, data, conf, job, cls, jobArgs);
    }

    /**
     * The arguments of {@code io.torus.spark.SparkSubmit}: {@code --master URL --num-workers N
     * --run-dir DIR [--data DIR] [--conf KEY=VALUE]... -- JOBCLASS [args]}.
     */
    public String[] toSparkSubmitArgs() {
        List<String> a = new ArrayList<>(List.of("--master", master, "--num-workers", Integer.toString(numWorkers),
                "--run-dir", runDir.toString()));
        if (dataDir != null) {
            a.addAll(List.of("--data", dataDir.toString()));
        }
        for (String kv : conf) {
            a.addAll(List.of("--conf", kv));
        }
        a.add("--");
        a.add(jobClass);
        a.addAll(jobArgs);
        return a.toArray(String[]::new);
    }
}
