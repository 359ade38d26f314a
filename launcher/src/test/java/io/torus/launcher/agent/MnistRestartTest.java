package io.torus.launcher.agent;

import io.torus.launcher.LaunchConfig;
import io.torus.launcher.TestSupport;
import io.torus.launcher.TestSupport.Lines;
import io.torus.launcher.jobs.MnistMlpJob;
import io.torus.launcher.testjobs.JobFiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --max-restarts 1}: a worker killed in the middle of training; the agent restarts the
 * group (a new generation with a fresh rendezvous) and the built-in job resumes from the last
 * training checkpoint, so that every epoch appears exactly once in {@code metrics.csv}.
 */
class MnistRestartTest {
    private static final int EPOCHS = 6;

    @TempDir
    Path tmp;

    private final List<Long> pids = new ArrayList<>();

    @AfterEach
    void killLeftovers() {
        pids.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    }

    @Test
    void run_workerKilledMidTraining_restartResumesFromCheckpoint() throws Exception {
        Lines console = new Lines(null);
        Lines messages = new Lines(null);
        // Quick-starting workers (C1 only): two generations of two JVMs on a two-core machine.
        Agent agent = new Agent(AgentSettings.fromDefaults().withWorkerHeap("512m")
                .withExtraJvmFlags("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1").withKillGrace(Duration.ofSeconds(3)).withOutput(console.stream, messages.stream));
        Path data = TestSupport.projectRoot().resolve("testdata/mnist-small");
        LaunchConfig c = LaunchConfig.builder("mnist-mlp").jobClass(MnistMlpJob.class.getName()).nprocPerNode(2)
                .maxRestarts(1).runDir(tmp.resolve("run"))
                .jobArgs("--data", data.toString(), "--epochs", Integer.toString(EPOCHS), "--batch-size", "64")
                .build();

        int code = assertTimeoutPreemptively(Duration.ofSeconds(240), () -> {
            CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> {
                try {
                    return agent.run(c);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            // After epoch 2's line, epoch 1's checkpoint is on disk for certain (epoch 2's may be).
            console.await(l -> l.startsWith("[rank 0] epoch 2/" + EPOCHS)).get();
            List<Long> firstGeneration = JobFiles.agentReportedPids(c.runDir());
            pids.addAll(firstGeneration);
            ProcessHandle.of(firstGeneration.get(1)).orElseThrow().destroyForcibly();   // rank 1, kill -9
            return run.get();
        });

        assertEquals(0, code, messages.text() + console.text());
        assertTrue(messages.text().contains("rank 1 failed (exit code 137, probably killed by signal 9 (SIGKILL))"),
                messages.text());
        assertTrue(messages.text().contains("restarting the workers (restart 1 of 1)"), messages.text());

        // metrics.csv: one row per epoch, 1..EPOCHS, none repeated or skipped.
        List<String> rows = Files.readAllLines(c.runDir().resolve("metrics.csv"));
        List<Integer> epochs = rows.subList(1, rows.size()).stream().map(r -> Integer.parseInt(r.split(",")[0])).toList();
        List<Integer> expected = new ArrayList<>();
        for (int e = 1; e <= EPOCHS; e++) {
            expected.add(e);
        }
        assertEquals(expected, epochs, String.join("\n", rows));

        // The second generation resumed from the checkpoint and trained only the epochs after it.
        String log = Files.readString(c.runDir().resolve("rank-0.log"));
        String second = log.substring(log.indexOf("---- torus: restart 1 ----"));
        Matcher resumed = Pattern.compile("resuming from \\S+: (\\d+) epochs").matcher(second);
        assertTrue(resumed.find(), log);
        int done = Integer.parseInt(resumed.group(1));
        assertTrue(done >= 1 && done < EPOCHS, "resumed after " + done + " epochs");
        Matcher epochLines = Pattern.compile("epoch (\\d+)/" + EPOCHS).matcher(second);
        List<Integer> retrained = new ArrayList<>();
        while (epochLines.find()) {
            retrained.add(Integer.parseInt(epochLines.group(1)));
        }
        assertEquals(expected.subList(done, EPOCHS), retrained, second);

        List<Long> all = JobFiles.agentReportedPids(c.runDir());
        pids.addAll(all);
        assertEquals(4, all.size(), "two generations of two workers");
        for (long pid : all) {
            assertFalse(TestSupport.isAlive(pid), "worker " + pid + " survived");
        }
    }
}
