package io.torus.spark.driver;

import io.torus.spark.SparkTrainingException;
import io.torus.spark.task.ControlCodec;
import io.torus.spark.task.RankFailure;
import io.torus.spark.task.RankReport;
import io.torus.spark.task.RankTask;
import io.torus.spark.task.TaskSpec;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.reflect.ClassTag$;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * Driver side of a training run: one Spark job whose single barrier stage has one task per rank
 * (Note [Spark ranks] in {@link RankTask}), and the translation of its failure into a
 * {@link SparkTrainingException} that names the failed rank.
 */
public final class BarrierLauncher {
    private static final Logger LOG = LoggerFactory.getLogger(BarrierLauncher.class);
    private static final Pattern LOCAL = Pattern.compile("local(?:\\[(\\*|\\d+)(?:,\\s*\\d+)?])?");

    /** How long a failed launch waits for its other tasks to end before it reports the failure. */
    static final long TASK_END_WAIT_MILLIS = 30_000;

    private BarrierLauncher() {
    }

    /** Runs {@code spec} on {@code spec.numWorkers()} barrier tasks; returns the ranks' reports in rank order. */
    public static List<RankReport> launch(SparkSession spark, TaskSpec spec) {
        SparkContext sc = spark.sparkContext();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(sc);
        int n = spec.numWorkers();
        int slots = localSlots(sc.master(), sc.getConf().getInt("spark.task.cpus", 1));
        if (slots >= 0 && n > slots) {
            // Spark would retry for spark.scheduler.barrier.maxConcurrentTasksCheck.maxFailures rounds first.
            throw new SparkTrainingException(-1, "Torus training run of " + spec.jobClass() + ": numWorkers=" + n
                    + " but master " + sc.master() + " runs only " + slots + " tasks at once; a barrier stage "
                    + "needs all its tasks running together (use local[" + n + "] or fewer workers)", null);
        }
        List<Integer> ranks = IntStream.range(0, n).boxed().toList();
        String description = "torus: " + spec.jobClass() + " on " + n + " ranks";
        String oldInterrupt = sc.getLocalProperty("spark.job.interruptOnCancel");
        String oldGroup = sc.getLocalProperty("spark.jobGroup.id");
        String group = "torus-" + java.util.UUID.randomUUID();
        sc.setLocalProperty("spark.jobGroup.id", group);
        sc.setJobDescription(description);
        // Killed ranks get their threads interrupted too (Spark otherwise only sets a flag).
        sc.setLocalProperty("spark.job.interruptOnCancel", "true");
        long t0 = System.nanoTime();
        try {
            List<RankReport> reports = new ArrayList<>();
            for (byte[] b : jsc.parallelize(ranks, n).rdd().barrier()
                    .mapPartitions(new RankTask(spec), false, ClassTag$.MODULE$.apply(byte[].class))
                    .toJavaRDD().collect()) {
                reports.add(ControlCodec.decode(b, RankReport.class));
            }
            reports.sort(Comparator.comparingInt(RankReport::rank));
            LOG.info("{} finished in {} ms: {}", description, (System.nanoTime() - t0) / 1_000_000, reports);
            return reports;
        } catch (Exception e) {  // a SparkException, which Scala throws without declaring it
            awaitTasksEnded(sc, group);
            throw translate(spec, e);
        } finally {
            sc.setJobDescription(null);
            sc.setLocalProperty("spark.job.interruptOnCancel", oldInterrupt);
            sc.setLocalProperty("spark.jobGroup.id", oldGroup);
        }
    }

    /**
     * After a failed stage, waits (at most {@link #TASK_END_WAIT_MILLIS}) until the other ranks'
     * tasks, which Spark is killing, have ended: the job then fails only once nothing of it still
     * writes into its checkpoint or data directories, so a caller may retry, clean up or read them.
     */
    private static void awaitTasksEnded(SparkContext sc, String group) {
        long deadline = System.nanoTime() + TASK_END_WAIT_MILLIS * 1_000_000L;
        var tracker = sc.statusTracker();
        while (System.nanoTime() < deadline) {
            boolean active = false;
            for (int job : tracker.getJobIdsForGroup(group)) {
                var info = tracker.getJobInfo(job);
                if (info.isEmpty()) {
                    continue;
                }
                for (int stage : info.get().stageIds()) {
                    var st = tracker.getStageInfo(stage);
                    active |= st.isDefined() && st.get().numActiveTasks() > 0;
                }
            }
            if (!active) {
                return;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        LOG.warn("a task of the failed Torus job group {} was still running {} ms after the failure", group,
                TASK_END_WAIT_MILLIS);
    }

    /**
     * How many tasks a {@code local}, {@code local[N]}, {@code local[*]} or {@code local[N,F]} master
     * runs at once; -1 for other masters (Spark checks those itself, after retrying a while).
     */
    static int localSlots(String master, int taskCpus) {
        Matcher m = LOCAL.matcher(master);
        if (!m.matches()) {
            return -1;
        }
        String threads = m.group(1);
        int cores = threads == null ? 1
                : threads.equals("*") ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(threads);
        return cores / Math.max(1, taskCpus);
    }

    /**
     * Spark reports a failed barrier task only as text ("Could not recover from a failed barrier
     * ResultStage ... RankFailure: Torus rank 1 of 2 failed in ..."): find the rank in it.
     */
    static SparkTrainingException translate(TaskSpec spec, Exception e) {
        String text = fullText(e);
        int rank = RankFailure.parseRank(text);
        String reason = rank >= 0 ? failureLine(text) : e.getMessage();
        if (text.contains("SPARK-24819")) {
            reason = "the cluster has fewer free task slots than numWorkers=" + spec.numWorkers()
                    + " (a barrier stage needs all its tasks running at once): " + e.getMessage();
        }
        String what = rank >= 0 ? "rank " + rank + " of " + spec.numWorkers() : "Spark";
        return new SparkTrainingException(rank, "Torus training run of " + spec.jobClass() + " failed on " + what
                + ": " + reason, e);
    }

    private static String fullText(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null && sb.length() < 1_000_000; t = t.getCause()) {
            sb.append(t).append('\n');
        }
        return sb.toString();
    }

    /** The line holding the rank's own message, without Spark's wrapping. */
    private static String failureLine(String text) {
        int i = text.indexOf("Torus rank ");
        int end = text.indexOf('\n', i);
        String line = text.substring(i, end < 0 ? text.length() : end);
        return line.length() > 2000 ? line.substring(0, 2000) + "..." : line;
    }
}
