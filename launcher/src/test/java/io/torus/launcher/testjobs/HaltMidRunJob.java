package io.torus.launcher.testjobs;

import io.torus.autograd.Tensor;
import io.torus.comm.JobContext;
import io.torus.comm.ReduceOp;
import io.torus.comm.TrainingJob;

import java.util.concurrent.CountDownLatch;

/**
 * Two ranks do one allReduce; then rank 1 halts with status 3 and rank 0 waits forever without
 * touching the group (so only the agent can end it). Before the allReduce rank 0 starts a
 * {@code sleep} child, so the agent's clean-up of descendants is exercised too. Writes
 * {@code rank-N.pid}, {@code child-0.pid} and, just before halting, {@code halt-millis}.
 */
public class HaltMidRunJob implements TrainingJob {
    @Override
    public void run(JobContext ctx) throws Exception {
        JobFiles.writePid(ctx.runDir(), ctx.rank());
        if (ctx.rank() == 0) {
            JobFiles.startSleepChild(ctx.runDir(), ctx.rank());
        }
        ctx.processGroup().allReduce(Tensor.of(new float[] {1f}, 1), ReduceOp.SUM);
        if (ctx.rank() == 1) {
            JobFiles.write(ctx.runDir().resolve("halt-millis"), Long.toString(System.currentTimeMillis()));
            System.out.println("halting now");
            System.out.flush();
            Runtime.getRuntime().halt(3);
        }
        System.out.println("waiting forever");
        new CountDownLatch(1).await();
    }
}
