package io.torus.launcher;

import io.torus.launcher.bench.TensorBenchConfig;
import io.torus.launcher.bench.TensorBenchConfig.Section;
import io.torus.launcher.bench.Timing;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code torus bench tensor}: CPU kernels vs native BLAS, a memory copy and PyTorch (see {@link io.torus.launcher.bench.TensorBench}). */
@Command(name = "tensor", mixinStandardHelpOptions = true, versionProvider = TorusCli.Version.class,
        sortOptions = false,
        description = {"Benchmarks tensor-core's CPU kernels on 1 thread against references measured in the same run.",
            "",
            "  sgemm        NDArray.matmul into an existing output vs OpenBLAS called",
            "               directly (off-heap) and torch.mm(out=), n = 256..2048;",
            "               GFLOP/s and the ratio to the CPU's peak (derivation",
            "               printed). Goal: >= 0.95x best. Also the allocating",
            "               matmul beside the allocating torch.mm.",
            "  elementwise  add, mul, sum on 64 MiB FLOAT32; GB/s (read + written)",
            "               vs System.arraycopy of 64 MiB. Goal: >= 0.70x.",
            "  conv         LeNet conv layers 1-2, forward + backward, batch 64,",
            "               vs PyTorch. Goal: >= 1.00x (at least as fast).",
            ""},
        footer = {"",
            "The PyTorch reference is Debian's python3-torch with libopenblas0-openmp",
            "(install: scripts/install-bench-reference.sh, needs root), run as a",
            "subprocess (scripts/bench/torch_reference.py) with 1 thread and the JVM's",
            "OPENBLAS_CORETYPE, set or unset alike. Without it the torch columns show '—'.",
            "",
            "Timing: warm-up samples, then the median of timed samples (System.nanoTime);",
            "each sample repeats the call until it lasts --min-sample-ms. A full run takes",
            "1-2 minutes, --quick under 30 s. Progress goes to stderr, the report to",
            "stdout. Exit status 0 unless a section failed to run: goals are reported,",
            "not enforced.",
            "",
            "Examples:",
            "  torus bench tensor --quick",
            "  torus bench tensor --only sgemm --sizes 1024,2048",
            "  OPENBLAS_CORETYPE=Haswell torus bench tensor --only sgemm   # AVX2 both sides"})
final class BenchTensorCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--quick", description = "Short run (< 30 s): 1 warm-up sample, median of 3 samples of >= 20 ms.")
    boolean quick;

    @Option(names = "--only", paramLabel = "SECTION", split = ",",
            description = "sgemm, elementwise or conv; comma-separated or repeated (default: all).")
    List<String> only = new ArrayList<>();

    @Option(names = "--iterations", paramLabel = "N",
            description = "Timed samples per measurement, the median is reported (default: 15, 3 with --quick).")
    Integer iterations;

    @Option(names = "--warmup", paramLabel = "N",
            description = "Untimed warm-up samples per measurement (default: 3, 1 with --quick).")
    Integer warmup;

    @Option(names = "--min-sample-ms", paramLabel = "MS",
            description = "Shortest timed sample; short calls are repeated until a sample lasts this long "
                    + "(default: 100, 20 with --quick).")
    Integer minSampleMs;

    @Option(names = "--sizes", paramLabel = "N", split = ",",
            description = "n of the n x n sgemm rows (default: 256,512,1024,2048).")
    List<Integer> sizes = new ArrayList<>();

    @Option(names = "--conv-batch", paramLabel = "B", description = "Images per conv batch (default: 64).")
    int convBatch = TensorBenchConfig.DEFAULT_CONV_BATCH;

    @Option(names = "--no-reference", description = "Skip the PyTorch reference.")
    boolean noReference;

    @Option(names = "--python", paramLabel = "PATH",
            description = "Python with torch (default: $TORUS_BENCH_PYTHON, else /usr/bin/python3, where Debian's "
                    + "python3-torch lives).")
    String python;

    @Option(names = "--install-reference",
            description = "When torch is missing, run scripts/install-bench-reference.sh first (apt-get; needs root).")
    boolean installReference;

    @Option(names = "--ghz", paramLabel = "GHZ",
            description = "Clock for the peak FLOP/s (default: measured; see the printed derivation).")
    Double ghz;

    @Option(names = "--flops-per-cycle", paramLabel = "N",
            description = "FLOAT32 FLOPs per cycle per core for the peak (default: derived from the CPU model and flags).")
    Integer flopsPerCycle;

    private final Launcher launcher;

    BenchTensorCommand(Launcher launcher) {
        this.launcher = launcher;
    }

    @Override
    public Integer call() throws Exception {
        TensorBenchConfig config;
        try {
            config = config();
        } catch (IllegalArgumentException e) {
            throw TorusCli.usage(spec, e);
        }
        return launcher.benchTensor(config, spec.commandLine().getOut(), spec.commandLine().getErr());
    }

    TensorBenchConfig config() {
        EnumSet<Section> sections = EnumSet.noneOf(Section.class);
        for (String s : only) {
            sections.add(Section.parse(s));
        }
        if (only.isEmpty()) {
            sections = EnumSet.allOf(Section.class);
        }
        if (iterations != null && iterations < 1) {
            throw new IllegalArgumentException("--iterations " + iterations + ": expected at least 1 timed sample");
        }
        if (warmup != null && warmup < 0) {
            throw new IllegalArgumentException("--warmup " + warmup + ": expected 0 or more warm-up samples");
        }
        if (minSampleMs != null && minSampleMs < 0) {
            throw new IllegalArgumentException("--min-sample-ms " + minSampleMs + ": expected 0 or more milliseconds");
        }
        Timing base = quick ? TensorBenchConfig.quickTiming() : TensorBenchConfig.fullTiming();
        Timing timing = new Timing(warmup != null ? warmup : base.warmup(), iterations != null ? iterations : base.reps(),
                minSampleMs != null ? minSampleMs * 1_000_000L : base.minSampleNanos());
        String py = python != null ? python : TensorBenchConfig.defaultPython();
        return new TensorBenchConfig(sections, quick, timing, sizes.isEmpty() ? TensorBenchConfig.DEFAULT_SGEMM_SIZES : sizes,
                TensorBenchConfig.DEFAULT_ELEMENTWISE_NUMEL, convBatch, !noReference, py, installReference, ghz, flopsPerCycle);
    }
}
