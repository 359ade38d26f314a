package io.torus.launcher.testjobs;

import io.torus.comm.JobContext;
import io.torus.comm.TrainingJob;

/** A TrainingJob without a public no-arg constructor: resolution must refuse it. */
public class NoDefaultConstructorJob implements TrainingJob {
    public NoDefaultConstructorJob(int unused) {
    }

    @Override
    public void run(JobContext ctx) {
    }
}
