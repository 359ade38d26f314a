package io.torus.launcher.testjobs;

import io.torus.comm.JobContext;
import io.torus.comm.TrainingJob;

/** Throws from its constructor in the first attempt (TORUS_RESTART_COUNT=0); succeeds after a restart. */
public class FailOnceJob implements TrainingJob {
    public FailOnceJob() {
        if ("0".equals(System.getenv("TORUS_RESTART_COUNT"))) {
            throw new IllegalStateException("planned failure in the first attempt");
        }
    }

    @Override
    public void run(JobContext ctx) {
        System.out.println("second attempt ok on rank " + ctx.rank());
    }
}
