package io.torus.launcher;

import io.torus.launcher.bench.TensorBench;
import io.torus.launcher.bench.TensorBenchConfig;

import java.io.PrintWriter;

/**
 * What the CLI hands a validated configuration to. {@link #standard()} runs the agent, Spark and
 * the benchmarks; tests substitute their own to check parsing without starting anything.
 */
public interface Launcher {

    /** Runs this machine's workers of a {@code torus run}; returns the process exit status. */
    int run(LaunchConfig config) throws Exception;

    /** Runs a {@code torus spark-submit}; returns the process exit status. */
    int sparkSubmit(SparkSubmitConfig config) throws Exception;

    /** Runs {@code torus bench tensor}, report to {@code out}, progress to {@code err}; returns the exit status. */
    default int benchTensor(TensorBenchConfig config, PrintWriter out, PrintWriter err) {
        return new TensorBench(config, out, err).run();
    }

    static Launcher standard() {
        return new StandardLauncher();
    }
}
