package io.torus.spark;

import io.torus.comm.JobContext;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Properties;

/**
 * Test job: the estimator's training loop with a fault. Reads {@value #FAULT_FILE} from the
 * checkpoint directory ({@code epoch}, {@code rank}, {@code mode} = {@code throw} or {@code halt});
 * in attempt 0 that rank dies before that epoch: {@code throw} fails its task, {@code halt} ends
 * its whole executor JVM at once (only on a cluster: in {@code local[N]} the executor is the
 * driver). Every rank appends {@code attempt=A epoch=E rank=R} to {@code started.log} before each
 * epoch it starts.
 */
public class FaultyEstimatorJob extends EstimatorJob {
    static final String FAULT_FILE = "fault.properties";

    @Override
    protected void beforeEpoch(JobContext ctx, int epoch, int attempt) throws IOException {
        Path dir = Args.parse(ctx.args()).checkpointDir();
        Files.writeString(dir.resolve("started.log"), "attempt=" + attempt + " epoch=" + epoch + " rank=" + ctx.rank()
                + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        Properties fault = new Properties();
        try (var in = Files.newBufferedReader(dir.resolve(FAULT_FILE))) {
            fault.load(in);
        }
        if (attempt == 0 && epoch == Integer.parseInt(fault.getProperty("epoch"))
                && ctx.rank() == Integer.parseInt(fault.getProperty("rank"))) {
            if ("halt".equals(fault.getProperty("mode"))) {
                Runtime.getRuntime().halt(137);
            }
            throw new IllegalStateException("injected fault: rank " + ctx.rank() + " dies before epoch " + epoch);
        }
    }
}
