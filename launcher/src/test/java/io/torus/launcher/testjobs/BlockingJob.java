package io.torus.launcher.testjobs;

import io.torus.comm.JobContext;
import io.torus.comm.TrainingJob;
import io.torus.comm.WorkerEnv;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Blocks forever in its constructor, which a worker calls before joining the process group: the
 * agent's failure handling can be tested without the comm layer. Writes {@code rank-N.pid}; rank
 * 0 also starts a {@code sleep} child ({@code child-0.pid}). Then prints
 * {@code ready pid=<pid>} and waits.
 */
public class BlockingJob implements TrainingJob {
    public BlockingJob() throws Exception {
        WorkerEnv env = WorkerEnv.fromEnvironment();
        Path dir = env.runDir();
        JobFiles.writePid(dir, env.rank());
        if (env.rank() == 0) {
            JobFiles.startSleepChild(dir, env.rank());
        }
        System.out.println("ready pid=" + ProcessHandle.current().pid());
        System.out.flush();
        new CountDownLatch(1).await();
    }

    @Override
    public void run(JobContext ctx) {
        throw new AssertionError("unreachable");
    }
}
