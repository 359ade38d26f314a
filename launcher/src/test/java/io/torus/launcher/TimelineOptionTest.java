package io.torus.launcher;

import io.torus.launcher.testjobs.AllReduceJob;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code torus run --timeline FILE} as parsed into the {@link LaunchConfig}. */
class TimelineOptionTest {
    private static final String JOB = AllReduceJob.class.getName();

    @TempDir
    Path tmp;

    private LaunchConfig captured;
    private final StringWriter err = new StringWriter();

    private int torus(String... args) {
        CommandLine cl = TorusCli.commandLine(new Launcher() {
            @Override
            public int run(LaunchConfig config) {
                captured = config;
                return 0;
            }

            @Override
            public int sparkSubmit(SparkSubmitConfig config) {
                return 0;
            }
        });
        cl.setOut(new PrintWriter(new StringWriter(), true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    @Test
    void run_timelineFile_absoluteInConfig() {
        assertEquals(0, torus("run", "--run-dir", tmp.resolve("r").toString(), "--timeline", "out/trace.json", JOB));
        assertEquals(Path.of("out/trace.json").toAbsolutePath().normalize(), captured.timeline());
    }

    @Test
    void run_withoutTimeline_none() {
        assertEquals(0, torus("run", "--run-dir", tmp.resolve("r").toString(), JOB));
        assertNull(captured.timeline());
    }

    @Test
    void run_timelineIsDirectory_usageErrorNamingIt() {
        assertEquals(2, torus("run", "--timeline", tmp.toString(), JOB));
        assertTrue(err.toString().contains("--timeline " + tmp.toAbsolutePath().normalize()
                + ": is a directory: expected a file name"), err.toString());
    }
}
