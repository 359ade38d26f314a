package io.torus.comm;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Failures with real processes: three workers, each its own JVM joined through
 * {@link ProcessGroups#join} (Hazelcast rendezvous, Netty ring), running all-reduces of 16 MiB
 * back to back ({@link FailureWorkerMain}). Rank 1 is killed ({@code kill -9}) or frozen
 * ({@code kill -STOP}) in the middle; ranks 0 and 2 must fail within 10 s naming rank 1, and so
 * must their next collective. Ranks that issue different collectives or sizes are reported with
 * the ranks and sequence numbers. Detection times are printed ({@code DETECTED ...}). The workers
 * are forced onto {@link #transport()} ({@code torus.comm.transport}); subclasses run the same
 * tests over another transport.
 */
class RealProcessFailureTest {
    private static final int N = 3;
    private static final long DETECT_LIMIT_MILLIS = 10_000;
    private final List<Worker> workers = new ArrayList<>();

    private record Worker(Process process, BlockingQueue<String> lines) {
        /** The next line starting with one of {@code prefixes}, waiting at most {@code millis}. */
        String await(long millis, String... prefixes) throws InterruptedException {
            long deadline = System.currentTimeMillis() + millis;
            for (long left; (left = deadline - System.currentTimeMillis()) > 0; ) {
                String line = lines.poll(left, TimeUnit.MILLISECONDS);
                if (line == null) {
                    break;
                }
                for (String p : prefixes) {
                    if (line.startsWith(p)) {
                        return line;
                    }
                }
            }
            return null;
        }
    }

    /** The {@code torus.comm.transport} the workers run with. */
    String transport() {
        return "netty";
    }

    /** The transport class the workers must report joining over. */
    String transportClass() {
        return "NettyTransport";
    }

    @AfterEach
    void stopAll() {
        for (Worker w : workers) {
            signal("CONT", w.process);
            w.process.destroyForcibly();
        }
    }

    @Test
    void killedWorker_othersFailWithinTenSecondsNamingIt() throws Exception {
        startJob("loop");
        awaitSteps(3);
        long t0 = System.currentTimeMillis();
        workers.get(1).process.destroyForcibly(); // SIGKILL
        assertSurvivorsFailNaming1("kill -9", t0);
    }

    @Test
    void frozenWorker_othersFailWithinTenSecondsNamingIt() throws Exception {
        startJob("loop");
        awaitSteps(3);
        long t0 = System.currentTimeMillis();
        signal("STOP", workers.get(1).process);
        assertSurvivorsFailNaming1("SIGSTOP", t0);
    }

    @Test
    void mismatchedCollectivesAndSizes_areReportedWithRanksAndSequenceNumbers() throws Exception {
        for (String mode : new String[] {"mismatch-op", "mismatch-size"}) {
            startJob(mode);
            List<String> failures = new ArrayList<>();
            for (int r = 0; r < N; r++) {
                String line = workers.get(r).await(120_000, "FAILED", "DONE");
                assertTrue(line != null && line.startsWith("FAILED"), mode + ": rank " + r + " said " + line);
                failures.add(line);
            }
            String all = String.join("\n", failures);
            System.out.println("MISMATCH " + mode + ":\n" + all);
            assertTrue(all.contains("CollectiveMismatchException"), all);
            assertTrue(all.contains("collective " + FailureWorkerMain.MISMATCH_AT), all);
            assertTrue(all.contains("every rank must issue the same collectives"), all);
            assertTrue(java.util.regex.Pattern.compile("rank \\d expected \\d+ elements for chunk \\d+ of collective "
                    + FailureWorkerMain.MISMATCH_AT + " from rank \\d but received \\d+").matcher(all).find(), all);
            for (Worker w : workers) {
                w.process.destroyForcibly().waitFor();
            }
            workers.clear();
        }
    }

    private void assertSurvivorsFailNaming1(String how, long t0) throws InterruptedException {
        for (int r : new int[] {0, 2}) {
            Worker w = workers.get(r);
            String failed = w.await(DETECT_LIMIT_MILLIS + 5_000, "FAILED");
            if (failed == null) {
                fail(how + ": rank " + r + " did not fail within " + (DETECT_LIMIT_MILLIS + 5_000) + " ms");
            }
            String[] parts = failed.split(" ", 3);
            long millis = Long.parseLong(parts[1]) - t0;
            System.out.println("DETECTED " + how + " of rank 1 on rank " + r + " after " + millis + " ms: " + parts[2]);
            assertTrue(millis <= DETECT_LIMIT_MILLIS, how + ": rank " + r + " took " + millis + " ms");
            assertTrue(parts[2].contains("PeerLostException") && parts[2].contains(": rank 1 "), parts[2]);
            String later = w.await(5_000, "LATER");
            assertTrue(later != null && later.contains("rank 1") && !later.contains("succeeded"), "rank " + r + ": " + later);
        }
    }

    private void awaitSteps(int steps) throws InterruptedException {
        for (int r = 0; r < N; r++) {
            String joined = workers.get(r).await(120_000, "JOINED", "FAILED");
            assertTrue(joined != null && joined.contains(transportClass()), "rank " + r + " said " + joined);
            for (int k = 0; k < steps; k++) {
                String line = workers.get(r).await(120_000, "STEP", "FAILED", "WRONG");
                assertTrue(line != null && line.startsWith("STEP"), "rank " + r + " said " + line);
            }
        }
    }

    private void startJob(String mode) throws IOException {
        String endpoint;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            endpoint = "127.0.0.1:" + s.getLocalPort();
        }
        String job = "failure-test-" + UUID.randomUUID();
        for (int r = 0; r < N; r++) {
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx384m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Dtorus.comm.transport=" + transport(),
                    "-cp", System.getProperty("java.class.path"), FailureWorkerMain.class.getName(), mode)
                    .redirectErrorStream(true);
            pb.environment().putAll(new WorkerEnv(r, N, r, endpoint, job, Path.of("."), "cpu").toMap());
            Process p = pb.start();
            BlockingQueue<String> lines = new LinkedBlockingQueue<>();
            Thread reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = in.readLine()) != null; ) {
                        lines.add(line);
                    }
                } catch (IOException ignored) {
                    // the process is gone
                }
            }, "worker-" + r + "-stdout");
            reader.setDaemon(true);
            reader.start();
            workers.add(new Worker(p, lines));
        }
    }

    private static void signal(String signal, Process p) {
        try {
            int rc = new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start().waitFor();
            if (signal.equals("STOP")) {
                assertEquals(0, rc, "kill -STOP");
            }
        } catch (IOException | InterruptedException e) {
            throw new AssertionError("kill -" + signal + ": " + e, e);
        }
    }
}
