package io.torus.launcher.bench;

import io.torus.launcher.bench.TensorBenchConfig.Section;
import io.torus.tensor.DType;
import io.torus.tensor.Generator;
import io.torus.tensor.NDArray;
import io.torus.tensor.backend.cpu.CpuBackend;
import io.torus.tensor.op.BinaryOp;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * {@code torus bench tensor}: Torus's CPU kernels against the best native code reachable from
 * this machine, measured in the same run, one thread on every side.
 *
 * <ul>
 *   <li>sgemm: {@code NDArray.matmul} into an existing output vs OpenBLAS and oneDNN called
 *       directly on off-heap memory with A and B on 64-byte lines (the libraries Torus uses, at
 *       their best: the ceiling for Torus's matmul) and PyTorch's {@code torch.mm(out=)}; GFLOP/s, the ratio to the best native one (goal ≥ 0.95)
 *       and to the CPU's peak ({@link CpuPeak}); then the allocating forms side by side (Note
 *       [Fresh outputs]).</li>
 *   <li>elementwise: add, mul (and in-place add) and sum over 64 MiB operands; GB/s counting
 *       bytes read + written, over {@code System.arraycopy} of 64 MiB (goal ≥ 0.70).</li>
 *   <li>conv: LeNet's first two layers forward + backward, batch 64 ({@link LeNetConv}), vs the
 *       same in PyTorch (goal: at least as fast).</li>
 * </ul>
 *
 * <p>Each section measures Torus first, then runs the PyTorch reference in a subprocess, so the
 * two never share the CPU. Progress goes to {@code err}; the report goes to {@code out} at the end.
 * Nothing is asserted: goals are printed next to the ratios.
 */
public final class TensorBench {
    private static final double SGEMM_GOAL = 0.95;
    private static final double ELEMENTWISE_GOAL = 0.70;
    private static final double CONV_GOAL = 1.0;
    private static final long REFERENCE_TIMEOUT_S = 300;

    private final TensorBenchConfig config;
    private final PrintWriter out;
    private final PrintWriter err;
    private final List<String> report = new ArrayList<>();
    private TorchReference torch;
    private String torchMissing;
    private TorchReference.Line torchEnv;
    private volatile Object blackhole;
    private double worstSpread = 1;

    public TensorBench(TensorBenchConfig config, PrintWriter out, PrintWriter err) {
        this.config = config;
        this.out = out;
        this.err = err;
    }

    /** Runs the selected sections and prints the report; 0 unless something failed to run. */
    public int run() {
        long start = System.nanoTime();
        String loadBefore = loadAverage();
        // One thread: Torus's intra-op setting (read when its BLAS loads) and the BLAS itself.
        System.setProperty("torus.intraop.threads", "1");
        NativeBlas.load(1);
        NativeBlas.Info blas = NativeBlas.info();
        setUpReference();

        List<Table> tables = new ArrayList<>();
        List<List<String>> notes = new ArrayList<>();
        CpuPeak peak = config.sections().contains(Section.SGEMM) ? measurePeak() : null;
        int status = 0;
        for (Section s : config.sections()) {
            List<String> sectionNotes = new ArrayList<>();
            worstSpread = 1;
            try {
                tables.add(switch (s) {
                    case SGEMM -> sgemm(peak, sectionNotes);
                    case ELEMENTWISE -> elementwise(sectionNotes);
                    case CONV -> conv(sectionNotes);
                });
                if (worstSpread > 1.25) {
                    sectionNotes.add(String.format(Locale.ROOT, "note: the slowest timed sample of some Torus/Java measurement "
                            + "was %.2f× its fastest: the machine was busy, read the ratios with care", worstSpread));
                }
            } catch (RuntimeException | OutOfMemoryError e) {
                tables.add(null);
                sectionNotes.add(s.cliName() + ": failed: " + e);
                status = 1;
            }
            notes.add(sectionNotes);
        }

        printHeader(blas, peak);
        out.println("load average (1 min) before / after: " + loadBefore + " / " + loadAverage() + " on "
                + Runtime.getRuntime().availableProcessors() + " CPUs (above ~1, other processes competed for the CPU)");
        int i = 0;
        for (Section s : config.sections()) {
            out.println();
            out.println(title(s));
            if (tables.get(i) != null) {
                tables.get(i).print(out);
            }
            for (String n : notes.get(i)) {
                out.println("  " + n);
            }
            i++;
        }
        out.println();
        out.printf(Locale.ROOT, "total %.1f s%n", (System.nanoTime() - start) / 1e9);
        out.flush();
        return status;
    }

