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

    /**
     * Combines {@code tensor} across all ranks in place, element by element. Every dtype:
     * floating point as usual; INT64/INT32 SUM wraps on overflow and AVG truncates toward zero
     * (NCCL's integer ncclAvg; gloo has no AVG); BOOL SUM and MAX are "any", MIN "all", AVG is
     * rejected. Results are bit-identical on every rank.
     */
    default void allReduce(Tensor tensor, ReduceOp op) {
        allReduceAsync(tensor, op).await();
    }

    Work allReduceAsync(Tensor tensor, ReduceOp op);

    /**
     * Reduces {@code input} across all ranks and returns this rank's share: chunk {@code rank()} of
     * the flattened result, cut as {@code io.torus.comm.algo.ChunkPlan} cuts (the first
     * {@code numel % worldSize} ranks get one element more). If the first dimension divides by
     * the world size the chunk keeps the other dimensions ({@code [d0 / N, d1, ...]}), else it is
     * 1-D. {@code input} is not modified. Sends (N - 1)/N of the input per rank, half an all-reduce.
     */
    Tensor reduceScatter(Tensor input, ReduceOp op);

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
