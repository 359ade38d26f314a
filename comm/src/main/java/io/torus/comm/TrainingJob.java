package io.torus.comm;

/**
 * The unit of work that the launcher and Spark both run: one instance per worker, created
 * through its public no-arg constructor, with its process group already joined.
 *
 * <p>Contract: every rank calls the same collectives in the same order. A job that returns
 * normally on every rank makes the whole run succeed; an exception on any rank fails the run.
 */
public interface TrainingJob {
    void run(JobContext ctx) throws Exception;
}