    // ------------------------------------------------------------------ header

    private CpuPeak measurePeak() {
        progress("measuring the clock for the peak");
        return CpuPeak.detect(1, config.ghz(), config.flopsPerCycle());
    }

    private void printHeader(NativeBlas.Info blas, CpuPeak peak) {
        Timing t = config.timing();
        out.printf(Locale.ROOT, "torus bench tensor (%s): %d warm-up sample(s), then the median of %d timed sample(s) of >= %d ms "
                        + "(System.nanoTime); 1 thread on every side%n", config.quick() ? "quick" : "full", t.warmup(), t.reps(),
                t.minSampleNanos() / 1_000_000);
        out.printf("machine: %s, %d logical CPUs, %s %s, Java %s (%s)%n", CpuPeak.CpuInfo.read().model(),
                Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"), System.getProperty("os.version"),
                Runtime.version(), System.getProperty("java.vm.name"));
        String coreType = System.getenv("OPENBLAS_CORETYPE");
        out.println("OPENBLAS_CORETYPE: " + (coreType == null ? "(unset)" : coreType)
                + " in the JVM" + (config.reference() ? "; the torch subprocess gets the same (" + (coreType == null ? "unset" : "set")
                + ")" : ""));
        if (coreType != null) {
            out.println("  note: OPENBLAS_CORETYPE overrides OpenBLAS's own kernel choice (Haswell = AVX2 only, about half "
                    + "of an AVX-512 CPU's sgemm); a user's machine will not have it: unset it to see what users get");
        }
        out.println("JVM OpenBLAS (bytedeco, used by Torus): core " + blas.coreName() + ", " + blas.threads() + " thread(s); "
                + blas.config());
        out.println("Torus matmul: " + CpuBackend.gemmLibraries());
        if (!config.reference()) {
            out.println("PyTorch reference: off (--no-reference)");
        } else if (torchEnv != null) {
            String core = torchEnv.get("openblas_core");
            out.println("PyTorch reference: torch " + torchEnv.get("torch") + " (" + torchEnv.get("python") + "), "
                    + torchEnv.get("torch_threads") + " thread(s), OMP_NUM_THREADS=" + torchEnv.get("omp_num_threads")
                    + ", OPENBLAS_CORETYPE=" + (torchEnv.get("openblas_coretype").isEmpty() ? "(unset)" : torchEnv.get("openblas_coretype"))
                    + "; OpenBLAS core " + (core.isEmpty() ? "—" : core) + ", " + torchEnv.get("openblas_threads") + " thread(s); "
                    + torchEnv.get("openblas_config"));
            if (!core.isEmpty() && !core.equalsIgnoreCase(blas.coreName())) {
                out.println("  note: the two OpenBLAS builds picked different cores (" + blas.coreName() + " vs " + core
                        + "): each is its build's choice for this CPU under the same OPENBLAS_CORETYPE");
            }
        } else if (torchMissing != null) {
            out.println("PyTorch reference: not available (" + torchMissing + ")");
            out.println("  install it with scripts/install-bench-reference.sh (root; Debian's python3-torch and "
                    + "libopenblas0-openmp), or pass --install-reference");
        }
        if (peak != null) {
            peak.explain().forEach(out::println);
        }
    }

