package io.torus.launcher.agent;

import io.torus.autograd.Tensor;
import io.torus.io.Checkpoint;
import io.torus.launcher.LaunchConfig;
import io.torus.launcher.TestSupport;
import io.torus.launcher.TestSupport.Lines;
import io.torus.launcher.jobs.MnistMlpJob;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The built-in mnist-mlp job on 2 real worker processes, on the committed MNIST subset. */
class MnistTrainingTest {
    @TempDir
    Path tmp;

    @Test
    void mnistMlp_twoProcesses_lossFallsAndReplicasEndBitIdentical() throws Exception {
        Lines console = new Lines(null);
        Lines messages = new Lines(null);
        Agent agent = new Agent(AgentSettings.fromDefaults().withWorkerHeap("512m")
                .withKillGrace(Duration.ofSeconds(3)).withOutput(console.stream, messages.stream));
        Path data = TestSupport.projectRoot().resolve("testdata/mnist-small");
        LaunchConfig c = LaunchConfig.builder("mnist-mlp").jobClass(MnistMlpJob.class.getName()).nprocPerNode(2)
                .runDir(tmp.resolve("run"))
                .jobArgs("--data", data.toString(), "--epochs", "4", "--batch-size", "32", "--save-all-ranks")
                .build();

        int code = assertTimeoutPreemptively(Duration.ofSeconds(180), () -> agent.run(c));

        assertEquals(0, code, messages.text() + console.text());
        List<String> rows = Files.readAllLines(c.runDir().resolve("metrics.csv"));
        assertEquals(5, rows.size(), "header + one row per epoch: " + rows);
        List<String> header = List.of(rows.get(0).split(","));
        int loss = header.indexOf("train_loss");
        int testAccuracy = header.indexOf("test_accuracy");
        double first = Double.parseDouble(rows.get(1).split(",")[loss]);
        double last = Double.parseDouble(rows.get(4).split(",")[loss]);
        assertTrue(last < 0.6 * first, "training loss should fall: " + rows);
        double accuracy = Double.parseDouble(rows.get(4).split(",")[testAccuracy]);
        assertTrue(accuracy > 0.8, "test accuracy on the subset: " + accuracy);
        assertTrue(console.text().contains("[rank 0] epoch 4/4"), console.text());

        Map<String, Tensor> rank0 = Checkpoint.load(c.runDir().resolve("model-rank0.safetensors"));
        Map<String, Tensor> rank1 = Checkpoint.load(c.runDir().resolve("model-rank1.safetensors"));
        assertEquals(rank0.keySet(), rank1.keySet());
        assertEquals(6, rank0.size());
        for (String k : rank0.keySet()) {
            assertArrayEquals(rank0.get(k).toFloatArray(), rank1.get(k).toFloatArray(), "parameter " + k + " differs");
        }
        assertEquals(rank0.keySet(), Checkpoint.load(c.runDir().resolve("model.safetensors")).keySet());
    }
}
