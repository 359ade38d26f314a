package io.torus.launcher.bench;

import io.torus.autograd.Tensor;
import io.torus.comm.ProcessGroup;
import io.torus.comm.ReduceOp;
import io.torus.tensor.NDArray;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;

/*
 * Note [Warm-up until the JIT is quiet]. HotSpot's C2 compiles a method only after thousands of
 * calls, so a method a training step calls once (the optimiser's step, the reducer's launch, the
 * all-reduce itself) was still being compiled after 1,500 warm-up steps: in `bench ddp` the C2
 * threads took 40 % of a core in each worker during the timed steps (per-thread CPU from /proc).
 * One process hides that on the idle second core; two ranks on two cores cannot, so the ratio
 * measured compilation rather than training. The same held for `bench comm`'s large sizes.
 *
 * So a benchmark worker, after its fixed minimum, runs blocks of work until one block in which the
 * JIT spent at most QUIET_MILLIS compiling. With a process group every rank takes the MAX of the
 * ranks' figures, so all ranks run the same blocks and issue the same collectives. At most
 * maxBlocks blocks: a JIT that never settles ends the warm-up anyway, and the caller says so.
 * PyTorch has no JIT, so the reference scripts keep their fixed warm-ups.
 */
final class JitWarmUp {
    static final long QUIET_MILLIS = 10;

    /**
     * @param blocks   blocks run after the minimum
     * @param jitMillis milliseconds the JIT (the slowest rank's) compiled during the last block
     */
    record Result(int blocks, long jitMillis) {
        boolean quiet() {
            return jitMillis <= QUIET_MILLIS;
        }

        @Override
        public String toString() {
            return blocks + " blocks after the minimum, the JIT compiled for " + jitMillis + " ms in the last"
                    + (quiet() ? "" : " (still busy: stopped at the cap)");
        }
    }

    private JitWarmUp() {
    }

    /** Runs {@code block} until the JIT is quiet, at most {@code maxBlocks} times; {@code group} may be null (one process). */
    static Result run(Runnable block, ProcessGroup group, int maxBlocks) {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        long compiled = Long.MAX_VALUE;
        int blocks = 0;
        while (blocks < maxBlocks && compiled > QUIET_MILLIS) {
            long before = jit.getTotalCompilationTime();
            block.run();
            blocks++;
            compiled = jit.getTotalCompilationTime() - before;
            if (group != null) {
                Tensor most = Tensor.wrap(NDArray.of(new double[] {compiled}, 1));
                group.allReduce(most, ReduceOp.MAX);
                compiled = (long) most.data().getDouble(0);
            }
        }
        return new Result(blocks, compiled);
    }
}
