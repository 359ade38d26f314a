package io.torus.launcher.agent;

import io.torus.launcher.LaunchConfig;
import io.torus.launcher.TestSupport;
import io.torus.launcher.TestSupport.Lines;
import io.torus.launcher.testjobs.HeldBackJob;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The stall report in real worker JVMs, where ranks learn each other's progress through the
 * Hazelcast rendezvous: rank 1 is held before an all-reduce by a FIFO the test writes to only
 * after rank 0 has reported the stall.
 */
class StallReportProcessTest {
    @TempDir
    Path tmp;

    @Test
    void run_rankHeldBeforeAllReduce_waitingRankReportsItThenJobCompletes() throws Exception {
        Path fifo = tmp.resolve("release.fifo");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertEquals(0, mkfifo.waitFor(), "mkfifo");
        Lines console = new Lines(null);
        Lines messages = new Lines(null);
        Agent agent = new Agent(AgentSettings.fromDefaults().withWorkerHeap("384m")
                .withExtraJvmFlags("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Dtorus.comm.stall.report.seconds=1",
                        // the workers log as `torus run` makes them (WARN and up from io.torus reach the console)
                        "-Dlog4j2.configurationFile=" + TestSupport.projectRoot().resolve("conf/log4j2.xml"))
                .withKillGrace(Duration.ofSeconds(3)).withOutput(console.stream, messages.stream));
        LaunchConfig c = LaunchConfig.builder(HeldBackJob.class.getName()).jobClass(HeldBackJob.class.getName())
                .nprocPerNode(2).runDir(tmp.resolve("run")).jobArgs(fifo.toString()).build();
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> {
                try {
                    return agent.run(c);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            try {
                String report = console.await(l -> l.startsWith("[rank 0]") && l.contains("stalled: allReduce"))
                        .get(60, TimeUnit.SECONDS);
                System.out.println(report);
                assertTrue(report.contains("rank 0: stalled: allReduce (collective 1, 3000 elements) has waited "), report);
                assertTrue(report.contains("still waiting for rank [1]: rank 1 has not entered collective 1: its last was "
                        + "collective 0 (barrier), finished"), report);
            } finally {
                Files.writeString(fifo, "go\n"); // opening blocks until rank 1 reads (it is alive: the job runs)
            }
            assertEquals(0, run.get(), messages.text() + console.text());
            assertTrue(console.text().contains("[rank 1] rank 1 released: go"), console.text());
            assertTrue(console.text().contains("[rank 0] held-back allReduce ok on rank 0"), console.text());
        });
    }
}
