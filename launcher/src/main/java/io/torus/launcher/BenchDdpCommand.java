package io.torus.launcher;

import io.torus.launcher.bench.DdpBench;
import io.torus.launcher.bench.TensorBenchConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code torus bench ddp}: DDP training throughput over one process, beside PyTorch DDP with gloo (see {@link DdpBench}). */
@Command(name = "ddp", mixinStandardHelpOptions = true, versionProvider = TorusCli.Version.class, sortOptions = false,
        description = {"Data-parallel training of the MLP 784-256-128-10 in N worker processes at batch B per rank",
            "against one process at batch B (samples/s ratio, goal >= 1.0x), and the communication time per",
            "step left exposed after overlap (DDP step minus the same step inside noSync), beside PyTorch",
            "DDP with gloo run the same way in the same run. 1 thread per process on both sides."},
        footer = {"", "The PyTorch reference needs Debian's python3-torch (scripts/install-bench-reference.sh)."})
final class BenchDdpCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--ranks", defaultValue = "2", description = "Worker processes (default: ${DEFAULT-VALUE}).")
    int ranks;

    @Option(names = "--batch", defaultValue = "64", description = "Batch size per rank (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--warmup", defaultValue = "1500", description = "Untimed steps first, at least (default: ${DEFAULT-VALUE}); Torus's workers then go on until their JIT is quiet.")
    int warmup;

    @Option(names = "--steps", defaultValue = "3000", description = "Timed steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--rounds", defaultValue = "1", description = "Rounds of every mode on both sides; each side's best counts (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--first-bucket-kib", defaultValue = "1024",
            description = "Torus DDP's first bucket, KiB (default: ${DEFAULT-VALUE}, as PyTorch's).")
    long firstBucketKib;

    @Option(names = "--bucket-kib", defaultValue = "25600", description = "Torus DDP's later buckets, KiB (default: ${DEFAULT-VALUE}).")
    long bucketKib;

    @Option(names = "--python", paramLabel = "PATH",
            description = "Python with torch (default: $TORUS_BENCH_PYTHON, else /usr/bin/python3).")
    String python;

    @Option(names = "--no-reference", description = "Skip the PyTorch reference.")
    boolean noReference;

    @Override
    public Integer call() {
        Path script = noReference ? null : Path.of(System.getProperty("torus.home", "."), "scripts", "bench", "ddp_mlp.py");
        DdpBench.Config config;
        try {
            config = new DdpBench.Config(ranks, batch, warmup, steps, rounds, firstBucketKib * 1024, bucketKib * 1024,
                    python != null ? python : TensorBenchConfig.defaultPython(), script);
        } catch (IllegalArgumentException e) {
            throw TorusCli.usage(spec, e);
        }
        return new DdpBench(config).run(System.out);
    }
}
