package io.torus.spark;

import io.torus.autograd.Tensor;
import io.torus.comm.JobContext;
import io.torus.comm.ReduceOp;
import io.torus.comm.TrainingJob;

/** Test job: all-reduces {@code [rank]} and checks the sum {@code W(W-1)/2}; no hosted data needed. */
public class AllReduceJob implements TrainingJob {
    @Override
    public void run(JobContext ctx) {
        Tensor t = Tensor.of(new float[] {ctx.rank()}, 1);
        ctx.processGroup().allReduce(t, ReduceOp.SUM);
        int w = ctx.worldSize();
        if (t.toFloatArray()[0] != w * (w - 1) / 2f) {
            throw new IllegalStateException("allReduce gave " + t.toFloatArray()[0] + ", expected " + w * (w - 1) / 2);
        }
    }
}
