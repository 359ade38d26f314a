package io.torus.launcher.testjobs;

/** Not a TrainingJob: resolution must refuse it. */
public class NotAJob {
}
