package io.torus.comm;

import io.torus.autograd.Tensor;

import java.util.List;

/**
 * The workers of one job and the collectives they run together.
 *
 * <p>Contract: every rank issues the same collectives, on tensors of the same shape and dtype,
 * in the same order. Misuse example: rank 0 calls {@code allReduce(grad)} while rank 1 calls
 * {@code broadcast(weights, 0)} — both fail (or, in this skeleton, may hang until a peer dies).
 */
public interface ProcessGroup extends AutoCloseable {
    int rank();

    int worldSize();

    /** Combines {@code tensor} across all ranks in place. */
    default void allReduce(Tensor tensor, ReduceOp op) {
        allReduceAsync(tensor, op).await();
    }

    Work allReduceAsync(Tensor tensor, ReduceOp op);

    /** Copies {@code root}'s tensor into every other rank's tensor, in place. */
    void broadcast(Tensor tensor, int root);

    /** Returns every rank's tensor, in rank order. */
    List<Tensor> allGather(Tensor tensor);

    /** Returns when every rank has called it. */
    void barrier();

    @Override
    void close();

    /** Joins the job described by the launcher's {@code TORUS_*} environment variables. */
    static ProcessGroup fromEnv() {
        return ProcessGroups.join(WorkerEnv.fromEnvironment());
    }
}
