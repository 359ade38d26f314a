package io.torus.comm;

import java.nio.file.Path;
import java.util.Map;

/**
 * The worker environment contract: the variables the launcher sets for every worker process.
 *
 * @param rank          {@code TORUS_RANK}: this worker's global rank, 0..worldSize-1
 * @param worldSize     {@code TORUS_WORLD_SIZE}: number of workers in the job
 * @param localRank     {@code TORUS_LOCAL_RANK}: index among the workers on this machine
 * @param rdzvEndpoint  {@code TORUS_RDZV_ENDPOINT}: host:port of the rendezvous (rank 0's Hazelcast member)
 * @param jobId         {@code TORUS_JOB_ID}: unique id of the run, used as the Hazelcast cluster name
 * @param runDir        {@code TORUS_RUN_DIR}: directory shared by the workers on this machine
 * @param device        {@code TORUS_DEVICE}: "cpu" or "cuda:N" (default cpu)
 */
public record WorkerEnv(int rank, int worldSize, int localRank, String rdzvEndpoint, String jobId,
                        Path runDir, String device) {

    public static final String RANK = "TORUS_RANK";
    public static final String WORLD_SIZE = "TORUS_WORLD_SIZE";
    public static final String LOCAL_RANK = "TORUS_LOCAL_RANK";
    public static final String RDZV_ENDPOINT = "TORUS_RDZV_ENDPOINT";
    public static final String JOB_ID = "TORUS_JOB_ID";
    public static final String RUN_DIR = "TORUS_RUN_DIR";
    public static final String DEVICE = "TORUS_DEVICE";

    public WorkerEnv {
        if (worldSize < 1) {
            throw new IllegalArgumentException(WORLD_SIZE + "=" + worldSize + ": expected at least 1");
        }
        if (rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException(RANK + "=" + rank + ": expected 0.." + (worldSize - 1));
        }
        if (rdzvEndpoint == null || !rdzvEndpoint.matches("[^:]+:\\d+")) {
            throw new IllegalArgumentException(RDZV_ENDPOINT + "=" + rdzvEndpoint + ": expected HOST:PORT");
        }
    }

    public static WorkerEnv fromEnvironment() {
        return from(System.getenv());
    }

    public static WorkerEnv from(Map<String, String> env) {
        return new WorkerEnv(
                intVar(env, RANK, null),
                intVar(env, WORLD_SIZE, null),
                intVar(env, LOCAL_RANK, 0),
                env.get(RDZV_ENDPOINT),
                env.getOrDefault(JOB_ID, "torus-local"),
                Path.of(env.getOrDefault(RUN_DIR, ".")),
                env.getOrDefault(DEVICE, "cpu"));
    }

    /** The variables as a map, for starting a worker process. */
    public Map<String, String> toMap() {
        return Map.of(RANK, Integer.toString(rank), WORLD_SIZE, Integer.toString(worldSize),
                LOCAL_RANK, Integer.toString(localRank), RDZV_ENDPOINT, rdzvEndpoint, JOB_ID, jobId,
                RUN_DIR, runDir.toString(), DEVICE, device);
    }

    private static int intVar(Map<String, String> env, String key, Integer dflt) {
        String v = env.get(key);
        if (v == null) {
            if (dflt != null) {
                return dflt;
            }
            throw new IllegalArgumentException(key + " is not set: expected an integer (is this process started by `torus run`?)");
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + "=" + v + ": expected an integer");
        }
    }
}
