package io.torus.launcher.agent;

import io.torus.comm.JobContext;
import io.torus.comm.ProcessGroup;
import io.torus.comm.WorkerEnv;
import io.torus.tensor.Device;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The {@link JobContext} a worker started by {@code torus run} gives its job.
 *
 * <p>The worker starts joining the process group (the Hazelcast rendezvous, then the ring) in the
 * background before it calls the job, so that a job that first loads its data does both at once;
 * {@link #processGroup()} waits for the join and returns the joined group. Rank and world size
 * come from the environment ({@link WorkerEnv}), which is what the group is built from, so they
 * do not wait.
 */
final class WorkerJobContext implements JobContext {
    private final CompletableFuture<ProcessGroup> group;
    private final WorkerEnv env;
    private final String[] args;
    private final Device device;

    WorkerJobContext(CompletableFuture<ProcessGroup> group, WorkerEnv env, String[] args, Device device) {
        this.group = group;
        this.env = env;
        this.args = args.clone();
        this.device = device;
    }

    @Override
    public ProcessGroup processGroup() {
        try {
            return group.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException("rank " + env.rank() + ": joining the process group failed: " + e.getCause(),
                    e.getCause());
        }
    }

    @Override
    public int rank() {
        return env.rank();
    }

    @Override
    public int worldSize() {
        return env.worldSize();
    }

    @Override
    public int localRank() {
        return env.localRank();
    }

    @Override
    public String[] args() {
        return args.clone();
    }

    @Override
    public Path runDir() {
        return env.runDir();
    }

    @Override
    public Device device() {
        return device;
    }
}
