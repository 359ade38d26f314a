package io.torus.launcher.testjobs;

import io.torus.autograd.Tensor;
import io.torus.comm.JobContext;
import io.torus.comm.ReduceOp;
import io.torus.comm.TrainingJob;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * After a barrier, rank 1 reads a line from the FIFO {@code args[0]} (it blocks until the test
 * writes one) before it enters an all-reduce that the other ranks are already waiting in.
 */
public class HeldBackJob implements TrainingJob {
    @Override
    public void run(JobContext ctx) throws Exception {
        ctx.processGroup().barrier();
        if (ctx.rank() == 1) {
            System.out.println("rank 1 held back");
            System.out.flush();
            try (var in = Files.newBufferedReader(Path.of(ctx.args()[0]))) {
                System.out.println("rank 1 released: " + in.readLine());
            }
        }
        Tensor t = Tensor.ones(3000);
        ctx.processGroup().allReduce(t, ReduceOp.SUM);
        if (t.toFloatArray()[2999] != ctx.worldSize()) {
            throw new IllegalStateException("allReduce: expected " + ctx.worldSize() + ", got " + t.toFloatArray()[2999]);
        }
        System.out.println("held-back allReduce ok on rank " + ctx.rank());
    }
}
