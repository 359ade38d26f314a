package io.torus.comm;

/** A collective in flight, returned by the asynchronous forms of {@link ProcessGroup}'s methods. */
public interface Work {
    /** Blocks until the collective has finished; rethrows its failure. */
    void await();

    boolean isDone();
}
