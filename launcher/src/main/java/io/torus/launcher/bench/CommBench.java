package io.torus.launcher.bench;

import io.torus.autograd.Tensor;
import io.torus.comm.ProcessGroup;
import io.torus.comm.ReduceOp;
import io.torus.comm.WorkerEnv;
import io.torus.launcher.agent.AgentSettings;
import io.torus.tensor.DType;

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
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/*
 * torus bench comm: all-reduce bus bandwidth of Torus, N worker JVMs on this machine joined
 * through the real rendezvous (ProcessGroups.join), once per transport (shared memory, then Netty
 * on 127.0.0.1, forced with torus.comm.transport), beside PyTorch's gloo backend run the same way
 * (scripts/bench/gloo_allreduce.py, N Python processes), all taking turns on the CPU, and beside
 * iperf3's one-stream TCP loopback figure measured in the same run. The load average is printed
 * before and after: on a shared machine only the side-by-side ratios mean much.
 *
 * Bus bandwidth follows nccl-tests: 2 (N - 1)/N x bytes / time, the traffic each link of a ring
 * carries, so figures for different N compare directly with the link speed (iperf3 loopback).
 * Time: the median over iterations of the slowest rank's all-reduce (each iteration starts after a
 * barrier), float32 tensors of S MiB, after warmups(S) untimed ones.
 */
public final class CommBench {
    private static final Pattern GLOO = Pattern.compile("GLOO ranks=(\\d+) mib=(\\d+) seconds=([0-9.]+) busbw_gbs=([0-9.]+)");
    private static final Pattern TORUS = Pattern.compile("TORUS ranks=(\\d+) mib=(\\d+) seconds=([0-9.]+) busbw_gbs=([0-9.]+)");

    private static final int MAX_WARMUP_BLOCKS = 10;

    private final int[] ranks;
    private final int[] sizesMib;
    private final int iters;
    private final String python;
    private final Path glooScript;
    private final List<String> transports;

    public CommBench(int[] ranks, int[] sizesMib, int iters, String python, Path glooScript) {
        this(ranks, sizesMib, iters, python, glooScript, List.of("shm", "netty"));
    }

    /** @param transports the values of {@code torus.comm.transport} to measure, in order (shm, netty, auto) */
    public CommBench(int[] ranks, int[] sizesMib, int iters, String python, Path glooScript, List<String> transports) {
        for (String t : transports) {
            if (!List.of("shm", "netty", "auto").contains(t)) {
                throw new IllegalArgumentException("bench comm: transport '" + t + "': expected shm, netty or auto");
            }
        }
        if (transports.isEmpty()) {
            throw new IllegalArgumentException("bench comm: no transport: expected one or more of shm, netty, auto");
        }
        this.transports = List.copyOf(transports);
        this.ranks = ranks.clone();
        this.sizesMib = sizesMib.clone();
        this.iters = iters;
        this.python = python;
        this.glooScript = glooScript;
    }

