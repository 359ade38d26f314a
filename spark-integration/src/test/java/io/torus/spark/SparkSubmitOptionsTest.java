package io.torus.spark;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SparkSubmitOptionsTest {

    @Test
    void parse_defaults() {
        SparkSubmit.Options o = SparkSubmit.Options.parse("com.example.Job");
        assertEquals("local[2]", o.master());
        assertEquals(2, o.numWorkers());
        assertEquals(Path.of("data", "mnist").toAbsolutePath(), o.dataDir());
        assertTrue(o.runDir().isAbsolute());
        assertEquals("com.example.Job", o.jobClass());
        assertEquals(List.of(), o.jobArgs());
    }

    @Test
    void parse_optionsThenJobAndItsArgs() {
        SparkSubmit.Options o = SparkSubmit.Options.parse("--master", "local[4]", "--num-workers", "3", "--run-dir",
                "/tmp/r", "--data", "/tmp/d", "--conf", "spark.torus.data.seed=5", "com.example.Job", "--epochs", "2");
        assertEquals("local[4]", o.master());
        assertEquals(3, o.numWorkers());
        assertEquals(Path.of("/tmp/r"), o.runDir());
        assertEquals(Path.of("/tmp/d"), o.dataDir());
        assertEquals(Map.of("spark.torus.data.seed", "5"), o.conf());
        assertEquals(List.of("--epochs", "2"), o.jobArgs());
    }

    @Test
    void parse_badArgumentsNameTheProblem() {
        assertMessage("--num-workers 0: expected a positive integer", "--num-workers", "0", "J");
        assertMessage("--num-workers x: expected a positive integer", "--num-workers", "x", "J");
        assertMessage("missing JOBCLASS", "--master", "local[2]");
        assertMessage("--master: missing value", "--master");
        assertMessage("unknown option --bogus", "--bogus", "1", "J");
        assertMessage("--conf novalue: expected KEY=VALUE", "--conf", "novalue", "J");
    }

    private static void assertMessage(String expected, String... args) {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> SparkSubmit.Options.parse(args));
        assertEquals(expected, e.getMessage());
    }

    @Test
    void run_usageErrorsExitWithTwo() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(buf, true, StandardCharsets.UTF_8);
        assertEquals(2, SparkSubmit.run(new String[] {"no.such.Job"}, err));
        String text = buf.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("job class no.such.Job not found"), text);
        assertTrue(text.contains("usage:"), text);

        buf.reset();
        assertEquals(2, SparkSubmit.run(new String[] {"java.lang.String"}, err));
        assertTrue(buf.toString(StandardCharsets.UTF_8).contains("does not implement io.torus.comm.TrainingJob"));
    }

    @Test
    void isLoopbackMaster() {
        assertTrue(SparkSubmit.isLoopbackMaster("local[2]"));
        assertTrue(SparkSubmit.isLoopbackMaster("spark://127.0.0.1:7077"));
        assertFalse(SparkSubmit.isLoopbackMaster("spark://10.0.0.5:7077"));
    }
}
