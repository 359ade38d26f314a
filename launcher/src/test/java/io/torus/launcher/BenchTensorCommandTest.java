package io.torus.launcher;

import io.torus.launcher.bench.TensorBenchConfig;
import io.torus.launcher.bench.TensorBenchConfig.Section;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.EnumSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Argument parsing of {@code torus bench tensor} only: nothing here measures anything. */
class BenchTensorCommandTest {

    /** Records the validated config instead of benchmarking. */
    private static final class Capture implements Launcher {
        TensorBenchConfig bench;

        @Override
        public int run(LaunchConfig config) {
            throw new AssertionError("not a run");
        }

        @Override
        public int sparkSubmit(SparkSubmitConfig config) {
            throw new AssertionError("not a spark-submit");
        }

        @Override
        public int benchTensor(TensorBenchConfig config, PrintWriter out, PrintWriter err) {
            bench = config;
            return 0;
        }
    }

    private final Capture launcher = new Capture();
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int torus(String... args) {
        CommandLine cl = TorusCli.commandLine(launcher);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    @Test
    void help_benchAndTensor_printUsageAndExitZero() {
        assertEquals(0, torus("bench", "--help"));
        assertTrue(out.toString().startsWith("Usage: torus bench"), out.toString());
        assertTrue(out.toString().contains("tensor"), out.toString());
        out.getBuffer().setLength(0);
        assertEquals(0, torus("bench", "tensor", "--help"));
        assertTrue(out.toString().startsWith("Usage: torus bench tensor"), out.toString());
        for (String option : List.of("--quick", "--iterations", "--only", "--sizes", "--python", "--no-reference")) {
            assertTrue(out.toString().contains(option), option);
        }
        assertNull(launcher.bench);
    }

    @Test
    void tensor_defaults_allSectionsFullTiming() {
        assertEquals(0, torus("bench", "tensor"));
        TensorBenchConfig c = launcher.bench;
        assertEquals(EnumSet.allOf(Section.class), c.sections());
        assertFalse(c.quick());
        assertEquals(TensorBenchConfig.fullTiming(), c.timing());
        assertEquals(TensorBenchConfig.DEFAULT_SGEMM_SIZES, c.sgemmSizes());
        assertEquals(16 * 1024 * 1024, c.elementwiseNumel());
        assertEquals(64, c.convBatch());
        assertTrue(c.reference());
    }

    @Test
    void tensor_flags_reachConfig() {
        assertEquals(0, torus("bench", "tensor", "--quick", "--only", "sgemm,conv", "--iterations", "5", "--sizes", "64,128",
                "--no-reference", "--ghz", "3.5", "--flops-per-cycle", "32"));
        TensorBenchConfig c = launcher.bench;
        assertEquals(EnumSet.of(Section.SGEMM, Section.CONV), c.sections());
        assertTrue(c.quick());
        assertEquals(5, c.timing().reps());
        assertEquals(TensorBenchConfig.quickTiming().warmup(), c.timing().warmup());
        assertEquals(List.of(64, 128), c.sgemmSizes());
        assertFalse(c.reference());
        assertEquals(3.5, c.ghz());
        assertEquals(32, c.flopsPerCycle());
    }

    @Test
    void tensor_unknownSection_usageErrorNamesIt() {
        assertEquals(2, torus("bench", "tensor", "--only", "fft"));
        assertTrue(err.toString().contains("--only: unknown section 'fft', expected sgemm, elementwise or conv"), err.toString());
        assertNull(launcher.bench);
    }

    @Test
    void tensor_zeroIterations_usageError() {
        assertEquals(2, torus("bench", "tensor", "--iterations", "0"));
        assertTrue(err.toString().contains("torus bench tensor: --iterations 0: expected at least 1 timed sample"), err.toString());
    }

    @Test
    void bench_noSuite_usageError() {
        assertEquals(2, torus("bench"));
        assertTrue(err.toString().contains("missing SUITE"), err.toString());
    }
}
