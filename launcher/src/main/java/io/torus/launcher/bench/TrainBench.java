package io.torus.launcher.bench;

import io.torus.autograd.Tensor;
import io.torus.launcher.BuiltinJobs;
import io.torus.launcher.LaunchConfig;
import io.torus.launcher.agent.Agent;
import io.torus.launcher.agent.AgentSettings;
import io.torus.launcher.agent.WorkerMain;
import io.torus.launcher.jobs.LeNet;
import io.torus.nn.CrossEntropyLoss;
import io.torus.nn.Linear;
import io.torus.nn.Module;
import io.torus.nn.ReLU;
import io.torus.nn.Sequential;
import io.torus.optim.SGD;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * {@code torus bench train}: whole training steps, Torus beside PyTorch in the same run, 1 thread
 * each, the same model, batch, optimizer and loss.
 *
 * <ul>
 *   <li>mlp: 784-256-128-10 MLP (ReLU), cross-entropy, SGD lr 0.01 momentum 0.9; samples/s at
 *       each batch size (goal ≥ 1.2× PyTorch).</li>
 *   <li>cnn: LeNet-5 ({@link LeNet}), the same loss and optimizer (goal ≥ 1.0× PyTorch).</li>
 *   <li>heap: the built-in {@code mnist-mlp} job for one epoch of full MNIST in a worker JVM
 *       started by the agent with {@code -Xmx512m}; its heap figures come from the worker's
 *       {@code MemoryReport} (goal ≤ 512 MB: the epoch completes in it, the live peak below it).</li>
 * </ul>
 *
 * <p>A step is: zero the gradients, forward, loss, backward, optimizer step, on the next of
 * {@value #BATCHES} synthetic batches (standard normal inputs, uniform labels) kept in memory, so
 * no data loading is timed; PyTorch's side ({@code torch_reference.py --train-mlp/--train-cnn})
 * does exactly the same. Timing is {@link Timing}'s on both sides; Torus runs first, then PyTorch
 * in a subprocess, never at the same time, for a few rounds, and each side's best round counts.
 */
public final class TrainBench {
    public static final double MLP_GOAL = 1.2;
    public static final double CNN_GOAL = 1.0;
    public static final long HEAP_GOAL_BYTES = 512L << 20;
    static final int BATCHES = 16;
    private static final long REFERENCE_TIMEOUT_S = 600;

    /** What to run: {@code sections} of mlp, cnn, heap. */
    public record Config(List<String> sections, List<Integer> batchSizes, Timing timing, int rounds, boolean reference,
                         String python, Path mnist) {
        public static final List<String> ALL = List.of("mlp", "cnn", "heap");

        public Config {
            for (String s : sections) {
                if (!ALL.contains(s)) {
                    throw new IllegalArgumentException("--only " + s + ": expected one of " + String.join(", ", ALL));
                }
            }
            if (rounds < 1) {
                throw new IllegalArgumentException("--rounds " + rounds + ": expected at least 1");
            }
            for (int b : batchSizes) {
                if (b < 1) {
                    throw new IllegalArgumentException("--batch-sizes " + b + ": expected sizes >= 1");
                }
            }
        }
    }

    private final Config config;
    private final PrintWriter out;
    private final PrintWriter err;
    private TorchReference.Line torchEnv;
    private String torchMissing;

    public TrainBench(Config config, PrintWriter out, PrintWriter err) {
        this.config = config;
        this.out = out;
        this.err = err;
    }

    /** A model and its training step on resident batches. */
    static final class Step implements Runnable {
        private final Module model;
        private final SGD opt;
        private final CrossEntropyLoss lossFn = new CrossEntropyLoss();
        private final Tensor[] inputs = new Tensor[BATCHES];
        private final Tensor[] targets = new Tensor[BATCHES];
        private int next;

        Step(Supplier<Module> factory, int batch, int... sampleShape) {
            Tensor.manualSeed(1);
            model = factory.get();
            opt = new SGD(model.parameters(), 0.01, 0.9);
            int[] shape = new int[sampleShape.length + 1];
            shape[0] = batch;
            System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
            for (int i = 0; i < BATCHES; i++) {
                inputs[i] = Tensor.randn(shape);
                targets[i] = Tensor.randint(0, 10, batch);
            }
        }

        @Override
        public void run() {
            int i = next++ % BATCHES;
            opt.zeroGrad();
            Tensor loss = lossFn.forward(model.forward(inputs[i]), targets[i]);
            loss.backward();
            opt.step();
        }

        Module model() {
            return model;
        }
    }

    static Step mlp(int batch) {
        return new Step(() -> new Sequential(new Linear(784, 256), new ReLU(), new Linear(256, 128), new ReLU(),
                new Linear(128, 10)), batch, 784);
    }

    static Step cnn(int batch) {
        return new Step(LeNet::new, batch, 1, 28, 28);
    }

    public int run() {
        long start = System.nanoTime();
        String loadBefore = loadAverage();
        System.setProperty("torus.intraop.threads", "1");
        NativeBlas.load(1);
        NativeBlas.Info blas = NativeBlas.info();
        List<String> report = new ArrayList<>();
        int status = 0;
        for (String section : config.sections()) {
            try {
                report.addAll(switch (section) {
                    case "mlp" -> throughput("mlp", "MLP 784-256-128-10", TrainBench::mlp, MLP_GOAL);
                    case "cnn" -> throughput("cnn", "LeNet-5", TrainBench::cnn, CNN_GOAL);
                    default -> heap();
                });
            } catch (RuntimeException | OutOfMemoryError | IOException e) {
                report.add("");
                report.add(section + ": failed: " + e);
                status = 1;
            }
        }
        out.printf(Locale.ROOT, "torus bench train: %d warm-up sample(s), then the median of %d timed sample(s) of >= %d ms; "
                + "1 thread on every side%n", config.timing().warmup(), config.timing().reps(), config.timing().minSampleNanos() / 1_000_000);
        out.printf("machine: %s, %d logical CPUs, Java %s%n", CpuPeak.CpuInfo.read().model(), Runtime.getRuntime().availableProcessors(),
                Runtime.version());
        String coreType = System.getenv("OPENBLAS_CORETYPE");
        out.println("OPENBLAS_CORETYPE: " + (coreType == null ? "(unset)" : coreType) + " (the torch subprocess gets the same); "
                + "Torus OpenBLAS core " + blas.coreName() + " (operands " + io.torus.tensor.backend.cpu.CpuBackend.blasOperands()
                + ")" + (torchEnv != null ? ", torch " + torchEnv.get("torch") + " OpenBLAS core "
                + torchEnv.get("openblas_core") : ""));
        if (torchMissing != null) {
            out.println("PyTorch reference: not available (" + torchMissing + "; scripts/install-bench-reference.sh)");
        }
        out.println("load average (1 min) before / after: " + loadBefore + " / " + loadAverage() + " on "
                + Runtime.getRuntime().availableProcessors() + " CPUs (above ~1, other processes competed for the CPU)");
        report.forEach(out::println);
        out.println();
        out.printf(Locale.ROOT, "total %.1f s%n", (System.nanoTime() - start) / 1e9);
        out.flush();
        return status;
    }

    // ------------------------------------------------------------------ throughput

    private interface StepFactory {
        Step create(int batch);
    }

    private List<String> throughput(String name, String title, StepFactory factory, double goal) {
        List<Integer> sizes = config.batchSizes();
        progress(name + ": JIT warm-up");
        Step warm = factory.create(8);
        long deadline = System.nanoTime() + 3_000_000_000L;
        for (int i = 0; i < 3000 && System.nanoTime() < deadline; i++) {
            warm.run();
        }
        List<Runnable> steps = new ArrayList<>();
        for (int b : sizes) {
            steps.add(factory.create(b));
        }
        // Rounds of Torus then PyTorch, the best of each side kept: a burst of load from another
        // process during one side's turn then does not decide the ratio.
        double[] torus = new double[sizes.size()];
        double[] ref = new double[sizes.size()];
        java.util.Arrays.fill(ref, Double.NaN);
        List<String> notes = new ArrayList<>();
        for (int round = 1; round <= config.rounds(); round++) {
            progress(name + ": round " + round + "/" + config.rounds() + ": Torus, batch "
                    + sizes.stream().map(String::valueOf).collect(Collectors.joining(", ")) + " in turn");
            List<Timing.Result> r = config.timing().measureInterleaved(steps);
            for (int i = 0; i < sizes.size(); i++) {
                torus[i] = Math.max(torus[i], sizes.get(i) / (r.get(i).medianNanos() / 1e9));
            }
            TorchReference.Result tr = reference(name, List.of("--train-" + name,
                    sizes.stream().map(String::valueOf).collect(Collectors.joining(","))), round == 1 ? notes : new ArrayList<>());
            if (tr != null) {
                for (TorchReference.Line l : tr.of("train")) {
                    int at = sizes.indexOf((int) l.number("batch"));
                    if (at >= 0 && l.get("model").equals(name)) {
                        ref[at] = Double.isNaN(ref[at]) ? l.number("samples_per_s") : Math.max(ref[at], l.number("samples_per_s"));
                    }
                }
            }
        }
        Table t = new Table("batch", "Torus samples/s", "torch samples/s", "Torus ms/step", "torch ms/step",
                String.format(Locale.ROOT, "Torus/torch (goal %.2f)", goal));
        for (int i = 0; i < sizes.size(); i++) {
            int b = sizes.get(i);
            t.row(String.valueOf(b), Table.num(torus[i], 0), Table.num(ref[i], 0), Table.num(b / torus[i] * 1e3, 3),
                    Table.num(b / ref[i] * 1e3, 3), Table.ratio(torus[i] / ref[i], goal));
        }
        List<String> lines = new ArrayList<>();
        lines.add("");
        lines.add("train " + name + ": " + title + ", one step = zero grads, forward, cross-entropy, backward, SGD momentum 0.9; "
                + BATCHES + " synthetic batches in memory, 1 thread; each side's best of " + config.rounds() + " round(s)");
        java.io.StringWriter sw = new java.io.StringWriter();
        t.print(new PrintWriter(sw, true));
        lines.addAll(sw.toString().lines().toList());
        notes.forEach(n -> lines.add("  " + n));
        return lines;
    }

    // ------------------------------------------------------------------ heap

    private List<String> heap() throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add("");
        lines.add("heap: built-in mnist-mlp, 1 epoch of full MNIST, batch 64, in a worker JVM started by the agent with -Xmx512m");
        Path mnist = config.mnist();
        if (mnist == null || !Files.isRegularFile(mnist.resolve("train-images-idx3-ubyte"))
                && !Files.isRegularFile(mnist.resolve("train-images-idx3-ubyte.gz"))) {
            lines.add("  skipped: no MNIST in " + mnist + " (scripts/fetch-mnist.sh DIR, then --mnist DIR or $TORUS_MNIST_DIR)");
            return lines;
        }
        Path runDir = Files.createTempDirectory("torus-bench-heap");
        Path report = runDir.resolve("memory.properties");
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        PrintStream sink = new PrintStream(console, true, StandardCharsets.UTF_8);
        Agent agent = new Agent(AgentSettings.fromDefaults().withWorkerHeap("512m")
                .withExtraJvmFlags("-D" + WorkerMain.MEMORY_REPORT + "=" + report).withKillGrace(Duration.ofSeconds(3))
                .withOutput(sink, sink));
        LaunchConfig c = LaunchConfig.builder("mnist-mlp").jobClass(BuiltinJobs.className("mnist-mlp")).nprocPerNode(1)
                .runDir(runDir).jobArgs("--data", mnist.toString(), "--epochs", "1").build();
        progress("heap: mnist-mlp for one epoch in a worker JVM with -Xmx512m");
        long t0 = System.nanoTime();
        int code = agent.run(c);
        double seconds = (System.nanoTime() - t0) / 1e9;
        String text = console.toString(StandardCharsets.UTF_8);
        if (code != 0 || !Files.exists(report)) {
            lines.add("  FAILED (exit " + code + "): the job did not finish in 512 MB of heap; its last lines:");
            text.lines().skip(Math.max(0, text.lines().count() - 8)).forEach(l -> lines.add("    " + l));
        } else {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(report)) {
                p.load(r);
            }
            long used = Long.parseLong(p.getProperty("heap_peak_used"));
            long live = Long.parseLong(p.getProperty("heap_peak_live"));
            long gcMillis = Long.parseLong(p.getProperty("gc_millis"));
            String epochLine = text.lines().filter(l -> l.contains("epoch 1/1")).findFirst().orElse("");
            Table t = new Table("peak heap used", "peak live (after GC)", "-Xmx", "GCs", "GC time", "worker wall time",
                    "goal <= 512 MB");
            t.row(mib(used), mib(live), mib(Long.parseLong(p.getProperty("heap_max"))), p.getProperty("gc_count"),
                    String.format(Locale.ROOT, "%.1f s", gcMillis / 1e3), String.format(Locale.ROOT, "%.1f s", seconds),
                    live <= HEAP_GOAL_BYTES ? "ok" : "above goal");
            java.io.StringWriter sw = new java.io.StringWriter();
            t.print(new PrintWriter(sw, true));
            lines.addAll(sw.toString().lines().toList());
            lines.add("  peak used: the sum of the heap pools' peaks, garbage included (pools peak at different times, so it "
                    + "can exceed -Xmx); peak live: the most the heap held right after a collection, what training needed. "
                    + "The goal holds when the epoch completes under -Xmx512m with the live peak below it.");
            if (!epochLine.isEmpty()) {
                lines.add("  job: " + epochLine.replaceFirst("^\\[rank 0\\] ", ""));
            }
        }
        try (Stream<Path> files = Files.walk(runDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
        return lines;
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.0f MiB", bytes / 1048576.0);
    }

    // ------------------------------------------------------------------ reference

    private TorchReference.Result reference(String what, List<String> sectionArgs, List<String> notes) {
        if (!config.reference()) {
            notes.add("PyTorch reference: off (--no-reference)");
            return null;
        }
        if (torchMissing != null) {
            return null;
        }
        progress(what + ": PyTorch reference");
        TorchReference torch;
        try {
            torch = TorchReference.create(config.python());
        } catch (IOException e) {
            torchMissing = e.getMessage();
            return null;
        }
        Timing t = config.timing();
        List<String> args = new ArrayList<>(sectionArgs);
        args.addAll(List.of("--warmup", String.valueOf(t.warmup()), "--reps", String.valueOf(t.reps()), "--min-sample-ms",
                String.valueOf(t.minSampleNanos() / 1e6)));
        TorchReference.Result r = torch.run(args, REFERENCE_TIMEOUT_S);
        if (torchEnv == null && r.env() != null) {
            torchEnv = r.env();
        }
        if (!r.ok()) {
            if (r.env() == null) {
                torchMissing = r.error();
            } else {
                notes.add("PyTorch reference failed: " + r.error());
            }
            return null;
        }
        return r;
    }

    private void progress(String what) {
        err.println("torus bench train: " + what);
        err.flush();
    }

    private static String loadAverage() {
        double l = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        return l < 0 ? "n/a" : String.format(Locale.ROOT, "%.2f", l);
    }
}