    /** Runs every side for every world size and prints the table; 0 on success. */
    public int run(PrintStream out) {
        out.printf("all-reduce bus bandwidth, float32, this machine, GB/s (10^9 B/s); %d cores; load average %s%n",
                Runtime.getRuntime().availableProcessors(), loadAverage());
        StringBuilder header = new StringBuilder(String.format("%5s %8s", "ranks", "MiB"));
        for (String t : transports) {
            header.append(String.format(" %10s", "torus-" + t));
        }
        header.append(String.format(" %10s", "gloo"));
        for (String t : transports) {
            header.append(String.format(" %11s", t + "/gloo"));
        }
        out.println(header);
        for (int n : ranks) {
            List<Map<Integer, Double>> torus = new ArrayList<>();
            for (String t : transports) {
                torus.add(runTorus(n, t));
            }
            Map<Integer, Double> gloo = glooScript != null && Files.exists(glooScript) ? runGloo(n) : Map.of();
            for (int mib : sizesMib) {
                StringBuilder row = new StringBuilder(String.format("%5d %8d", n, mib));
                for (Map<Integer, Double> m : torus) {
                    row.append(String.format(" %10s", fmt(m.get(mib))));
                }
                Double g = gloo.get(mib);
                row.append(String.format(" %10s", fmt(g)));
                for (Map<Integer, Double> m : torus) {
                    Double t = m.get(mib);
                    row.append(String.format(" %11s", t != null && g != null ? String.format("%.2fx", t / g) : "-"));
                }
                out.println(row);
            }
        }
        Double iperf = iperf3LoopbackGBs();
        out.printf("iperf3 TCP loopback, one stream, 3 s: %s GB/s%n", iperf == null ? "- (iperf3 not run)" : fmt(iperf));
        out.printf("load average after: %s%n", loadAverage());
        return 0;
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /** One iperf3 client stream to a one-shot iperf3 server on 127.0.0.1 for 3 s, in GB/s; null if iperf3 is missing. */
    static Double iperf3LoopbackGBs() {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        } catch (IOException e) {
            return null;
        }
        Process server = null;
        try {
            server = new ProcessBuilder("iperf3", "-s", "-1", "-B", "127.0.0.1", "-p", Integer.toString(port))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            Pattern sender = Pattern.compile("([0-9.]+) Gbits/sec.*sender");
            for (int attempt = 0; attempt < 20; attempt++) {
                Process client = new ProcessBuilder("iperf3", "-c", "127.0.0.1", "-p", Integer.toString(port), "-t", "3")
                        .redirectErrorStream(true).start();
                String text = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                client.waitFor(30, TimeUnit.SECONDS);
                Matcher m = sender.matcher(text);
                if (m.find()) {
                    return Double.parseDouble(m.group(1)) / 8;
                }
                if (!text.contains("Connection refused")) {
                    return null;
                }
                Thread.sleep(100); // the server is still starting: not synchronisation of results, a retry
            }
            return null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } finally {
            if (server != null) {
                server.destroyForcibly();
            }
        }
    }

    private static String fmt(Double v) {
        return v == null ? "-" : String.format("%.3f", v);
    }

