package io.torus.spark;

import io.torus.autograd.Tensor;
import io.torus.comm.JobContext;
import io.torus.comm.ReduceOp;
import io.torus.comm.TrainingJob;

/** Test job: rank {@code args[0]} throws; the other ranks wait for it in an all-reduce. */
public class FailingJob implements TrainingJob {
    @Override
    public void run(JobContext ctx) {
        if (ctx.rank() == Integer.parseInt(ctx.args()[0])) {
            throw new IllegalStateException("deliberate failure on rank " + ctx.rank());
        }
        ctx.processGroup().allReduce(Tensor.of(new float[] {1}, 1), ReduceOp.SUM);
    }
}