    private static String title(Section s) {
        return switch (s) {
            case SGEMM -> "sgemm: C = A·B, FLOAT32, n × n, 1 thread; GFLOP/s = 2n³ / median time per call";
            case ELEMENTWISE -> "elementwise: FLOAT32, 1 thread; GB/s = (bytes read + written) / median time per call";
            case CONV -> "conv2d: LeNet layers 1-2 (conv 1->6 5x5, relu, maxpool 2, conv 6->16 5x5, relu, maxpool 2), "
                    + "forward + backward, 1 thread";
        };
    }

    // ------------------------------------------------------------------ sgemm

    /*
     * Note [Fresh outputs]
     * ~~~~~~~~~~~~~~~~~~~~
     * cblas_sgemm writes C = A·B into a C the caller owns, so the like-for-like Torus figure is
     * matmul into an existing output (matmul(b, out), PyTorch's torch.mm(a, b, out=c)); that pair
     * decides the sgemm goal. The table also shows the allocating forms. They differ for the JVM
     * only: torch.mm(a, b) gets the block glibc's malloc just took back, still in cache, so it runs
     * as fast as the out= form, while every new Java array is eden memory the core has not touched
     * for a whole eden's worth of allocations. Zeroing 256 KiB of it costs ~27 us here (cold
     * writes at ~10 GB/s), 13 % of a 256 x 256 product; OpenBLAS's stores into a 16 MiB C miss
     * likewise. A recycling allocator could hide it where Torus knows a temporary is dead (the
     * autograd engine); matmul in a user's loop cannot know.
     */
    private Table sgemm(CpuPeak peak, List<String> notes) {
        List<Integer> sizes = config.sgemmSizes();
        double[] torusNew = new double[sizes.size()];
        double[] torusOut = new double[sizes.size()];
        double[] direct = new double[sizes.size()];
        double[] onednn = new double[sizes.size()];
        java.util.Arrays.fill(onednn, Double.NaN);
        Generator gen = new Generator(42);
        progress("sgemm: JIT warm-up on 16 x 16");
        NDArray sa = NDArray.normal(gen, 0, 1, DType.FLOAT32, 16, 16);
        NDArray sc = NDArray.empty(DType.FLOAT32, 16, 16);
        jitWarmup(() -> blackhole = sa.matmul(sa));
        jitWarmup(() -> blackhole = sa.matmul(sa, sc));
        for (int i = 0; i < sizes.size(); i++) {
            int n = sizes.get(i);
            double flop = 2.0 * n * n * n;
            NDArray a = NDArray.normal(gen, 0, 1, DType.FLOAT32, n, n);
            NDArray b = NDArray.normal(gen, 0, 1, DType.FLOAT32, n, n);
            NDArray c = NDArray.empty(DType.FLOAT32, n, n);
            progress("sgemm n=" + n + ": Torus matmul into out, OpenBLAS direct, oneDNN direct and Torus matmul, in turn");
            NDArray[] fresh = new NDArray[1];
            try (NativeBlas.Sgemm gemm = new NativeBlas.Sgemm(a.toFloatArray(), b.toFloatArray(), n)) {
                List<Runnable> ops = new ArrayList<>(List.of(() -> a.matmul(b, c), gemm::run, () -> fresh[0] = a.matmul(b)));
                if (CpuBackend.onednnGemm()) {
                    ops.add(gemm::runOnednn);
                }
                List<Timing.Result> r = measure(ops);
                torusOut[i] = flop / r.get(0).medianNanos();
                direct[i] = flop / r.get(1).medianNanos();
                torusNew[i] = flop / r.get(2).medianNanos();
                if (r.size() > 3) {
                    onednn[i] = flop / r.get(3).medianNanos();
                }
                checkSame(n, c, gemm, notes);
                checkSame(n, fresh[0], gemm, notes);
            }
        }
        double[] ref = new double[sizes.size()];
        double[] refOut = new double[sizes.size()];
        java.util.Arrays.fill(ref, Double.NaN);
        java.util.Arrays.fill(refOut, Double.NaN);
        TorchReference.Result r = reference("sgemm", List.of("--sgemm",
                sizes.stream().map(String::valueOf).collect(Collectors.joining(","))), notes);
        if (r != null) {
            for (TorchReference.Line l : r.of("sgemm")) {
                int at = sizes.indexOf((int) l.number("n"));
                if (at >= 0) {
                    ref[at] = l.number("gflops");
                    refOut[at] = l.number("gflops_out");
                }
            }
        }
        Table t = new Table("n", "Torus into out", "OpenBLAS direct", "oneDNN direct", "torch.mm out=",
                "Torus/best native (goal 0.95)", "Torus/peak", "best native/peak", "Torus new result", "torch.mm new",
                "new: Torus/torch");
        for (int i = 0; i < sizes.size(); i++) {
            double best = direct[i];
            for (double x : new double[] {onednn[i], refOut[i]}) {
                best = Double.isNaN(x) ? best : Math.max(best, x);
            }
            t.row(String.valueOf(sizes.get(i)), Table.num(torusOut[i], 1), Table.num(direct[i], 1), Table.num(onednn[i], 1),
                    Table.num(refOut[i], 1),
                    Table.ratio(torusOut[i] / best, SGEMM_GOAL), Table.ratio(torusOut[i] / peak.gflops(), Double.NaN),
                    Table.ratio(best / peak.gflops(), Double.NaN), Table.num(torusNew[i], 1), Table.num(ref[i], 1),
                    Table.ratio(torusNew[i] / ref[i], Double.NaN));
        }
        notes.add(String.format(Locale.ROOT, "GFLOP/s; peak %.1f GFLOP/s (see above). Into out: Torus a.matmul(b, c), cblas_sgemm "
                + "and dnnl_sgemm on the same off-heap memory (no Java arrays; A and B on 64-byte lines) and torch.mm(a, b, out=c), each writing an "
                + "existing C, as BLAS does (oneDNN direct: '—' where libdnnl.so.2 is missing or off). New result: a.matmul(b) and torch.mm(a, b), which allocate C on every call "
                + "(Note [Fresh outputs] in TensorBench).", peak.gflops()));
        return t;
    }

