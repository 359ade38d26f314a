package io.torus.launcher;

import io.torus.launcher.bench.CommBench;
import io.torus.launcher.bench.TensorBenchConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code torus bench comm}: all-reduce bus bandwidth over shared memory and the Netty ring beside gloo (see {@link CommBench}). */
@Command(name = "comm", mixinStandardHelpOptions = true, versionProvider = TorusCli.Version.class,
        description = {"All-reduce bus bandwidth, 2 (N-1)/N x bytes / time, of N worker JVMs on 127.0.0.1",
            "beside PyTorch's gloo backend run as N processes in the same run. Goal: >= 2x gloo at >= 16 MiB."},
        footer = {"", "The gloo reference needs Debian's python3-torch (scripts/install-bench-reference.sh)."})
final class BenchCommCommand implements Callable<Integer> {

    @Option(names = "--ranks", split = ",", defaultValue = "2,3,4", description = "World sizes (default: ${DEFAULT-VALUE}).")
    int[] ranks;

    @Option(names = "--sizes", split = ",", defaultValue = "1,4,16,64,256", paramLabel = "MIB",
            description = "Tensor sizes in MiB (default: ${DEFAULT-VALUE}).")
    int[] sizes;

    @Option(names = "--iters", defaultValue = "10", description = "Timed iterations per size, at most (default: ${DEFAULT-VALUE}).")
    int iters;

    @Option(names = "--python", paramLabel = "PATH",
            description = "Python with torch (default: $TORUS_BENCH_PYTHON, else /usr/bin/python3).")
    String python;

    @Option(names = "--transports", split = ",", defaultValue = "shm,netty",
            description = "Torus transports to measure, each forced with torus.comm.transport (default: ${DEFAULT-VALUE}).")
    java.util.List<String> transports;

    @Option(names = "--no-reference", description = "Skip the gloo reference.")
    boolean noReference;

    @Override
    public Integer call() {
        Path script = noReference ? null : Path.of(System.getProperty("torus.home", "."), "scripts", "bench", "gloo_allreduce.py");
        return new CommBench(ranks, sizes, iters, python != null ? python : TensorBenchConfig.defaultPython(), script,
                transports).run(System.out);
    }
}
