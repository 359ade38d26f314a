package io.torus.spark.driver;

import io.torus.spark.SparkTrainingException;
import io.torus.spark.task.RankFailure;
import io.torus.spark.task.TaskSpec;
import org.apache.spark.SparkException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BarrierLauncherTest {
    private static final TaskSpec SPEC = new TaskSpec("com.example.Job", null, 3, "/tmp/r", "cpu", null, null, 0, 0);

    @Test
    void translate_findsTheRankInSparksText() {
        String rankMessage = new RankFailure(2, 3, "com.example.Job", "in",
                new IllegalStateException("boom")).toString();
        SparkException spark = new SparkException("Job aborted due to stage failure: Could not recover from a "
                + "failed barrier ResultStage. Most recent failure reason: Stage failed because barrier task "
                + "ResultTask(1, 2) finished unsuccessfully.\n" + rankMessage + "\n\tat io.torus.X.run(X.java:1)");
        SparkTrainingException e = BarrierLauncher.translate(SPEC, spark);
        assertEquals(2, e.rank());
        assertEquals("Torus training run of com.example.Job failed on rank 2 of 3: Torus rank 2 of 3 failed in "
                + "com.example.Job: java.lang.IllegalStateException: boom", e.getMessage());
    }

    @Test
    void translate_withoutARankSaysSpark() {
        SparkTrainingException e = BarrierLauncher.translate(SPEC, new SparkException("[SPARK-24819]: Barrier "
                + "execution mode does not allow run a barrier stage that requires more slots"));
        assertEquals(-1, e.rank());
        assertTrue(e.getMessage().contains("fewer free task slots than numWorkers=3"), e.getMessage());
    }

    @Test
    void localSlots_readsLocalMasters() {
        assertEquals(1, BarrierLauncher.localSlots("local", 1));
        assertEquals(4, BarrierLauncher.localSlots("local[4]", 1));
        assertEquals(2, BarrierLauncher.localSlots("local[4]", 2));
        assertEquals(3, BarrierLauncher.localSlots("local[3, 2]", 1));
        assertEquals(Runtime.getRuntime().availableProcessors(), BarrierLauncher.localSlots("local[*]", 1));
        assertEquals(-1, BarrierLauncher.localSlots("spark://127.0.0.1:7077", 1));
        assertEquals(-1, BarrierLauncher.localSlots("local-cluster[2,1,1024]", 1));
    }
}