    /** Torus's product and the direct one must agree, or the comparison means nothing. */
    private static void checkSame(int n, NDArray torus, NativeBlas.Sgemm direct, List<String> notes) {
        float[] c = torus.contiguous().toFloatArray();
        for (int idx : new int[] {0, n * n / 2 + n / 3, n * n - 1}) {
            float x = c[idx];
            float y = direct.c(idx);
            if (Math.abs(x - y) > 1e-3f * (1 + Math.abs(y)) * Math.sqrt(n)) {
                notes.add("WARNING: n=" + n + ": Torus matmul and OpenBLAS differ at element " + idx + " (" + x + " vs " + y + ")");
                return;
            }
        }
    }

    // ------------------------------------------------------------------ elementwise

    /** The arrays of the elementwise section, at one size. */
    private record Operands(NDArray a, NDArray b, NDArray acc, float[] src, float[] dst) {
        static Operands of(int numel) {
            Generator gen = new Generator(7);
            NDArray a = NDArray.uniform(gen, 1, 2, DType.FLOAT32, numel);
            NDArray b = NDArray.uniform(gen, 1, 2, DType.FLOAT32, numel);
            return new Operands(a, b, a.copy(), a.toFloatArray(), new float[numel]);
        }
    }

    private Table elementwise(List<String> notes) {
        int numel = config.elementwiseNumel();
        long bytes = 4L * numel;

        record Op(String name, long bytes, Function<Operands, Object> run) {
        }
        List<Op> ops = List.of(
                new Op("arraycopy", 2 * bytes, o -> {
                    System.arraycopy(o.src, 0, o.dst, 0, o.src.length);
                    return o.dst;
                }),
                new Op("add", 3 * bytes, o -> o.a.add(o.b)),
                new Op("add_", 3 * bytes, o -> o.acc.binary_(BinaryOp.ADD, o.b)),
                new Op("mul", 3 * bytes, o -> o.a.mul(o.b)),
                new Op("sum", bytes + 4, o -> o.a.sum().item()));
        progress("elementwise: JIT warm-up on 1024 elements");
        Operands small = Operands.of(1024);
        for (Op op : ops) {
            jitWarmup(() -> blackhole = op.run.apply(small));
        }
        Operands big = Operands.of(numel);
        double[] gbps = new double[ops.size()];
        double[] ms = new double[ops.size()];
        progress("elementwise: " + ops.stream().map(Op::name).collect(Collectors.joining(", ")) + ", in turn");
        List<Timing.Result> results = measure(ops.stream().<Runnable>map(op -> () -> blackhole = op.run.apply(big)).toList());
        for (int i = 0; i < ops.size(); i++) {
            ms[i] = results.get(i).medianNanos() / 1e6;
            gbps[i] = ops.get(i).bytes / results.get(i).medianNanos();
        }
        java.util.Map<String, Double> ref = new java.util.HashMap<>();
        TorchReference.Result r = reference("elementwise", List.of("--elementwise-numel", String.valueOf(numel)), notes);
        if (r != null) {
            for (TorchReference.Line l : r.of("elementwise")) {
                ref.put(l.get("op"), l.number("gbps"));
            }
        }
        Table t = new Table("op", "MiB moved", "ms/call", "GB/s", "torch GB/s", "Torus/arraycopy (goal 0.70)");
        for (int i = 0; i < ops.size(); i++) {
            Op op = ops.get(i);
            boolean copy = i == 0;
            t.row(describe(op.name, numel), Table.num(op.bytes / 1048576.0, 0), Table.num(ms[i], 2), Table.num(gbps[i], 2),
                    copy ? "" : Table.num(ref.getOrDefault(op.name, Double.NaN), 2),
                    copy ? "(base)" : Table.ratio(gbps[i] / gbps[0], ELEMENTWISE_GOAL));
        }
        notes.add(String.format(Locale.ROOT, "%d elements (%d MiB) per operand; add/mul read 2 and write 1 operand (a new "
                + "array: recycled by the storage pool once the collector has freed an earlier result, else zeroed by the JVM first, not counted), add_ writes in place, sum reads 1; arraycopy reads 1, writes 1; "
                + "GB = 1e9 bytes. Java ops first run 20,000 times on 1024 elements so that the JIT has compiled them.",
                numel, bytes >> 20));
        return t;
    }

