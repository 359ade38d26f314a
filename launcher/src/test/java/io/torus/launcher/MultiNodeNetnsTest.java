package io.torus.launcher;

import io.torus.launcher.agent.AgentSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two machines for real: two network namespaces joined by a veth pair, each with its own
 * addresses and nothing else (not even a shared loopback), one {@code torus run --nnodes 2} agent
 * in each. They meet at node 0's veth address, train mnist-mlp on the committed subset across the
 * pair, and both must exit 0 with a world size of 2.
 *
 * <p>Needs {@code ip netns} (root, or CAP_SYS_ADMIN and CAP_NET_ADMIN): skipped with the reason
 * where the kernel or the permissions forbid namespaces. Namespace, link and subnet names are
 * unique per run; the namespaces (and the veth pair with them) are deleted afterwards, and every
 * process started here is killed.
 */
class MultiNodeNetnsTest {
    private static final Path SUBSET = TestSupport.projectRoot().resolve("testdata/mnist-small");
    private static final String TAG = Long.toString(ProcessHandle.current().pid() % 100_000)
            + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36), 36);
    private static final String[] NS = {"torus-" + TAG + "-n0", "torus-" + TAG + "-n1"};
    private static final String[] VETH = {"tv" + TAG + "a", "tv" + TAG + "b"};
    private static final int SUBNET = ThreadLocalRandom.current().nextInt(1, 255);
    private static final String[] ADDRESS = {"10.213." + SUBNET + ".1", "10.213." + SUBNET + ".2"};
    private static final List<Process> started = new ArrayList<>();
    private static final List<String> createdNamespaces = new ArrayList<>();

    @TempDir
    Path tmp;

    @BeforeAll
    static void createNamespaces() throws Exception {
        Result probe = ip("netns", "add", NS[0]);
        Assumptions.assumeTrue(probe.code() == 0, () -> "network namespaces are not available here (`ip netns add` "
                + "exit " + probe.code() + ": " + probe.output().strip() + "): needs root or CAP_SYS_ADMIN + CAP_NET_ADMIN");
        createdNamespaces.add(NS[0]);
        check(ip("netns", "add", NS[1]));
        createdNamespaces.add(NS[1]);
        check(ip("link", "add", VETH[0], "type", "veth", "peer", "name", VETH[1]));
        for (int n = 0; n < 2; n++) {
            check(ip("link", "set", VETH[n], "netns", NS[n]));
            check(ip("-n", NS[n], "addr", "add", ADDRESS[n] + "/24", "dev", VETH[n]));
            check(ip("-n", NS[n], "link", "set", VETH[n], "up"));
            check(ip("-n", NS[n], "link", "set", "lo", "up"));
        }
    }

    @AfterAll
    static void cleanUp() throws Exception {
        for (Process p : started) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        for (String ns : createdNamespaces) {
            ip("netns", "del", ns); // takes its end of the veth pair, and so the pair, along
        }
    }

    @Test
    void run_twoNodesInTwoNetworkNamespaces_trainTogether() throws Exception {
        String secret = HexFormat.of().formatHex(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
        String endpoint = ADDRESS[0] + ":29400";
        List<Process> agents = new ArrayList<>();
        long start = System.nanoTime();
        for (int node = 0; node < 2; node++) {
            List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", NS[node],
                    ProcessHandle.current().info().command().orElse("java"), "-Xmx256m",
                    "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-cp", System.getProperty("java.class.path"),
                    // small, quick-starting workers: the build machine has two cores
                    "-Dtorus.worker.heap=384m", "-Dtorus.worker.jvm-opts=-XX:+UseSerialGC -XX:TieredStopAtLevel=1",
                    "-Dlog4j2.configurationFile=" + TestSupport.projectRoot().resolve("conf/log4j2.xml"),
                    "-Dhazelcast.logging.type=log4j2",
                    TorusCli.class.getName(), "run", "--nnodes", "2", "--node-rank", Integer.toString(node),
                    "--rdzv-endpoint", endpoint, "--run-dir", tmp.resolve("node" + node).toString(),
                    "mnist-mlp", "--data", SUBSET.toString(), "--epochs", "1", "--batch-size", "64"));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(tmp.resolve("agent" + node + ".out").toFile());
            pb.environment().put("TORUS_JOB_SECRET", secret);
            Process p = pb.start();
            started.add(p);
            agents.add(p);
        }
        for (int node = 0; node < 2; node++) {
            boolean exited = agents.get(node).waitFor(170, TimeUnit.SECONDS);
            String out = Files.readString(tmp.resolve("agent" + node + ".out"));
            System.out.println("---- node " + node + " (" + NS[node] + ", " + ADDRESS[node] + ") ----\n" + out);
            assertTrue(exited, "node " + node + " still running after 170 s:\n" + out);
            assertEquals(0, agents.get(node).exitValue(), "node " + node + ":\n" + out);
        }
        System.out.printf("two namespaces trained in %.1f s%n", (System.nanoTime() - start) / 1e9);
        for (int rank = 0; rank < 2; rank++) {
            String log = Files.readString(tmp.resolve("node" + rank).resolve("rank-" + rank + ".log"));
            assertTrue(log.contains("rank " + rank + "/2: "), log);
            assertTrue(log.contains("rank " + rank + " of 2 joined job 'torus-mnist-mlp-" + ADDRESS[0] + "-29400'"), log);
        }
        String log0 = Files.readString(tmp.resolve("node0/rank-0.log"));
        assertTrue(log0.contains("epoch 1/1  loss "), log0);
        assertTrue(Files.exists(tmp.resolve("node0/metrics.csv")), "rank 0 writes the metrics");
        assertFalse(Files.exists(tmp.resolve("node1/metrics.csv")), "rank 1 writes no metrics");
    }

    private record Result(int code, String output) {
    }

    private static Result ip(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add("ip");
        cmd.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            return new Result(127, "cannot run ip: " + e.getMessage());
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Result(124, String.join(" ", cmd) + " timed out");
        }
        return new Result(p.exitValue(), String.join(" ", cmd) + ": " + out);
    }

    private static void check(Result r) {
        assertEquals(0, r.code(), r.output());
    }
}
