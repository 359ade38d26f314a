package io.torus.launcher.agent;

import io.torus.launcher.TestSupport;
import io.torus.launcher.TestSupport.Lines;
import io.torus.launcher.TorusCli;
import io.torus.launcher.testjobs.BlockingJob;
import io.torus.launcher.testjobs.JobFiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** `torus run` as its own process, signalled from outside: no worker JVM may outlive it. */
class AgentProcessTest {
    @TempDir
    Path tmp;

    private final List<ProcessHandle> started = new ArrayList<>();
    private final Lines out = new Lines(null);
    private Path runDir;

    @AfterEach
    void killLeftovers() {
        started.forEach(ProcessHandle::destroyForcibly);
    }

    /** Starts `torus run BlockingJob` in a new JVM; returns once rank 0 is ready (its pids are on disk). */
    private Process startAgent() throws Exception {
        runDir = tmp.resolve("run");
        List<String> cmd = new ArrayList<>(List.of(AgentSettings.currentJava()));
        cmd.addAll(AgentSettings.requiredJvmFlags());
        cmd.addAll(List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dtorus.worker.heap=256m", "-Dtorus.worker.jvm-opts=-XX:+UseSerialGC -XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), TorusCli.class.getName(),
                "run", "--run-dir", runDir.toString(), BlockingJob.class.getName()));
        Process agent = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        started.add(agent.toHandle());
        Thread copy = new Thread(() -> {
            try (InputStream in = agent.getInputStream()) {
                in.transferTo(out);
            } catch (Exception e) {
                // the agent is gone
            }
        });
        copy.setDaemon(true);
        copy.start();
        try {
            out.await(l -> l.startsWith("[rank 0] ready")).get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("rank 0 not ready after 60 s; the agent printed:\n" + out.text(), e);
        }
        return agent;
    }

    /** The agent's exit status, failing with everything it printed if it has not exited within 60 s. */
    private int exitOf(Process agent) throws InterruptedException {
        if (!agent.waitFor(60, TimeUnit.SECONDS)) {
            throw new AssertionError("the agent has not exited 60 s after the signal; it printed:\n" + out.text());
        }
        return agent.exitValue();
    }

    private ProcessHandle handle(String pidFile) throws Exception {
        ProcessHandle h = ProcessHandle.of(JobFiles.readPid(runDir.resolve(pidFile))).orElseThrow();
        started.add(h);
        return h;
    }

    @Test
    void agentKilled_workerAndItsChildExit() {
        assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
            Process agent = startAgent();
            ProcessHandle worker = handle("rank-0.pid");
            ProcessHandle child = handle("child-0.pid");

            agent.destroyForcibly();   // kill -9: no shutdown hook runs; the worker must notice by itself
            assertEquals(137, exitOf(agent));
            worker.onExit().orTimeout(20, TimeUnit.SECONDS).join();
            child.onExit().orTimeout(20, TimeUnit.SECONDS).join();
            assertFalse(TestSupport.isAlive(worker.pid()));
            assertFalse(TestSupport.isAlive(child.pid()));
        });
    }

    @Test
    void agentTerminated_stopsWorkersBeforeExiting() {
        assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
            Process agent = startAgent();
            ProcessHandle worker = handle("rank-0.pid");
            ProcessHandle child = handle("child-0.pid");

            // SIGTERM through the handle: Process.destroy() would also close the agent's output pipe.
            agent.toHandle().destroy();   // the shutdown hook stops the workers and waits for them
            assertNotEquals(0, exitOf(agent));
            assertFalse(TestSupport.isAlive(worker.pid()), "worker outlived the agent");
            child.onExit().orTimeout(20, TimeUnit.SECONDS).join();
            assertFalse(TestSupport.isAlive(child.pid()));
            // The output thread may still be copying the agent's last lines.
            out.await(l -> l.contains("torus: interrupted, stopping the workers")).get(10, TimeUnit.SECONDS);
            assertAgentReportedWorkersGone();
        });
    }

    @Test
    void agentInterrupted_stopsWorkersBeforeExiting() {
        assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
            Process agent = startAgent();
            ProcessHandle child = handle("child-0.pid");

            // SIGINT, as Ctrl-C sends it (to the agent only here, not to its process group).
            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(agent.pid())).inheritIO().start();
            assertEquals(0, kill.waitFor());
            assertEquals(130, exitOf(agent), out.text());
            assertAgentReportedWorkersGone();
            child.onExit().orTimeout(20, TimeUnit.SECONDS).join();
            assertFalse(TestSupport.isAlive(child.pid()));
            out.await(l -> l.contains("torus: interrupted, stopping the workers")).get(10, TimeUnit.SECONDS);
        });
    }

    /** The pids the agent itself recorded in the run directory: all gone once the agent has exited. */
    private void assertAgentReportedWorkersGone() throws Exception {
        List<Long> pids = JobFiles.agentReportedPids(runDir);
        assertFalse(pids.isEmpty());
        for (long pid : pids) {
            ProcessHandle.of(pid).ifPresent(started::add);
            assertFalse(TestSupport.isAlive(pid), "worker " + pid + " outlived the agent");
        }
    }
}