    private static String describe(String op, int numel) {
        return switch (op) {
            case "arraycopy" -> "System.arraycopy";
            case "add" -> "add  (a.add(b))";
            case "add_" -> "add_ (in place)";
            case "mul" -> "mul  (a.mul(b))";
            case "sum" -> "sum  (a.sum())";
            default -> op;
        };
    }

    // ------------------------------------------------------------------ conv

    private Table conv(List<String> notes) {
        int batch = config.convBatch();
        progress("conv: binding conv2d / maxPool2d");
        LeNetConv.Binding bound = LeNetConv.bind(batch);
        double torusMs = Double.NaN;
        if (bound.conv() == null) {
            notes.add("conv2d: not available in this build (" + bound.missing() + ")");
        } else {
            progress("conv: JIT warm-up on batch 1");
            LeNetConv small = LeNetConv.bind(1).conv();
            if (small != null) {
                jitWarmup(small::step);
            }
            progress("conv: Torus forward + backward");
            torusMs = measure(List.of(bound.conv()::step)).get(0).medianNanos() / 1e6;
            notes.add("Torus ops: " + bound.conv().describe());
        }
        double torchMs = Double.NaN;
        TorchReference.Result r = reference("conv", List.of("--conv-batch", String.valueOf(batch)), notes);
        if (r != null && !r.of("conv").isEmpty()) {
            torchMs = r.of("conv").get(0).number("ms");
        }
        notes.add("speed ratio = torch ms / Torus ms (above 1: Torus faster); both clear the 4 parameter gradients, "
                + "run forward, sum the output and backpropagate each iteration.");
        return new Table("batch", "Torus ms/iter", "torch ms/iter", "torch/Torus speed (goal 1.00)")
                .row(String.valueOf(batch), Table.num(torusMs, 2), Table.num(torchMs, 2),
                        bound.conv() == null ? "n/a" : Table.ratio(torchMs / torusMs, CONV_GOAL));
    }

