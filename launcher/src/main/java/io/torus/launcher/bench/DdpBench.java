package io.torus.launcher.bench;

import io.torus.autograd.Tensor;
import io.torus.comm.ProcessGroup;
import io.torus.comm.ReduceOp;
import io.torus.comm.WorkerEnv;
import io.torus.comm.ddp.DistributedDataParallel;
import io.torus.comm.ddp.ReducerStats;
import io.torus.launcher.agent.AgentSettings;
import io.torus.nn.CrossEntropyLoss;
import io.torus.nn.Linear;
import io.torus.nn.Module;
import io.torus.nn.ReLU;
import io.torus.nn.Sequential;
import io.torus.optim.SGD;
import io.torus.tensor.NDArray;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/*
 * torus bench ddp: data-parallel training throughput of the MLP 784-256-128-10 (ReLU,
 * cross-entropy, SGD lr 0.01 momentum 0.9), 2 worker processes at batch B per rank against one
 * process at batch B, Torus beside PyTorch DDP with gloo (scripts/bench/ddp_mlp.py), 1 thread per
 * process on both sides, measured in the same run, the two sides taking turns.
 *
 * Three modes per side, each in fresh worker processes:
 *   single  one process, the plain model, batch B;
 *   ddp     N processes joined into a group (Torus: ProcessGroup.fromEnv, the real rendezvous and
 *           Netty ring; PyTorch: gloo over TCP), the model wrapped in DDP, batch B per rank;
 *   nosync  as ddp, but every backward inside noSync(): the same processes and the same work
 *           without the gradient all-reduce.
 * Throughput is N x B x steps / time, the time being the slowest rank's for a fixed number of steps
 * after a warm-up (Torus's lasts until the JIT is quiet, Note [Warm-up until the JIT is quiet] in
 * JitWarmUp; every rank runs the same steps, so every rank issues the same collectives). ratio = ddp / single, the goal
 * >= 1.0x. Exposed communication per step = ddp step time - nosync step time: what the overlap of
 * the bucket all-reduces with backward did not hide (it also includes the scheduling cost of the
 * communication threads on a busy machine). Torus also reports its Reducer's own measure: the time
 * from the last gradient hook to the gradients being averaged (ReducerStats).
 *
 * On a shared machine wall times swing with the load: the table also gives the CPU time of all the
 * side's processes per step (every thread, communication included), which the load barely moves.
 * On an idle 2-core machine, 2 x (1-process CPU per step) / (DDP CPU per step) bounds the ratio.
 */
public final class DdpBench {
    private static final Pattern LINE = Pattern.compile("(TORUS|TORCH) mode=(\\w+) ranks=(\\d+) batch=(\\d+) steps=(\\d+) "
            + "seconds=([0-9.]+) cpu_seconds=([0-9.]+)(?: exposed_us=([0-9.]+))?");
    private static final int BATCHES = 16;
    private static final long PROCESS_TIMEOUT_S = 600;

    /** What to run. */
    public record Config(int ranks, int batch, int warmup, int steps, int rounds, long firstBucketBytes, long bucketBytes,
                         String python, Path script) {
        public Config {
            if (firstBucketBytes < 1 || bucketBytes < 1) {
                throw new IllegalArgumentException("bucket sizes " + firstBucketBytes + " (first) and " + bucketBytes
                        + " bytes: expected both >= 1");
            }
            if (ranks < 2) {
                throw new IllegalArgumentException("--ranks " + ranks + ": expected at least 2");
            }
            if (batch < 1 || warmup < 0 || steps < 1 || rounds < 1) {
                throw new IllegalArgumentException("batch " + batch + ", warmup " + warmup + ", steps " + steps + ", rounds "
                        + rounds + ": expected batch, steps and rounds >= 1 and warmup >= 0");
            }
        }
    }

    /** One mode's result: step time in seconds (slowest rank), and the reducer's exposed time per step (Torus, ddp). */
    record Result(double secondsPerStep, double cpuSecondsPerStep, double exposedMicros) {
    }

    private final Config config;

    public DdpBench(Config config) {
        this.config = config;
    }

