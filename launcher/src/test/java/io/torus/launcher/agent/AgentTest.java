package io.torus.launcher.agent;

import io.torus.launcher.LaunchConfig;
import io.torus.launcher.TestSupport;
import io.torus.launcher.TestSupport.Lines;
import io.torus.launcher.testjobs.AllReduceJob;
import io.torus.launcher.testjobs.BlockingJob;
import io.torus.launcher.testjobs.FailOnceJob;
import io.torus.launcher.testjobs.HaltMidRunJob;
import io.torus.launcher.testjobs.JobFiles;
import io.torus.launcher.testjobs.RankOneFailsJob;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent with real worker JVMs: jobs that join the group and communicate, and jobs that block
 * or fail before joining, which test the agent alone.
 */
class AgentTest {
    @TempDir
    Path tmp;

    private final Lines console = new Lines(null);
    private final Lines messages = new Lines(null);
    private final List<Long> pidsToReap = new ArrayList<>();

    private Agent agent() {
        // Small, quick-starting workers: the build machine has two cores.
        AgentSettings s = AgentSettings.fromDefaults().withWorkerHeap("384m")
                .withExtraJvmFlags("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1")
                .withKillGrace(Duration.ofSeconds(3)).withOutput(console.stream, messages.stream);
        return new Agent(s);
    }

    private LaunchConfig.Builder config(Class<?> job, int nproc) {
        return LaunchConfig.builder(job.getName()).jobClass(job.getName()).nprocPerNode(nproc)
                .runDir(tmp.resolve("run"));
    }

    /** Safety net for a failed test: no worker may outlive it. */
    @AfterEach
    void killLeftovers() {
        pidsToReap.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    }

    private long pid(Path file) throws Exception {
        long pid = JobFiles.readPid(file);
        pidsToReap.add(pid);
        return pid;
    }

    @Test
    void run_twoWorkersAllReduce_exitsZeroWithRankLogs() throws Exception {
        LaunchConfig c = config(AllReduceJob.class, 2).jobArgs("--lr", "0.1", "two words", "--help").build();
        int code = assertTimeoutPreemptively(Duration.ofSeconds(120), () -> agent().run(c));
        assertEquals(0, code, messages.text());
        for (int r = 0; r < 2; r++) {
            String log = Files.readString(c.runDir().resolve("rank-" + r + ".log"));
            assertTrue(log.contains("allReduce ok [3.0, 30.0] on rank " + r + " of 2, local rank " + r), log);
            assertTrue(console.text().contains("[rank " + r + "] allReduce ok"), console.text());
            assertEquals(List.of("--lr", "0.1", "two words", "--help"),
                    Files.readAllLines(c.runDir().resolve("rank-" + r + ".args")));
        }
    }

    @Test
    void run_workerHaltsMidRun_failsNamingRankAndStopsEverything() throws Exception {
        LaunchConfig c = config(HaltMidRunJob.class, 2).build();
        int code = assertTimeoutPreemptively(Duration.ofSeconds(120), () -> agent().run(c));
        long returned = System.currentTimeMillis();

        assertEquals(Agent.EXIT_FAILED, code);
        assertTrue(messages.text().contains("rank 1 failed (exit code 3)"), messages.text());
        assertTrue(messages.text().contains("halting now"), "quotes the log tail: " + messages.text());
        long halted = Long.parseLong(Files.readString(c.runDir().resolve("halt-millis")).trim());
        assertTrue(returned - halted < 15_000, "agent took " + (returned - halted) + " ms after the halt");
        for (String f : List.of("rank-0.pid", "rank-1.pid", "child-0.pid")) {
            assertFalse(TestSupport.isAlive(pid(c.runDir().resolve(f))), f + " survived");
        }
    }

