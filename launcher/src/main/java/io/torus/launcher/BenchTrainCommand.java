package io.torus.launcher;

import io.torus.launcher.bench.TensorBenchConfig;
import io.torus.launcher.bench.Timing;
import io.torus.launcher.bench.TrainBench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code torus bench train}: training-step throughput beside PyTorch and a worker's peak heap (see {@link TrainBench}). */
@Command(name = "train", mixinStandardHelpOptions = true, versionProvider = TorusCli.Version.class,
        sortOptions = false,
        description = {"Times whole training steps beside PyTorch in the same run (1 thread each, same model,",
            "batch, SGD with momentum and cross-entropy, synthetic batches resident in memory), and",
            "measures a worker's heap while it trains MNIST.",
            "",
            "  mlp   784-256-128-10 MLP, samples/s at each batch size. Goal: >= 1.2x PyTorch.",
            "  cnn   LeNet-5, samples/s at each batch size. Goal: >= 1.0x PyTorch.",
            "  heap  the mnist-mlp job, one epoch of full MNIST in a worker JVM with",
            "        -Xmx512m: peak heap used and live. Goal: <= 512 MB.",
            ""},
        footer = {"", "The PyTorch reference needs Debian's python3-torch (scripts/install-bench-reference.sh).",
            "", "Examples:", "  torus bench train", "  torus bench train --quick --only mlp --batch-sizes 64"})
final class BenchTrainCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--quick", description = "1 round of 1 warm-up sample and the median of 3 samples of >= 200 ms.")
    boolean quick;

    @Option(names = "--rounds", paramLabel = "N",
            description = "Rounds of Torus then PyTorch; each side's best counts (default: 2, 1 with --quick).")
    Integer rounds;

    @Option(names = "--only", paramLabel = "SECTION", split = ",", description = "mlp, cnn or heap (default: all).")
    List<String> only = new ArrayList<>();

    @Option(names = "--batch-sizes", paramLabel = "B", split = ",", description = "Batch sizes (default: 64,256).")
    List<Integer> batchSizes = new ArrayList<>(List.of(64, 256));

    @Option(names = "--mnist", paramLabel = "DIR", description = "MNIST for the heap section (default: $TORUS_MNIST_DIR, else data/mnist).")
    Path mnist;

    @Option(names = "--no-reference", description = "Skip the PyTorch reference.")
    boolean noReference;

    @Option(names = "--python", paramLabel = "PATH",
            description = "Python with torch (default: $TORUS_BENCH_PYTHON, else /usr/bin/python3).")
    String python;

    @Override
    public Integer call() {
        TrainBench.Config config;
        try {
            Timing timing = quick ? new Timing(1, 3, 200_000_000L) : new Timing(2, 9, 500_000_000L);
            String env = System.getenv("TORUS_MNIST_DIR");
            Path dir = mnist != null ? mnist : env != null ? Path.of(env) : Path.of("data", "mnist");
            config = new TrainBench.Config(only.isEmpty() ? TrainBench.Config.ALL : only, batchSizes, timing,
                    rounds != null ? rounds : quick ? 1 : 2, !noReference,
                    python != null ? python : TensorBenchConfig.defaultPython(), dir);
        } catch (IllegalArgumentException e) {
            throw TorusCli.usage(spec, e);
        }
        return new TrainBench(config, spec.commandLine().getOut(), spec.commandLine().getErr()).run();
    }
}
