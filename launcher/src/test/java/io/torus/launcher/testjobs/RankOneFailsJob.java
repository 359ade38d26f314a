package io.torus.launcher.testjobs;

import io.torus.comm.JobContext;
import io.torus.comm.TrainingJob;
import io.torus.comm.WorkerEnv;

import java.util.concurrent.CountDownLatch;

/**
 * In every generation rank 1 fails in its constructor while rank 0 starts a {@code sleep} child
 * and blocks forever: only the agent can end rank 0, so restarts and their exhaustion are tested
 * with a worker that must be stopped each time. Rank 0 prints {@code ready pid=<pid>}.
 */
public class RankOneFailsJob implements TrainingJob {
    public RankOneFailsJob() throws Exception {
        WorkerEnv env = WorkerEnv.fromEnvironment();
        if (env.rank() == 1) {
            throw new IllegalStateException("planned failure of rank 1 in generation "
                    + System.getenv("TORUS_RESTART_COUNT"));
        }
        JobFiles.startSleepChild(env.runDir(), env.rank());
        System.out.println("ready pid=" + ProcessHandle.current().pid());
        System.out.flush();
        new CountDownLatch(1).await();
    }

    @Override
    public void run(JobContext ctx) {
        throw new AssertionError("unreachable");
    }
}
