package io.torus.launcher.testjobs;

import io.torus.comm.JobContext;
import io.torus.spark.EstimatorJob;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Test job: the estimator's training loop, whose rank 1 ends its own executor JVM
 * ({@code Runtime.halt}, no shutdown hooks, like a crash or {@code kill -9}) before epoch 1 of
 * attempt 0. Every rank appends {@code attempt=A epoch=E rank=R} to {@code started.log} in the
 * checkpoint directory before each epoch it starts.
 */
public class HaltingEstimatorJob extends EstimatorJob {
    @Override
    protected void beforeEpoch(JobContext ctx, int epoch, int attempt) throws IOException {
        Path dir = Args.parse(ctx.args()).checkpointDir();
        Files.writeString(dir.resolve("started.log"), "attempt=" + attempt + " epoch=" + epoch + " rank=" + ctx.rank()
                + " pid=" + ProcessHandle.current().pid() + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        if (attempt == 0 && epoch == 1 && ctx.rank() == 1) {
            Runtime.getRuntime().halt(137);
        }
    }
}
