package io.torus.launcher.bench;

import io.torus.autograd.Tensor;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Locale;

/**
 * {@code torus bench autograd}: the cost of the autograd engine itself. A chain of ops (multiply
 * by a constant, add the leaf, alternately) on a 4-element tensor that requires grad is recorded,
 * summed and backpropagated; with tensors this small the arithmetic is negligible and what is
 * timed is recording nodes, saving tensors, scheduling backward and accumulating gradients. The
 * same chain runs in PyTorch ({@code scripts/bench/torch_reference.py --autograd-chain}) in the
 * same run, 1 thread each. Also reported: bytes the JVM allocates per op (from
 * {@code ThreadMXBean.getThreadAllocatedBytes}), which drives garbage-collection cost.
 */
public final class AutogradBench {
    /** The goal: at most 1 µs per op. */
    public static final double GOAL_US_PER_OP = 1.0;

    private final int length;
    private final Timing timing;
    private final String python;

    public AutogradBench(int length, Timing timing, String python) {
        if (length < 2) {
            throw new IllegalArgumentException("autograd chain length " + length + ": expected >= 2");
        }
        this.length = length;
        this.timing = timing;
        this.python = python;
    }

    /** Ops in one chain: the recorded muls and adds plus the final sum. */
    int ops() {
        return 2 * (length / 2) + 1;
    }

    private void step(Tensor x, Tensor w) {
        x.setGrad(null);
        Tensor y = x;
        for (int i = 0; i < length / 2; i++) {
            y = y.mul(w).add(x);
        }
        y.sum().backward();
    }

    public int run(PrintStream out) {
        Tensor x = Tensor.of(1f, 2f, 3f, 4f).requiresGrad_(true);
        Tensor w = Tensor.full(new int[] {4}, 0.5);
        for (int i = 0; i < 200; i++) { // let the JIT compile the engine before timing
            step(x, w);
        }
        Timing.Result torus = timing.measure(() -> step(x, w));
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int calls = 50;
        long before = mx.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < calls; i++) {
            step(x, w);
        }
        double bytesPerOp = (mx.getCurrentThreadAllocatedBytes() - before) / (double) calls / ops();
        double torusUs = torus.medianNanos() / 1e3 / ops();

        String torchCell = "—";
        String ratioCell = "n/a";
        String note;
        try {
            TorchReference.Result r = TorchReference.create(python).run(List.of("--autograd-chain", Integer.toString(length),
                    "--warmup", Integer.toString(timing.warmup()), "--reps", Integer.toString(timing.reps()),
                    "--min-sample-ms", Double.toString(timing.minSampleNanos() / 1e6)), 300);
            TorchReference.Line line = r.lines().stream().filter(l -> l.kind().equals("autograd")).findFirst().orElse(null);
            if (line != null) {
                double torchUs = line.number("us_per_op");
                torchCell = String.format(Locale.ROOT, "%.3f", torchUs);
                ratioCell = String.format(Locale.ROOT, "%.1f×", torchUs / torusUs);
                note = "PyTorch: " + (r.env() != null ? "torch " + r.env().get("torch") : "torch") + ", 1 thread";
            } else {
                note = "PyTorch reference not available: " + r.error() + " (install: scripts/install-bench-reference.sh)";
            }
        } catch (java.io.IOException e) {
            note = "PyTorch reference not available: " + e.getMessage();
        }
        out.printf(Locale.ROOT, "autograd: chain of %d ops (mul, add alternately) on a FLOAT32 [4] tensor, forward + backward, 1 thread%n", ops());
        out.printf(Locale.ROOT, "  %-22s %-14s %-12s %s%n", "Torus us/op (goal <= 1)", "torch us/op", "torch/Torus", "Torus bytes allocated/op");
        out.printf(Locale.ROOT, "  %-22s %-14s %-12s %.0f%n", String.format(Locale.ROOT, "%.3f%s", torusUs,
                torusUs <= GOAL_US_PER_OP ? "" : " below goal"), torchCell, ratioCell, bytesPerOp);
        out.printf(Locale.ROOT, "  median of %d samples of %d chains each; %s%n", timing.reps(), torus.callsPerSample(), note);
        return 0;
    }
}
