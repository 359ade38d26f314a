package io.torus.launcher;

import io.torus.launcher.config.TorusConfig;
import io.torus.launcher.testjobs.AllReduceJob;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TorusCliTest {
    private static final String JOB = AllReduceJob.class.getName();

    @TempDir
    Path tmp;

    /** Records what the CLI would launch instead of launching it. */
    private static final class Capture implements Launcher {
        LaunchConfig run;
        SparkSubmitConfig spark;

        @Override
        public int run(LaunchConfig config) {
            run = config;
            return 0;
        }

        @Override
        public int sparkSubmit(SparkSubmitConfig config) {
            spark = config;
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
    void jobs_listsBuiltinsWithDescriptions() {
        assertEquals(0, torus("jobs"));
        assertTrue(out.toString().contains("mnist-mlp  784-256-128-10 MLP on MNIST"), out.toString());
        assertTrue(out.toString().contains("io.torus.comm.TrainingJob"), out.toString());
    }

    @Test
    void help_everyCommand_printsUsageAndExitsZero() {
        for (String[] args : List.of(new String[] {"--help"}, new String[] {"run", "--help"},
                new String[] {"spark-submit", "--help"}, new String[] {"jobs", "--help"}, new String[] {"help", "run"},
                new String[] {"bench", "--help"}, new String[] {"bench", "tensor", "--help"},
                new String[] {"bench", "autograd", "--help"}, new String[] {"bench", "comm", "--help"},
                new String[] {"bench", "train", "--help"})) {
            out.getBuffer().setLength(0);
            assertEquals(0, torus(args), String.join(" ", args));
            assertTrue(out.toString().startsWith("Usage: torus"), out.toString());
        }
        assertNull(launcher.run);
    }

    @Test
    void version_printsProjectVersion() {
        assertEquals(0, torus("--version"));
        assertTrue(out.toString().matches("(?s)torus \\d+\\.\\d+\\.\\d+.*\\nJava .*"), out.toString());
    }

    @Test
    void noCommand_usageError() {
        assertEquals(2, torus());
        assertTrue(err.toString().contains("missing COMMAND"), err.toString());
    }

    @Test
    void run_flagsAndJobArgs_reachLaunchConfigVerbatim() {
        Path runDir = tmp.resolve("run");
        assertEquals(0, torus("run", "--nproc-per-node", "2", "--run-dir", runDir.toString(), "--device=cuda:1",
                JOB, "--nproc-per-node", "5", "--", "two words", "--help", ""));
        LaunchConfig c = launcher.run;
        assertEquals(2, c.nprocPerNode());
        assertEquals(runDir, c.runDir());
        assertEquals("cuda:1", c.device());
        assertEquals(JOB, c.jobClass());
        assertEquals(List.of("--nproc-per-node", "5", "--", "two words", "--help", ""), c.jobArgs());
    }

    @Test
    void run_defaults_comeFromDefaultsFile() {
        assertEquals(0, torus("run", JOB));
        LaunchConfig c = launcher.run;
        assertEquals(TorusConfig.standard().getInt("torus.run.nproc-per-node"), c.nprocPerNode());
        assertEquals(1, c.nnodes());
        assertEquals(0, c.nodeRank());
        assertEquals(0, c.maxRestarts());
        assertEquals("cpu", c.device());
        assertTrue(c.rdzvEndpoint().startsWith("127.0.0.1:"), c.rdzvEndpoint());
    }

    @Test
    void run_configFile_overridesDefaultsAndFlagsOverrideIt() throws Exception {
        Path conf = tmp.resolve("my.conf");
        java.nio.file.Files.writeString(conf, "torus.run.nproc-per-node = 3\ntorus.worker.heap = 700m\n");
        assertEquals(0, torus("run", "--config", conf.toString(), JOB));
        assertEquals(3, launcher.run.nprocPerNode());
        assertEquals("700m", launcher.run.settings().get("torus.worker.heap"));
        assertEquals(0, torus("run", "--config", conf.toString(), "--nproc-per-node", "2", JOB));
        assertEquals(2, launcher.run.nprocPerNode());
        assertEquals("flag --nproc-per-node", launcher.run.settings().source("torus.run.nproc-per-node"));
    }

    @Test
    void run_invalidValueInConfigFile_usageErrorNamesKeyValueAndFile() throws Exception {
        Path conf = tmp.resolve("bad.conf");
        java.nio.file.Files.writeString(conf, "torus.agent.kill-grace-ms = -5\n");
        assertEquals(2, torus("run", "--config", conf.toString(), JOB));
        assertTrue(err.toString().startsWith("torus run: torus.agent.kill-grace-ms=-5 (from " + conf
                + ": 1): expected an integer >= 0"), err.toString());
        assertNull(launcher.run);
    }

    @Test
    void run_zeroWorkers_usageErrorNamesValue() {
        assertEquals(2, torus("run", "--nproc-per-node", "0", JOB));
        assertTrue(err.toString().startsWith("torus run: torus.run.nproc-per-node=0 (from flag --nproc-per-node): "
                + "expected an integer >= 1"), err.toString());
        assertTrue(err.toString().contains("Try 'torus run --help'"), err.toString());
        assertNull(launcher.run);
    }

    @Test
    void run_notAnInteger_usageError() {
        assertEquals(2, torus("run", "--nnodes", "two", JOB));
        assertTrue(err.toString().contains("'--nnodes': 'two' is not an int"), err.toString());
    }

    @Test
    void run_unknownJob_usageErrorListsBuiltins() {
        assertEquals(2, torus("run", "mnist"));
        assertTrue(err.toString().contains("unknown job 'mnist'"), err.toString());
        assertTrue(err.toString().contains("mnist-mlp"), err.toString());
    }

    @Test
    void run_misspelledOption_suggestsTheRightOne() {
        assertEquals(2, torus("run", "--nprocs", "2", JOB));
        assertTrue(err.toString().contains("--nproc-per-node"), err.toString());
    }

    @Test
    void sparkSubmit_flagsAndArgs_becomeSparkSubmitArguments() {
        Path runDir = tmp.resolve("spark");
        Path data = tmp.resolve("mnist");
        assertEquals(0, torus("spark-submit", "--num-workers", "3", "--run-dir", runDir.toString(), "--data",
                data.toString(), "--conf", "spark.a=1", "--conf", "spark.b=x=y", JOB, "--epochs", "1"));
        assertArrayEquals(new String[] {"--master", "local[2]", "--num-workers", "3", "--run-dir", runDir.toString(),
            "--data", data.toString(), "--conf", "spark.a=1", "--conf", "spark.b=x=y", "--", JOB, "--epochs", "1"},
                launcher.spark.toSparkSubmitArgs());
    }

    @Test
    void sparkSubmit_confWithoutValue_usageError() {
        assertEquals(2, torus("spark-submit", "--conf", "spark.a", JOB));
        assertTrue(err.toString().contains("--conf 'spark.a': expected KEY=VALUE"), err.toString());
    }

    @Test
    void sparkSubmit_zeroWorkers_usageError() {
        assertEquals(2, torus("spark-submit", "--num-workers", "0", JOB));
        assertTrue(err.toString().contains("torus.spark-submit.num-workers=0 (from flag --num-workers): expected an "
                + "integer >= 1"), err.toString());
    }
}
