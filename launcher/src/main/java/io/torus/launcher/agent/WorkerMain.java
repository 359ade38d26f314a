package io.torus.launcher.agent;

import io.torus.comm.ProcessGroup;
import io.torus.comm.TrainingJob;
import io.torus.comm.WorkerEnv;
import io.torus.comm.trace.Timeline;
import io.torus.tensor.Device;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Main class of a worker JVM started by the {@link Agent}.
 *
 * <p>Usage: {@code WorkerMain JOBCLASS [job args...]} with the {@code TORUS_*} variables of
 * {@link WorkerEnv} set. The job class and its arguments are program arguments, so arguments reach
 * the job exactly as typed (no quoting through an environment variable).
 *
 * <p>Steps: watch the agent (halt when it is gone, so no orphan JVM survives a {@code kill -9} of
 * the agent); instantiate the job through its public no-arg constructor (before joining, so a bad
 * class fails fast); start joining {@link ProcessGroup#fromEnv()} in the background and call
 * {@code run} at once (the job's {@code processGroup()} waits for the join, see
 * {@link WorkerJobContext}); close the group; exit 0.
 * Any exception or error: its stack trace on stderr, exit 1. With {@code -Dtorus.worker.memory-report=FILE}
 * a job that returns also leaves its heap figures in FILE ({@link MemoryReport}).
 */
public final class WorkerMain {
    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILED = 1;
    public static final int EXIT_USAGE = 2;
    /** System property: a file for the worker's heap figures when its job returns ({@link MemoryReport}). */
    public static final String MEMORY_REPORT = "torus.worker.memory-report";
    /** Exit status of a worker that halted because its agent disappeared. */
    public static final int EXIT_AGENT_GONE = 75;

    /** How long {@code System.exit} may take (shutdown hooks) before the worker halts. */
    private static final long EXIT_DEADLINE_SECONDS = 30;

    private WorkerMain() {
    }

    public static void main(String[] args) {
        watchAgent();
        // On the way out (normal exit or SIGTERM), take this worker's own children along.
        Runtime.getRuntime().addShutdownHook(new Thread(WorkerMain::destroyDescendants, "torus-worker-descendants"));
        if (args.length < 1) {
            System.err.println("usage: WorkerMain JOBCLASS [job args...] (started by `torus run`)");
            exit(EXIT_USAGE);
        }
        int code;
        try {
            run(args[0], Arrays.copyOfRange(args, 1, args.length));
            code = EXIT_OK;
        } catch (Throwable t) {
            System.err.print("torus worker (" + describe() + "): job " + args[0] + " failed: ");
            t.printStackTrace();
            code = EXIT_FAILED;
        }
        exit(code);
    }

    static void run(String jobClass, String[] jobArgs) throws Exception {
        WorkerEnv env = WorkerEnv.fromEnvironment();
        Device device = Device.parse(env.device());
        MemoryReport memory = MemoryReport.fromSystemProperty(env.rank());
        TrainingJob job = instantiate(jobClass);
        recordTimeline(env.rank());
        // Join in the background while the job starts (loads its data, builds its model): see WorkerJobContext.
        CompletableFuture<ProcessGroup> joining = new CompletableFuture<>();
        Thread joiner = new Thread(() -> {
            try {
                joining.complete(ProcessGroup.fromEnv());
            } catch (Throwable t) {
                joining.completeExceptionally(t);
            }
        }, "torus-join");
        joiner.setDaemon(true);
        joiner.start();
        WorkerJobContext ctx = new WorkerJobContext(joining, env, jobArgs, device);
        boolean returned = false;
        try {
            job.run(ctx);
            returned = true;
        } finally {
            if (returned) {
                // Every worker takes part in the group, even a job that never asked for it; then leaves it.
                ctx.processGroup().close();
            } else if (joining.isDone() && !joining.isCompletedExceptionally()) {
                try {
                    joining.join().close();
                } catch (RuntimeException e) {
                    // the job's own failure is the one to report
                }
            }
        }
        if (memory != null) {
            memory.write();
        }
    }

    /**
     * With {@code torus run --timeline}: records this worker's spans and writes them on the way
     * out, normal or not (a shutdown hook also runs on System.exit after a failure and on SIGTERM).
     */
    private static void recordTimeline(int rank) {
        String file = System.getenv(Timelines.ENV);
        if (file == null || file.isBlank()) {
            return;
        }
        Timeline.enable(rank);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                Timeline.write(java.nio.file.Path.of(file));
            } catch (IOException | RuntimeException e) {
                System.err.println("torus worker (" + describe() + "): could not write the timeline " + file + ": " + e);
            }
        }, "torus-timeline-write"));
    }

    static TrainingJob instantiate(String jobClass) throws Exception {
        Class<?> c = Class.forName(jobClass);
        if (!TrainingJob.class.isAssignableFrom(c)) {
            throw new IllegalArgumentException("job class " + jobClass + " does not implement "
                    + TrainingJob.class.getName());
        }
        try {
            return (TrainingJob) c.getConstructor().newInstance();
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        }
    }

    /**
     * Halts when the agent is gone: EOF on stdin (the agent's pipe; immediate, even after
     * {@code kill -9}) or the agent process's exit (also covers a worker started without the pipe).
     */
    private static void watchAgent() {
        String pid = System.getenv(Agent.AGENT_PID);
        Optional<ProcessHandle> agent;
        if (pid != null) {
            agent = ProcessHandle.of(Long.parseLong(pid.trim()));
            if (agent.isEmpty()) {
                agentGone("agent process " + pid + " is not running");
            }
        } else {
            agent = ProcessHandle.current().parent();
        }
        agent.ifPresent(h -> h.onExit().thenRun(() -> agentGone("agent process " + h.pid() + " exited")));
        if ("1".equals(System.getenv(Agent.AGENT_PIPE))) {
            Thread t = new Thread(() -> {
                byte[] buf = new byte[256];
                try (InputStream in = System.in) {
                    while (in.read(buf) >= 0) {
                        // the agent never writes; keep reading until EOF
                    }
                } catch (IOException e) {
                    // treat a broken pipe like EOF
                }
                agentGone("the agent's pipe closed");
            }, "torus-agent-watch");
            t.setDaemon(true);
            t.start();
        }
    }

    private static void agentGone(String why) {
        try {
            System.err.println("torus worker (" + describe() + "): " + why + "; halting");
            destroyDescendants();
        } finally {
            Runtime.getRuntime().halt(EXIT_AGENT_GONE);
        }
    }

    private static void destroyDescendants() {
        ProcessHandle.current().descendants().forEach(ProcessHandle::destroy);
    }

    /** {@code System.exit(code)}, with a deadline after which the worker halts (a hook may hang). */
    private static void exit(int code) {
        System.out.flush();
        System.err.flush();
        CompletableFuture.delayedExecutor(EXIT_DEADLINE_SECONDS, TimeUnit.SECONDS)
                .execute(() -> Runtime.getRuntime().halt(code));
        System.exit(code);
    }

    private static String describe() {
        String rank = System.getenv(WorkerEnv.RANK);
        return "rank " + (rank == null ? "?" : rank) + ", pid " + ProcessHandle.current().pid();
    }
}
