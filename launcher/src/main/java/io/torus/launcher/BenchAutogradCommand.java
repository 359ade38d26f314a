package io.torus.launcher;

import io.torus.launcher.bench.AutogradBench;
import io.torus.launcher.bench.TensorBenchConfig;
import io.torus.launcher.bench.Timing;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** {@code torus bench autograd}: engine overhead per op beside PyTorch (see {@link AutogradBench}). */
@Command(name = "autograd", mixinStandardHelpOptions = true, versionProvider = TorusCli.Version.class,
        description = {"Times a chain of tiny autograd ops, forward + backward, in microseconds per op,",
            "beside PyTorch running the same chain in the same run (1 thread each), and reports",
            "the bytes Torus allocates per op. Goal: <= 1.0 us per op."},
        footer = {"", "The PyTorch reference needs Debian's python3-torch (scripts/install-bench-reference.sh)."})
final class BenchAutogradCommand implements Callable<Integer> {

    @Option(names = "--length", paramLabel = "N", defaultValue = "1000", description = "Ops in the chain (default: ${DEFAULT-VALUE}).")
    int length;

    @Option(names = "--quick", description = "3 samples of >= 20 ms instead of 15 of >= 100 ms.")
    boolean quick;

    @Option(names = "--python", paramLabel = "PATH",
            description = "Python with torch (default: $TORUS_BENCH_PYTHON, else /usr/bin/python3).")
    String python;

    @Override
    public Integer call() {
        Timing timing = quick ? new Timing(1, 3, 20_000_000L) : new Timing(3, 15, 100_000_000L);
        return new AutogradBench(length, timing, python != null ? python : TensorBenchConfig.defaultPython()).run(System.out);
    }
}
