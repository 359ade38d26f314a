package io.torus.launcher.jobs;

import io.torus.autograd.Tensor;
import io.torus.io.Checkpoint;
import io.torus.io.TrainingCheckpoint;
import io.torus.launcher.BuiltinJobs;
import io.torus.launcher.LaunchConfig;
import io.torus.launcher.TestSupport;
import io.torus.launcher.TestSupport.Lines;
import io.torus.launcher.agent.Agent;
import io.torus.launcher.agent.AgentSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each built-in job for one short epoch on the committed MNIST subset in a real worker JVM
 * started by the agent, and an interrupted run resumed from its checkpoint.
 */
class BuiltinJobsTrainingTest {
    private static final Path SUBSET = TestSupport.projectRoot().resolve("testdata/mnist-small");

    @TempDir
    Path tmp;

    private final Lines console = new Lines(null);
    private final Lines messages = new Lines(null);

    private int run(String job, Path runDir, String... args) {
        Agent agent = new Agent(AgentSettings.fromDefaults().withWorkerHeap("512m")
                // no 1-ulp differences between JIT tiers (Note [Exact resume] in Trainer)
                .withExtraJvmFlags("-Dtorus.vector.disable=true")
                .withKillGrace(Duration.ofSeconds(3)).withOutput(console.stream, messages.stream));
        String[] all = new String[args.length + 2];
        all[0] = "--data";
        all[1] = SUBSET.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        LaunchConfig c = LaunchConfig.builder(job).jobClass(BuiltinJobs.className(job)).nprocPerNode(1).runDir(runDir)
                .jobArgs(all).build();
        return assertTimeoutPreemptively(Duration.ofSeconds(180), () -> agent.run(c));
    }

    @ParameterizedTest
    @CsvSource({"mnist-mlp, 0.70", "mnist-cnn, 0.60", "logreg, 0.85"})
    void job_oneEpochOnTheSubset_writesMetricsPlotCheckpointAndModel(String job, double minAccuracy) throws Exception {
        Path dir = tmp.resolve(job);
        int code = run(job, dir, "--epochs", "1", "--batch-size", "32");

        assertEquals(0, code, messages.text() + console.text());
        List<EpochMetrics> rows = EpochMetrics.readCsv(dir.resolve(Trainer.METRICS_CSV));
        assertEquals(1, rows.size(), rows.toString());
        assertTrue(rows.get(0).testAccuracy() >= minAccuracy, job + ": " + rows);
        assertTrue(console.text().contains("[rank 0] epoch 1/1  loss "), console.text());
        byte[] png = Files.readAllBytes(dir.resolve(Trainer.METRICS_PNG));
        assertArrayEquals(MetricsPlotTest.PNG_SIGNATURE, Arrays.copyOf(png, 8));
        TrainingCheckpoint ck = TrainingCheckpoint.load(dir.resolve(Trainer.CHECKPOINT));
        assertEquals(1, ck.epoch(), "the next epoch to train");
        assertEquals(0, ck.samplerPosition());
        assertTrue(Checkpoint.load(dir.resolve(Trainer.MODEL)).size() >= 2, "model.safetensors");
    }

    @Test
    void resume_afterEpochOne_endsExactlyAsAnUninterruptedRun() throws Exception {
        Path straight = tmp.resolve("straight");
        Path resumed = tmp.resolve("resumed");
        String[] common = {"--batch-size", "128", "--lr", "0.1"};
        assertEquals(0, run("mnist-mlp", straight, concat(common, "--epochs", "2")), messages.text() + console.text());
        assertEquals(0, run("mnist-mlp", resumed, concat(common, "--epochs", "1")), messages.text() + console.text());
        assertEquals(0, run("mnist-mlp", resumed, concat(common, "--epochs", "2", "--resume")), messages.text() + console.text());

        assertTrue(console.text().contains("resuming from " + resumed.resolve(Trainer.CHECKPOINT) + ": 1 epochs"), console.text());
        Map<String, Tensor> a = Checkpoint.load(straight.resolve(Trainer.MODEL));
        Map<String, Tensor> b = Checkpoint.load(resumed.resolve(Trainer.MODEL));
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) {
            assertArrayEquals(a.get(k).toFloatArray(), b.get(k).toFloatArray(), "parameter " + k);
        }
        List<EpochMetrics> ra = EpochMetrics.readCsv(straight.resolve(Trainer.METRICS_CSV));
        List<EpochMetrics> rb = EpochMetrics.readCsv(resumed.resolve(Trainer.METRICS_CSV));
        assertEquals(2, rb.size(), rb.toString());
        for (int i = 0; i < 2; i++) {
            assertEquals(withoutTimes(ra.get(i)), withoutTimes(rb.get(i)), "epoch " + (i + 1));
        }
    }

    private static EpochMetrics withoutTimes(EpochMetrics m) {
        return new EpochMetrics(m.epoch(), m.lr(), m.trainLoss(), m.trainAccuracy(), m.testLoss(), m.testAccuracy(), 0, 0);
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