    @Test
    void run_workerKilled_stopsOthersAndTheirDescendants() throws Exception {
        LaunchConfig c = config(BlockingJob.class, 2).build();
        Path dir = c.runDir();
        assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
            CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> {
                try {
                    return agent().run(c);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            console.await(l -> l.startsWith("[rank 0] ready")).get();
            console.await(l -> l.startsWith("[rank 1] ready")).get();
            long rank0 = pid(dir.resolve("rank-0.pid"));
            long child = pid(dir.resolve("child-0.pid"));
            long rank1 = pid(dir.resolve("rank-1.pid"));
            assertTrue(TestSupport.isAlive(child));

            long killed = System.nanoTime();
            ProcessHandle.of(rank1).orElseThrow().destroyForcibly();   // kill -9
            int code = run.get();
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);

            assertEquals(Agent.EXIT_FAILED, code);
            assertTrue(tookMillis < 15_000, "agent took " + tookMillis + " ms");
            assertTrue(messages.text().contains("rank 1 failed (exit code 137, probably killed by signal 9 (SIGKILL))"),
                    messages.text());
            assertTrue(messages.text().contains("    ready pid=" + rank1), "quotes rank 1's log: " + messages.text());
            assertFalse(TestSupport.isAlive(rank0), "rank 0 survived");
            // The grandchild is not ours to reap: wait (bounded) for its exit event.
            ProcessHandle.of(child).ifPresent(h -> h.onExit().orTimeout(10, TimeUnit.SECONDS).join());
            assertFalse(TestSupport.isAlive(child), "rank 0's child survived");
            assertTrue(Files.readString(dir.resolve("rank-1.log")).contains("ready pid=" + rank1));
            assertAllGone(JobFiles.agentReportedPids(dir));
        });
    }

    /** Every pid the agent reported: gone by the time {@code run} returned (it waits for each exit). */
    private void assertAllGone(List<Long> pids) {
        pidsToReap.addAll(pids);
        for (long pid : pids) {
            assertFalse(TestSupport.isAlive(pid), "worker pid " + pid + " survived");
        }
    }

    @Test
    void run_restartsExhausted_failsAndStopsEveryGeneration() throws Exception {
        LaunchConfig c = config(RankOneFailsJob.class, 2).maxRestarts(1).build();
        int code = assertTimeoutPreemptively(Duration.ofSeconds(120), () -> agent().run(c));

        assertEquals(Agent.EXIT_FAILED, code);
        String text = messages.text();
        assertTrue(text.contains("restarting the workers (restart 1 of 1)"), text);
        assertEquals(2, text.split("rank 1 failed \\(exit code 1\\)", -1).length - 1, "one failure per generation: " + text);
        assertTrue(text.contains("planned failure of rank 1 in generation 1"), "quotes the last generation's log: " + text);
        List<String> generations = Files.readAllLines(c.runDir().resolve(Agent.WORKER_PIDS));
        assertEquals(4, generations.size(), generations.toString());
        assertTrue(generations.get(2).startsWith("1 0 ") && generations.get(3).startsWith("1 1 "), generations.toString());
        assertAllGone(JobFiles.agentReportedPids(c.runDir()));
        long child = pid(c.runDir().resolve("child-0.pid"));
        ProcessHandle.of(child).ifPresent(h -> h.onExit().orTimeout(10, TimeUnit.SECONDS).join());
        assertFalse(TestSupport.isAlive(child), "rank 0's child survived");
    }

    @Test
    void run_twoAgentsAsTwoNodes_formOneGroup() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        String endpoint = "127.0.0.1:" + port;
        List<LaunchConfig> nodes = new ArrayList<>();
        for (int node = 0; node < 2; node++) {
            nodes.add(LaunchConfig.builder(AllReduceJob.class.getName()).jobClass(AllReduceJob.class.getName())
                    .nnodes(2).nodeRank(node).nprocPerNode(1).rdzvEndpoint(endpoint)
                    .runDir(tmp.resolve("node" + node)).jobArgs("node" + node).build());
        }
        assertEquals(nodes.get(0).jobId(), nodes.get(1).jobId(), "both nodes derive the same job id");
        List<CompletableFuture<Integer>> runs = nodes.stream().map(c -> CompletableFuture.supplyAsync(() -> {
            try {
                return agent().run(c);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        })).toList();
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            assertEquals(0, runs.get(0).get(), messages.text() + console.text());
            assertEquals(0, runs.get(1).get(), messages.text() + console.text());
        });
        for (int node = 0; node < 2; node++) {
            Path dir = nodes.get(node).runDir();
            String log = Files.readString(dir.resolve("rank-" + node + ".log"));
            assertTrue(log.contains("allReduce ok [3.0, 30.0] on rank " + node + " of 2, local rank 0"), log);
            assertEquals(List.of("node" + node), Files.readAllLines(dir.resolve("rank-" + node + ".args")));
            assertAllGone(JobFiles.agentReportedPids(dir));
        }
    }

    @Test
    void run_failureWithRestartLeft_restartsTheGroup() throws Exception {   // second attempt needs comm
        LaunchConfig c = config(FailOnceJob.class, 1).maxRestarts(1).build();
        int code = assertTimeoutPreemptively(Duration.ofSeconds(120), () -> agent().run(c));
        String log = Files.readString(c.runDir().resolve("rank-0.log"));
        assertTrue(messages.text().contains("rank 0 failed (exit code 1)"), messages.text());
        assertTrue(messages.text().contains("planned failure in the first attempt"), messages.text());
        assertTrue(messages.text().contains("restarting the workers (restart 1 of 1)"), messages.text());
        assertTrue(log.contains("---- torus: restart 1 ----"), log);
        assertEquals(0, code, messages.text());
        assertTrue(log.contains("second attempt ok on rank 0"), log);
    }
}
