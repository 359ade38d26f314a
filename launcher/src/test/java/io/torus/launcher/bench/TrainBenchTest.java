package io.torus.launcher.bench;

import io.torus.autograd.Tensor;
import io.torus.launcher.TorusCli;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code torus bench train}'s steps and report, on tiny settings (no timing is checked). */
class TrainBenchTest {

    private static String run(TrainBench.Config c) {
        StringWriter out = new StringWriter();
        assertEquals(0, new TrainBench(c, new PrintWriter(out, true), new PrintWriter(new StringWriter(), true)).run());
        return out.toString();
    }

    @Test
    void steps_mlpAndCnn_trainTheirModels() {
        for (TrainBench.Step step : List.of(TrainBench.mlp(4), TrainBench.cnn(4))) {
            float[] before = step.model().parameters().get(0).toFloatArray();
            step.run();
            step.run();
            assertFalse(Arrays.equals(before, step.model().parameters().get(0).toFloatArray()));
        }
    }

    @Test
    void run_mlpWithoutReference_printsTheTableWithDashesForTorch() {
        String report = run(new TrainBench.Config(List.of("mlp"), List.of(4), new Timing(0, 1, 1_000_000L), 1, false, "python3",
                Path.of("nowhere")));
        assertTrue(report.contains("train mlp: MLP 784-256-128-10"), report);
        assertTrue(report.lines().anyMatch(l -> l.matches("\\s+4\\s+\\d+\\s+—\\s+[0-9.]+\\s+—\\s+—")), report);
        assertTrue(report.contains("PyTorch reference: off (--no-reference)"), report);
    }

    @Test
    void heap_withoutMnist_isSkippedWithAHint() {
        String report = run(new TrainBench.Config(List.of("heap"), List.of(64), new Timing(0, 1, 0), 1, false, "python3",
                Path.of("no-such-dir")));
        assertTrue(report.contains("skipped: no MNIST in no-such-dir"), report);
    }

    @Test
    void config_unknownSectionOrBadBatch_rejected() {
        assertThrows(IllegalArgumentException.class, () -> new TrainBench.Config(List.of("gpu"), List.of(64), new Timing(0, 1, 0), 1,
                false, "python3", null));
        assertThrows(IllegalArgumentException.class, () -> new TrainBench.Config(List.of("mlp"), List.of(0), new Timing(0, 1, 0), 1,
                false, "python3", null));
        StringWriter err = new StringWriter();
        CommandLine cl = TorusCli.commandLine(null);
        cl.setErr(new PrintWriter(err, true));
        assertEquals(2, cl.execute("bench", "train", "--only", "gpu"));
        assertTrue(err.toString().contains("--only gpu: expected one of mlp, cnn, heap"), err.toString());
    }
}