    public int run(PrintStream out) {
        String coreType = System.getenv("OPENBLAS_CORETYPE");
        out.printf("DDP training, MLP 784-256-128-10, SGD momentum, batch %d per rank, %d ranks vs 1 process, 1 thread each,"
                + " 127.0.0.1%n", config.batch(), config.ranks());
        out.printf("%d cores; load average before: %s; OPENBLAS_CORETYPE: %s (both sides); Torus buckets: first %d B, then %d B%n",
                Runtime.getRuntime().availableProcessors(), loadAverage(), coreType == null ? "(unset)" : coreType,
                config.firstBucketBytes(), config.bucketBytes());
        Map<String, Result> torus = new HashMap<>();
        Map<String, Result> torch = new HashMap<>();
        for (int round = 1; round <= config.rounds(); round++) {
            for (String mode : List.of("single", "ddp", "nosync")) {
                out.printf("  round %d: Torus %s ...%n", round, mode);
                keepBest(torus, mode, runTorus(mode));
            }
            if (config.script() != null && Files.exists(config.script())) {
                out.printf("  round %d: PyTorch single, ddp, nosync ...%n", round);
                runTorch().forEach((mode, r) -> keepBest(torch, mode, r));
            }
        }
        out.printf("load average after: %s%n%n", loadAverage());
        out.printf("%-44s %14s %14s%n", "", "Torus", "PyTorch gloo");
        row(out, "1 process, samples/s", torus, torch, "single", r -> config.batch() / r.secondsPerStep(), "%.0f");
        row(out, config.ranks() + " processes DDP, samples/s", torus, torch, "ddp",
                r -> config.ranks() * config.batch() / r.secondsPerStep(), "%.0f");
        out.printf("%-44s %14s %14s%n", "ratio DDP / 1 process (goal >= 1.0x)", ratio(torus), ratio(torch));
        row(out, "DDP step, ms", torus, torch, "ddp", r -> r.secondsPerStep() * 1e3, "%.3f");
        row(out, "same processes without all-reduce (noSync), ms", torus, torch, "nosync",
                r -> r.secondsPerStep() * 1e3, "%.3f");
        out.printf("%-44s %14s %14s%n", "exposed communication per step, ms", exposed(torus), exposed(torch));
        row(out, "CPU per step, all processes, 1 process, ms", torus, torch, "single", r -> r.cpuSecondsPerStep() * 1e3, "%.3f");
        row(out, "CPU per step, all processes, DDP, ms", torus, torch, "ddp", r -> r.cpuSecondsPerStep() * 1e3, "%.3f");
        row(out, "CPU per step, all processes, noSync, ms", torus, torch, "nosync", r -> r.cpuSecondsPerStep() * 1e3, "%.3f");
        Result d = torus.get("ddp");
        out.printf("%-44s %14s %14s%n", "  Torus reducer: after backward's last hook, ms",
                d == null || Double.isNaN(d.exposedMicros()) ? "-" : String.format("%.3f", d.exposedMicros() / 1e3), "-");
        return torus.containsKey("ddp") ? 0 : 1;
    }

    private static void keepBest(Map<String, Result> best, String mode, Result r) {
        if (r != null && (!best.containsKey(mode) || r.secondsPerStep() < best.get(mode).secondsPerStep())) {
            best.put(mode, r);
        }
    }

    private static void row(PrintStream out, String label, Map<String, Result> a, Map<String, Result> b, String mode,
                            java.util.function.ToDoubleFunction<Result> f, String format) {
        out.printf("%-44s %14s %14s%n", label, a.containsKey(mode) ? String.format(format, f.applyAsDouble(a.get(mode))) : "-",
                b.containsKey(mode) ? String.format(format, f.applyAsDouble(b.get(mode))) : "-");
    }

    private String ratio(Map<String, Result> m) {
        if (!m.containsKey("single") || !m.containsKey("ddp")) {
            return "-";
        }
        double single = config.batch() / m.get("single").secondsPerStep();
        double ddp = config.ranks() * config.batch() / m.get("ddp").secondsPerStep();
        return String.format("%.2fx", ddp / single);
    }

