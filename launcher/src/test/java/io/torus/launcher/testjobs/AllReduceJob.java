package io.torus.launcher.testjobs;

import io.torus.autograd.Tensor;
import io.torus.comm.JobContext;
import io.torus.comm.ReduceOp;
import io.torus.comm.TrainingJob;

import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;

/**
 * Each rank contributes {@code [r+1, 10(r+1)]}; after a SUM every rank must hold
 * {@code [S, 10S]} with {@code S = N(N+1)/2}. Writes its arguments to {@code rank-N.args}, one per line.
 */
public class AllReduceJob implements TrainingJob {
    @Override
    public void run(JobContext ctx) throws Exception {
        int r = ctx.rank();
        int n = ctx.worldSize();
        Files.write(ctx.runDir().resolve("rank-" + r + ".args"), List.of(ctx.args()));
        Tensor t = Tensor.of(new float[] {r + 1, 10f * (r + 1)}, 2);
        ctx.processGroup().allReduce(t, ReduceOp.SUM);
        float s = n * (n + 1) / 2f;
        float[] got = t.toFloatArray();
        if (got[0] != s || got[1] != 10 * s) {
            throw new IllegalStateException("allReduce: expected [" + s + ", " + 10 * s + "], got " + Arrays.toString(got));
        }
        System.out.println("allReduce ok " + Arrays.toString(got) + " on rank " + r + " of " + n
                + ", local rank " + ctx.localRank() + ", device " + ctx.device());
    }
}
