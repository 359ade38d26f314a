package io.torus.launcher.bench;

import io.torus.autograd.Tensor;
import io.torus.comm.ProcessGroup;
import io.torus.comm.ReduceOp;
import io.torus.comm.WorkerEnv;
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
 * torus bench comm: all-reduce bus bandwidth of Torus over Netty on 127.0.0.1, N worker JVMs
 * joined through the real rendezvous (ProcessGroups.join), beside PyTorch's gloo backend run the
 * same way (scripts/bench/gloo_allreduce.py, N Python processes), the two taking turns on the CPU.
 *
 * Bus bandwidth follows nccl-tests: 2 (N - 1)/N x bytes / time, the traffic each link of a ring
 * carries, so figures for different N compare directly with the link speed (iperf3 loopback).
 * Time: the median over iterations of the slowest rank's all-reduce (each iteration starts after a
 * barrier), float32 tensors of S MiB.
 */
public final class CommBench {
    private static final Pattern GLOO = Pattern.compile("GLOO ranks=(\\d+) mib=(\\d+) seconds=([0-9.]+) busbw_gbs=([0-9.]+)");
    private static final Pattern TORUS = Pattern.compile("TORUS ranks=(\\d+) mib=(\\d+) seconds=([0-9.]+) busbw_gbs=([0-9.]+)");

    private final int[] ranks;
    private final int[] sizesMib;
    private final int iters;
    private final String python;
    private final Path glooScript;

    public CommBench(int[] ranks, int[] sizesMib, int iters, String python, Path glooScript) {
        this.ranks = ranks.clone();
        this.sizesMib = sizesMib.clone();
        this.iters = iters;
        this.python = python;
        this.glooScript = glooScript;
    }

    /** Runs both sides for every world size and prints the table; 0 on success. */
    public int run(PrintStream out) {
        out.printf("all-reduce bus bandwidth, float32, 127.0.0.1, GB/s (10^9 B/s); %d cores%n",
                Runtime.getRuntime().availableProcessors());
        out.printf("%5s %8s %12s %12s %8s%n", "ranks", "MiB", "torus", "gloo", "ratio");
        for (int n : ranks) {
            Map<Integer, Double> torus = runTorus(n);
            Map<Integer, Double> gloo = glooScript != null && Files.exists(glooScript) ? runGloo(n) : Map.of();
            for (int mib : sizesMib) {
                Double t = torus.get(mib);
                Double g = gloo.get(mib);
                out.printf("%5d %8d %12s %12s %8s%n", n, mib, fmt(t), fmt(g),
                        t != null && g != null ? String.format("%.2fx", t / g) : "-");
            }
        }
        return 0;
    }

    private static String fmt(Double v) {
        return v == null ? "-" : String.format("%.3f", v);
    }

    private Map<Integer, Double> runTorus(int n) {
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
                .filter(a -> a.startsWith("--add-") || a.startsWith("-D")).toList());
        jvm.addAll(List.of("-Xmx" + Math.max(512, 4 * maxMib() + 256) + "m", "-cp", System.getProperty("java.class.path"),
                CommBench.class.getName(), joinInts(sizesMib), Integer.toString(iters)));
        List<Process> procs = new ArrayList<>();
        try {
            for (int r = 0; r < n; r++) {
                ProcessBuilder pb = new ProcessBuilder(jvm).redirectErrorStream(true);
                pb.environment().putAll(new WorkerEnv(r, n, r, endpoint, job, Path.of("."), "cpu").toMap());
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
                pg.allReduce(t, ReduceOp.SUM); // warm-up
                double[] times = new double[count];
                for (int k = 0; k < count; k++) {
                    pg.barrier();
                    long start = System.nanoTime();
                    pg.allReduce(t, ReduceOp.SUM);
                    ((double[]) elapsed.data().storage().array())[0] = (System.nanoTime() - start) / 1e9;
                    pg.allReduce(elapsed, ReduceOp.MAX);
                    times[k] = ((double[]) elapsed.data().storage().array())[0];
                }
                Arrays.sort(times);
                double median = times[count / 2];
                double busbw = 2.0 * (n - 1) / n * mib * (1 << 20) / median / 1e9;
                if (pg.rank() == 0) {
                    System.out.printf("TORUS ranks=%d mib=%d seconds=%.6f busbw_gbs=%.3f%n", n, mib, median, busbw);
                    System.out.flush();
                }
            }
        }
    }
}