    private Map<Integer, Double> runTorus(int n, String transport) {
        String endpoint;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            endpoint = "127.0.0.1:" + s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("bench comm: no free port: " + e, e);
        }
        String job = "bench-comm-" + UUID.randomUUID();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> jvm = new ArrayList<>(List.of(java));
        jvm.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-") || a.startsWith("-D") || a.endsWith("UseTransparentHugePages")).toList());
        jvm.add("-Dtorus.comm.transport=" + transport);
        jvm.addAll(AgentSettings.fromDefaults().youngGenFlags(n)); // as `torus run` starts n workers
        jvm.addAll(List.of("-Xmx" + Math.max(512, 4 * maxMib() + 256) + "m", "-cp", System.getProperty("java.class.path"),
                CommBench.class.getName(), joinInts(sizesMib), Integer.toString(iters)));
        List<Process> procs = new ArrayList<>();
        try {
            for (int r = 0; r < n; r++) {
                ProcessBuilder pb = new ProcessBuilder(jvm).redirectErrorStream(true);
                pb.environment().putAll(new WorkerEnv(r, n, r, endpoint, job, Path.of("."), "cpu").toMap());
                pb.environment().remove("TORUS_COMM_TRANSPORT");
                if (r != 0) {
                    pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
                }
                procs.add(pb.start());
            }
            Map<Integer, Double> result = collect(procs.get(0), TORUS);
            for (Process p : procs) {
                if (!p.waitFor(60, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
            return result;
        } catch (IOException e) {
            throw new IllegalStateException("bench comm: cannot start workers: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("bench comm: interrupted", e);
        } finally {
            procs.forEach(Process::destroyForcibly);
        }
    }

    private Map<Integer, Double> runGloo(int n) {
        ProcessBuilder pb = new ProcessBuilder(python, glooScript.toString(), Integer.toString(n), joinInts(sizesMib),
                Integer.toString(iters)).redirectErrorStream(true);
        pb.environment().put("OMP_NUM_THREADS", "1");
        try {
            Process p = pb.start();
            Map<Integer, Double> result = collect(p, GLOO);
            p.waitFor(60, TimeUnit.SECONDS);
            return result;
        } catch (IOException e) {
            System.err.println("bench comm: gloo reference not run: " + e.getMessage());
            return Map.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Map.of();
        }
    }

    private static Map<Integer, Double> collect(Process p, Pattern pattern) throws IOException {
        Map<Integer, Double> byMib = new LinkedHashMap<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                Matcher m = pattern.matcher(line);
                if (m.find()) {
                    byMib.put(Integer.parseInt(m.group(2)), Double.parseDouble(m.group(4)));
                } else if (line.contains("still busy")) {
                    System.out.println(line);
                } else if (line.contains("Exception") || line.contains("Error")) {
                    System.err.println("  " + line);
                }
            }
        }
        return byMib;
    }

    private int maxMib() {
        return Arrays.stream(sizesMib).max().orElse(1);
    }

    private static String joinInts(int[] values) {
        return String.join(",", Arrays.stream(values).mapToObj(Integer::toString).toList());
    }

    /**
     * Untimed all-reduces before each size: at least 256 MiB or 3, the same count on every rank (and
     * in gloo_allreduce.py). A single one left the JIT compiling the Netty and copy paths during
     * the timed iterations, a few seconds of CPU per worker JVM on two cores. Then blocks of
     * max(2, 64 / mib) until the JIT is quiet, at most MAX_WARMUP_BLOCKS (Note [Warm-up until the JIT
     * is quiet] in JitWarmUp); a cell whose JIT never settled says so.
     */
    static int warmups(int mib) {
        return Math.max(3, 256 / Math.max(1, mib));
    }

    /** A worker: args SIZES_MIB ITERS; the job from TORUS_*; rank 0 prints one TORUS line per size. */
    public static void main(String[] args) {
        int[] sizes = Arrays.stream(args[0].split(",")).mapToInt(Integer::parseInt).toArray();
        int iters = Integer.parseInt(args[1]);
        try (ProcessGroup pg = ProcessGroup.fromEnv()) {
            int n = pg.worldSize();
            Tensor elapsed = Tensor.zeros(DType.FLOAT64, 1);
            for (int mib : sizes) {
                Tensor t = Tensor.zeros((int) ((long) mib * (1 << 20) / Float.BYTES));
                int count = Math.max(3, Math.min(iters, 2048 / mib));
                for (int w = 0; w < warmups(mib); w++) {
                    pg.allReduce(t, ReduceOp.SUM);
                }
                int perBlock = Math.max(2, 64 / mib);
                JitWarmUp.Result warm = JitWarmUp.run(() -> {
                    for (int w = 0; w < perBlock; w++) {
                        pg.allReduce(t, ReduceOp.SUM);
                    }
                }, pg, MAX_WARMUP_BLOCKS);
                double[] times = new double[count];
                for (int k = 0; k < count; k++) {
                    pg.barrier();
                    long start = System.nanoTime();
                    pg.allReduce(t, ReduceOp.SUM);
                    elapsed.data().setDouble(0, (System.nanoTime() - start) / 1e9);
                    pg.allReduce(elapsed, ReduceOp.MAX);
                    times[k] = elapsed.data().getDouble(0);
                }
                Arrays.sort(times);
                double median = times[count / 2];
                double busbw = 2.0 * (n - 1) / n * mib * (1 << 20) / median / 1e9;
                if (pg.rank() == 0) {
                    System.out.printf("TORUS ranks=%d mib=%d seconds=%.6f busbw_gbs=%.3f%n", n, mib, median, busbw);
                    System.out.printf("  warm-up of %d ranks x %d MiB: %d + %d-all-reduce %s%n", n, mib, warmups(mib), perBlock, warm);
                    System.out.flush();
                }
            }
        }
    }
}