    // ------------------------------------------------------------------ reference and timing

    private void setUpReference() {
        if (!config.reference()) {
            return;
        }
        try {
            torch = TorchReference.create(config.python());
        } catch (IOException e) {
            torchMissing = e.getMessage();
            return;
        }
        if (config.installReference()) {
            progress("checking for torch (--install-reference)");
            TorchReference.Result probe = torch.run(List.of(), 60);
            if (!probe.ok()) {
                install();
            }
        }
    }

    private void install() {
        Path script = Path.of(System.getProperty("torus.home", "."), "scripts", "install-bench-reference.sh");
        if (!Files.isExecutable(script)) {
            err.println("torus bench: cannot install the reference: " + script + " not found (run from a Torus checkout)");
            return;
        }
        progress("running " + script);
        try {
            Process p = new ProcessBuilder(script.toString()).redirectOutput(ProcessBuilder.Redirect.INHERIT)
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            int rc = p.waitFor();
            if (rc != 0) {
                err.println("torus bench: " + script + " failed (exit status " + rc + "); going on without the reference");
            }
        } catch (IOException e) {
            err.println("torus bench: cannot run " + script + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Runs the reference for one section; null (and a note) when there is none. */
    private TorchReference.Result reference(String what, List<String> sectionArgs, List<String> notes) {
        if (torch == null || torchMissing != null) {
            return null;
        }
        progress(what + ": PyTorch reference");
        Timing t = config.timing();
        List<String> args = new ArrayList<>(sectionArgs);
        args.addAll(List.of("--warmup", String.valueOf(t.warmup()), "--reps", String.valueOf(t.reps()), "--min-sample-ms",
                String.valueOf(t.minSampleNanos() / 1e6)));
        TorchReference.Result r = torch.run(args, REFERENCE_TIMEOUT_S);
        if (torchEnv == null && r.env() != null) {
            torchEnv = r.env();
        }
        if (!r.ok()) {
            if (r.env() == null) { // torch did not even import: no reference for the other sections either
                torchMissing = r.error();
            } else {
                notes.add("PyTorch reference failed: " + r.error());
            }
            return null;
        }
        return r;
    }

    /**
     * Runs a small-size version of an op until the JIT has compiled it (C2 needs ~10,000 calls), or
     * for a bounded time. A heavy call repeated a few dozen times stays interpreted otherwise: an
     * uncompiled System.arraycopy of 64 MiB ran at about 75 % of the compiled one's speed here.
     * This is the steady state of a long training run.
     */
    private void jitWarmup(Runnable small) {
        long deadline = System.nanoTime() + (config.quick() ? 300_000_000L : 1_500_000_000L);
        for (int i = 0; i < 20_000 && System.nanoTime() < deadline; i++) {
            small.run();
        }
    }

    /** Measures {@code ops} in turn; notes when a measurement's samples spread widely (a busy machine). */
    private List<Timing.Result> measure(List<Runnable> ops) {
        List<Timing.Result> r = config.timing().measureInterleaved(ops);
        for (Timing.Result x : r) {
            worstSpread = Math.max(worstSpread, x.maxNanos() / x.minNanos());
        }
        return r;
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split("\\s+")[0];
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    private void progress(String what) {
        err.println("torus bench: " + what);
        err.flush();
    }
}
