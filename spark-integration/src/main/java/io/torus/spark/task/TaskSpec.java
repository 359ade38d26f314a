package io.torus.spark.task;

import io.torus.spark.data.DataManifest;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Everything a rank's Spark task needs, shipped from the driver inside the task closure: strings
 * and numbers only (the job class travels by name and is loaded in the executor).
 *
 * @param jobClass      fully qualified name of the {@code TrainingJob}
 * @param jobArgs       the job's own arguments
 * @param numWorkers    the number of ranks (= barrier tasks)
 * @param runDir        the job's run directory, created by each rank if missing
 * @param device        {@code cpu} or {@code cuda:N}
 * @param bindHost      the address the rank's transport binds to; {@code null} for the executor's host
 * @param data          the materialised training data; {@code null} when the job loads its own
 * @param dataSeed      seeds the per-epoch shard assignment (Note [Epoch shards])
 * @param failureCloseDelayMillis how long a failed rank keeps its connections open, so that Spark
 *                      hears of its failure before its peers fail for the lack of it
 */
public record TaskSpec(String jobClass, String[] jobArgs, int numWorkers, String runDir, String device,
                       String bindHost, DataManifest data, long dataSeed, long failureCloseDelayMillis)
        implements Serializable {

    public TaskSpec {
        if (jobClass == null || jobClass.isBlank()) {
            throw new IllegalArgumentException("task spec: jobClass is empty, expected a class name");
        }
        if (numWorkers < 1) {
            throw new IllegalArgumentException("task spec: numWorkers=" + numWorkers + ", expected at least 1");
        }
        jobArgs = jobArgs == null ? new String[0] : jobArgs.clone();
    }

    @Override
    public String[] jobArgs() {
        return jobArgs.clone();
    }

    @Override
    public String toString() {
        return "TaskSpec[job=" + jobClass + " " + Arrays.toString(jobArgs) + ", numWorkers=" + numWorkers
                + ", runDir=" + runDir + ", device=" + device + ", bindHost=" + bindHost + ", data=" + data
                + ", dataSeed=" + dataSeed + "]";
    }
}