    private static String exposed(Map<String, Result> m) {
        if (!m.containsKey("ddp") || !m.containsKey("nosync")) {
            return "-";
        }
        return String.format("%.3f", (m.get("ddp").secondsPerStep() - m.get("nosync").secondsPerStep()) * 1e3);
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    // ---- Torus side: worker JVMs -------------------------------------------------------------

    private Result runTorus(String mode) {
        int n = mode.equals("single") ? 1 : config.ranks();
        String endpoint;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            endpoint = "127.0.0.1:" + s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("bench ddp: no free port: " + e, e);
        }
        String job = "bench-ddp-" + UUID.randomUUID();
        List<String> jvm = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        jvm.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-") || a.startsWith("-D") || a.endsWith("UseTransparentHugePages")).toList());
        // The heap `torus run` gives each of n workers: with a small one (768m: 1 MiB G1 regions) the
        // first layer's 800 KB gradient is a humongous object, and the GCs it triggers took 16 % of a
        // DDP worker's time, stalling its peer too.
        AgentSettings workers = AgentSettings.fromDefaults();
        String heap = workers.heapFor(n);
        jvm.addAll(workers.youngGenFlags(n)); // as `torus run` starts n workers: a small young generation for one only
        jvm.addAll(List.of("-Xmx" + heap, "-cp", System.getProperty("java.class.path"), DdpBench.class.getName(), mode,
                Integer.toString(config.batch()), Integer.toString(config.warmup()), Integer.toString(config.steps()),
                Long.toString(config.firstBucketBytes()), Long.toString(config.bucketBytes())));
        List<Process> procs = new ArrayList<>();
        try {
            for (int r = 0; r < n; r++) {
                ProcessBuilder pb = new ProcessBuilder(jvm).redirectErrorStream(true);
                pb.environment().putAll(new WorkerEnv(r, n, r, endpoint, job, Path.of("."), "cpu").toMap());
                if (r != 0) {
                    pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
                }
                procs.add(watched(pb.start()));
            }
            Map<String, Result> results = collect(procs.get(0), "TORUS");
            for (Process p : procs) {
                if (!p.waitFor(60, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
            return results.get(mode);
        } catch (IOException e) {
            throw new IllegalStateException("bench ddp: cannot start workers: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("bench ddp: interrupted", e);
        } finally {
            procs.forEach(Process::destroyForcibly);
        }
    }

    private Map<String, Result> runTorch() {
        ProcessBuilder pb = new ProcessBuilder(config.python(), config.script().toString(), Integer.toString(config.ranks()),
                Integer.toString(config.batch()), Integer.toString(config.warmup()), Integer.toString(config.steps()))
                .redirectErrorStream(true);
        for (String v : List.of("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")) {
            pb.environment().put(v, "1");
        }
        try {
            Process p = watched(pb.start());
            Map<String, Result> result = collect(p, "TORCH");
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            return result;
        } catch (IOException e) {
            System.err.println("bench ddp: PyTorch reference not run: " + e.getMessage());
            return Map.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Map.of();
        }
    }

    /**
     * Kills {@code p} and every process it started if it is still running after
     * {@link #PROCESS_TIMEOUT_S}, so that a hung side cannot hang the bench. The descendants
     * matter: PyTorch's DDP ranks are children of the script and hold its output pipe open, so
     * killing the script alone would leave the bench reading from a hung gloo rank.
     */
    private static Process watched(Process p) {
        CompletableFuture.delayedExecutor(PROCESS_TIMEOUT_S, TimeUnit.SECONDS).execute(() -> {
            if (p.isAlive()) {
                System.err.println("bench ddp: killing process " + p.pid() + " and its children, still running after "
                        + PROCESS_TIMEOUT_S + " s");
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
        });
        return p;
    }

    private static Map<String, Result> collect(Process p, String side) throws IOException {
        Map<String, Result> byMode = new HashMap<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                Matcher m = LINE.matcher(line);
                if (m.find() && m.group(1).equals(side)) {
                    int steps = Integer.parseInt(m.group(5));
                    double exposed = m.group(8) == null ? Double.NaN : Double.parseDouble(m.group(8));
                    byMode.put(m.group(2), new Result(Double.parseDouble(m.group(6)) / steps,
                            Double.parseDouble(m.group(7)) / steps, exposed));
                } else if (line.contains("ReducerStats") || line.contains("warm-up:")) {
                    System.out.println("  Torus " + line.strip());
                } else if (line.contains("Exception") || line.contains("Error") || line.contains("error")) {
                    System.err.println("  " + line);
                }
            }
        }
        return byMode;
    }

    /**
     * A worker: args MODE BATCH WARMUP STEPS FIRST_BUCKET_BYTES BUCKET_BYTES; for ddp and nosync the job from TORUS_*. Rank 0 prints
     * {@code TORUS mode=M ranks=N batch=B steps=S seconds=T [exposed_us=E]}.
     */
    public static void main(String[] args) {
        String mode = args[0];
        int batch = Integer.parseInt(args[1]);
        int warmup = Integer.parseInt(args[2]);
        int steps = Integer.parseInt(args[3]);
        long firstBucket = Long.parseLong(args[4]);
        long bucket = Long.parseLong(args[5]);
        if (mode.equals("single")) {
            Trainer t = new Trainer(mlp(), batch, 0, null);
            warmUp(t, warmup, null);
            long cpu = cpuNanos();
            long start = System.nanoTime();
            t.steps(steps);
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("TORUS mode=single ranks=1 batch=%d steps=%d seconds=%.6f cpu_seconds=%.6f%n", batch, steps, seconds,
                    (cpuNanos() - cpu) / 1e9);
            return;
        }
        try (ProcessGroup pg = ProcessGroup.fromEnv()) {
            DistributedDataParallel ddp = new DistributedDataParallel(mlp(), pg, firstBucket, bucket);
            Trainer t = new Trainer(ddp, batch, pg.rank(), mode.equals("nosync") ? ddp : null);
            warmUp(t, warmup, pg);
            pg.barrier();
            ReducerStats before = ddp.stats();
            long cpu = cpuNanos();
            long start = System.nanoTime();
            t.steps(steps);
            double seconds = (System.nanoTime() - start) / 1e9;
            double cpuSeconds = (cpuNanos() - cpu) / 1e9;
            ReducerStats after = ddp.stats();
            Tensor slowest = Tensor.wrap(NDArray.of(new double[] {seconds}, 1));
            pg.allReduce(slowest, ReduceOp.MAX);
            seconds = slowest.data().getDouble(0);
            Tensor cpuAll = Tensor.wrap(NDArray.of(new double[] {cpuSeconds}, 1));
            pg.allReduce(cpuAll, ReduceOp.SUM);
            cpuSeconds = cpuAll.data().getDouble(0);
            long reductions = after.reductions() - before.reductions();
            double exposedUs = reductions == 0 ? 0 : (after.exposedNanos() - before.exposedNanos()) / 1e3 / reductions;
            if (pg.rank() == 0) {
                System.out.printf("TORUS mode=%s ranks=%d batch=%d steps=%d seconds=%.6f cpu_seconds=%.6f exposed_us=%.1f%n", mode,
                        pg.worldSize(), batch, steps, seconds, cpuSeconds, exposedUs);
                System.out.println("  " + after);
                System.out.flush();
            }
        }
    }

    /** Warms {@code t} up: the minimum, then blocks of 500 steps (Note [Warm-up until the JIT is quiet] in JitWarmUp). */
    private static void warmUp(Trainer t, int minSteps, ProcessGroup pg) {
        t.steps(minSteps);
        JitWarmUp.Result r = JitWarmUp.run(() -> t.steps(WARMUP_BLOCK), pg, MAX_WARMUP_BLOCKS);
        if (pg == null || pg.rank() == 0) {
            System.out.printf("  warm-up: %d steps; %d-step %s%n", minSteps + r.blocks() * WARMUP_BLOCK, WARMUP_BLOCK, r);
        }
    }

    private static final int WARMUP_BLOCK = 500;
    private static final int MAX_WARMUP_BLOCKS = 20;

    /** CPU time of this whole process (every thread: training, communication, Netty, GC, JIT). */
    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static Module mlp() {
        Tensor.manualSeed(1);
        return new Sequential(new Linear(784, 256), new ReLU(), new Linear(256, 128), new ReLU(), new Linear(128, 10));
    }

    /** Steps of SGD with momentum on {@value #BATCHES} resident random batches (rank-specific data). */
    private static final class Trainer {
        private final Module model;
        private final DistributedDataParallel noSync;
        private final SGD opt;
        private final CrossEntropyLoss loss = new CrossEntropyLoss();
        private final Tensor[] inputs = new Tensor[BATCHES];
        private final Tensor[] targets = new Tensor[BATCHES];
        private int next;

        /** @param noSync the DDP module whose every backward runs in its noSync scope, or null */
        Trainer(Module model, int batch, int rank, DistributedDataParallel noSync) {
            this.model = model;
            this.noSync = noSync;
            this.opt = new SGD(model.parameters(), 0.01, 0.9);
            Tensor.manualSeed(100 + rank);
            for (int i = 0; i < BATCHES; i++) {
                inputs[i] = Tensor.randn(batch, 784);
                targets[i] = Tensor.randint(0, 10, batch);
            }
        }

        void steps(int n) {
            for (int k = 0; k < n; k++) {
                int i = next++ % BATCHES;
                opt.zeroGrad();
                Tensor l = loss.forward(model.forward(inputs[i]), targets[i]);
                if (noSync != null) {
                    try (var scope = noSync.noSync()) {
                        l.backward();
                    }
                } else {
                    l.backward();
                }
                opt.step();
            }
        }
    }
}
