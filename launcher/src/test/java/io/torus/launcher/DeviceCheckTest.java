package io.torus.launcher;

import io.torus.launcher.testjobs.AllReduceJob;
import io.torus.tensor.backend.cuda.CudaAvailability;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** {@code torus run --device cuda} on a machine without a usable GPU: exit 1 at once, saying what is missing. */
class DeviceCheckTest {
    @TempDir
    Path tmp;

    @Test
    void run_deviceCudaWithoutAGpuFailsBeforeAnyWorkerStarts() {
        CudaAvailability.Status s = CudaAvailability.status();
        assumeFalse(s.available(), "this machine has a usable GPU: " + s.message());
        Path runDir = tmp.resolve("run");
        StringWriter err = new StringWriter();
        CommandLine cl = TorusCli.commandLine(Launcher.standard());
        cl.setOut(new PrintWriter(new StringWriter(), true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute("run", "--nproc-per-node", "2", "--device", "cuda", "--run-dir", runDir.toString(),
                AllReduceJob.class.getName());
        assertEquals(1, code, err.toString());
        String m = err.toString();
        assertTrue(m.contains("--device cuda (local rank 0 on cuda:0): cuda:0: CUDA is not available: " + s.missing()), m);
        assertTrue(m.contains("run with --device cpu"), m);
        assertFalse(Files.exists(runDir.resolve("rank-0.log")) || Files.exists(runDir), "no worker started: " + runDir);
    }

    @Test
    void requireUsable_cpuNeedsNothing() {
        LaunchConfig c = LaunchConfig.builder(AllReduceJob.class.getName()).runDir(tmp.resolve("r")).device("cpu").build();
        DeviceCheck.requireUsable(c);
        assertEquals("cpu", c.deviceFor(0));
    }
}
