package io.torus.launcher.agent;

import io.torus.comm.WorkerEnv;
import io.torus.launcher.LaunchConfig;
import io.torus.tensor.backend.cpu.BlasCoreType;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The per-machine agent of {@code torus run} (torchrun's "elastic agent", minus elasticity):
 * starts this machine's workers, one JVM per local rank, and watches them.
 *
 * <p>Note [Agent lifecycle]. Each worker runs {@link WorkerMain} with the job class and arguments
 * as program arguments and the {@code TORUS_*} environment of {@link WorkerEnv}. The agent waits on
 * {@link Process#onExit()} events, in the order the workers exit:
 * <ul>
 *   <li>every worker exits 0: the run succeeded, {@link #run} returns 0;</li>
 *   <li>one exits non-zero (an exception in its job, {@code halt}, a signal): the agent stops the
 *       others and their descendants (SIGTERM, then SIGKILL after the grace period), reports
 *       {@code rank N failed (exit code X)} with the last lines of that rank's log, and restarts the
 *       group if {@code --max-restarts} allows, else returns 1;</li>
 *   <li>the agent gets SIGINT/SIGTERM: its shutdown hook stops every worker the same way;</li>
 *   <li>the agent is killed outright: each worker notices (EOF on the stdin pipe the agent holds,
 *       and the agent's {@code ProcessHandle.onExit}) and halts itself, so no JVM is orphaned.</li>
 * </ul>
 * Nothing polls: the only timed waits bound how long a stopped worker may take to die.
 */
public final class Agent {
    /** Returned when a worker failed and no restarts were left. */
    public static final int EXIT_FAILED = 1;
    /** Returned when the agent was interrupted (signal, or its thread interrupted). */
    public static final int EXIT_INTERRUPTED = 130;

    /** Environment variable: the agent's pid, which a worker watches. */
    public static final String AGENT_PID = "TORUS_AGENT_PID";
    /** Environment variable: "1" when the worker's stdin is the agent's pipe (EOF = the agent died). */
    public static final String AGENT_PIPE = "TORUS_AGENT_PIPE";
    /** Environment variable: 0 for the first attempt, k after the k-th restart. */
    public static final String RESTART_COUNT = "TORUS_RESTART_COUNT";
    /**
     * Environment variable: "1" when the agent's console is a terminal. A worker's output is a pipe,
     * so its own {@code System.console()} is null; this tells it that a status line (text ended by
     * a bare {@code \r}, such as a progress bar) will be shown in place on the agent's terminal.
     */
    public static final String TERMINAL = "TORUS_TERMINAL";
    /**
     * Environment variable: when {@code torus} was started, in milliseconds since the epoch (set by
     * {@code scripts/torus}, else by the agent from its own JVM's start). A job reports its start-up
     * time against it ({@link #millisSinceLaunch()}).
     */
    public static final String LAUNCH_MILLIS = "TORUS_LAUNCH_MILLIS";
    /**
     * The file in the run directory where the agent records every worker it starts, one line
     * {@code <generation> <rank> <pid>} each, appended before it waits on them. Tests (and a user
     * hunting a stray JVM) check these pids are gone.
     */
    public static final String WORKER_PIDS = "workers.pids";

    private final AgentSettings settings;
    private final AgentConsole console;
    private final Object lock = new Object();
    /** The secret this agent's workers sign their ring handshakes with (hex, 32 random bytes). */
    private final String jobSecret = newJobSecret();
    private final String launchMillis = Long.toString(launchMillis());
    private List<Worker> current = List.of();
    /** The class-data archive a worker of this run is writing, published when the run succeeds. */
    private ClassDataArchive pendingArchive;
    private volatile boolean stopping;

    public Agent(AgentSettings settings) {
        this.settings = settings;
        this.console = new AgentConsole(settings.console(), settings.console() == System.out && System.console() != null);
    }

    /**
     * Runs this machine's part of the job to the end.
     *
     * @return 0 when every worker exited 0; {@link #EXIT_FAILED} when a worker failed (and no
     * restarts were left); {@link #EXIT_INTERRUPTED} when stopped by a signal or an interrupt
     */
    public int run(LaunchConfig config) throws IOException {
        Files.createDirectories(config.runDir());
        Thread hook = new Thread(this::stopOnSignal, "torus-agent-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            for (int attempt = 0; ; attempt++) {
                String failure = runAttempt(config, attempt);
                if (pendingArchive != null) {
                    pendingArchive.finish(failure == null);
                    pendingArchive = null;
                }
                if (failure == null) {
                    return 0;
                }
                if (stopping || Thread.currentThread().isInterrupted()) {
                    return EXIT_INTERRUPTED;
                }
                settings.messages().println("torus: " + failure);
                if (attempt >= config.maxRestarts()) {
                    return EXIT_FAILED;
                }
                settings.messages().println("torus: restarting the workers (restart " + (attempt + 1) + " of "
                        + config.maxRestarts() + ")");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return EXIT_INTERRUPTED;
        } finally {
            if (config.timeline() != null) {
                mergeTimeline(config);
            }
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down; the hook is running or has run
            }
        }
    }

    /** One attempt: start all local workers, wait for them. Returns null on success, else the failure message. */
    private String runAttempt(LaunchConfig config, int attempt) throws IOException, InterruptedException {
        int n = config.nprocPerNode();
        List<Worker> workers = new ArrayList<>(n);
        BlockingQueue<Worker> exited = new LinkedBlockingQueue<>();
        synchronized (lock) {
            if (stopping) {
                return "stopped";
            }
            current = workers;
            try {
                for (int localRank = 0; localRank < n; localRank++) {
                    Worker w = startWorker(config, attempt, localRank);
                    workers.add(w);
                    w.process.onExit().thenRun(() -> exited.add(w));
                }
                recordPids(config, attempt, workers);
            } catch (IOException | RuntimeException e) {
                stop(workers);
                workers.forEach(Worker::closeStdin);
                throw e;
            }
        }
        try {
            for (int done = 0; done < n; done++) {
                Worker w = exited.take();
                int code = w.process.exitValue();
                if (code != 0) {
                    stop(workers);
                    w.awaitDrained(1000);
                    return describeFailure(w, code);
                }
            }
            for (Worker w : workers) {
                w.awaitDrained(1000);
            }
            return null;
        } catch (InterruptedException e) {
            stop(workers);
            throw e;
        } finally {
            workers.forEach(Worker::closeStdin);
        }
    }

    private Worker startWorker(LaunchConfig config, int attempt, int localRank) throws IOException {
        int rank = config.globalRank(localRank);
        String jobId = attempt == 0 ? config.jobId() : config.jobId() + "-r" + attempt;
        WorkerEnv env = new WorkerEnv(rank, config.worldSize(), localRank, config.rdzvEndpoint(), jobId,
                config.runDir(), config.deviceFor(localRank));

        List<String> cmd = new ArrayList<>();
        String classpath = config.jar() == null ? settings.classpath()
                : settings.classpath() + File.pathSeparator + config.jar();
        cmd.add(settings.javaCommand());
        cmd.addAll(settings.youngGenFlags(config.worldSize())); // before jvmFlags: torus.worker.jvm-opts come last and win
        cmd.addAll(settings.jvmFlags());
        cmd.add("-Dfile.encoding=UTF-8");
        ClassDataArchive cds = classDataArchive(config, classpath);
        if (cds != null) {
            if (cds.exists()) {
                cmd.addAll(cds.useFlags());
            } else if (attempt == 0 && localRank == 0) {
                cmd.addAll(cds.createFlags());
                pendingArchive = cds;
            }
        }
        cmd.add("-Xmx" + settings.heapFor(config.nprocPerNode()));
        cmd.add("-cp");
        cmd.add(classpath);
        cmd.add(WorkerMain.class.getName());
        cmd.add(config.jobClass());
        cmd.addAll(config.jobArgs());

        ProcessBuilder pb = new ProcessBuilder(cmd);
        Map<String, String> environment = pb.environment();
        environment.putAll(workerEnvironment(env, attempt));
        if (config.nnodes() == 1) {
            // Only this job's workers can join its ring (several machines share a secret the user exports).
            environment.putIfAbsent(io.torus.comm.ProcessGroups.JOB_SECRET_ENV, jobSecret);
        }
        if (config.timeline() != null) {
            Path part = Timelines.rankFile(config.runDir(), rank);
            Files.deleteIfExists(part);
            environment.put(Timelines.ENV, part.toString());
        } else {
            environment.remove(Timelines.ENV);
        }
        if (console.terminal()) {
            environment.put(TERMINAL, "1");
        } else {
            environment.remove(TERMINAL);
        }
        // OpenBLAS reads OPENBLAS_CORETYPE once, at load: fix a value that would slow or crash the worker.
        BlasCoreType.Decision blas = BlasCoreType.applyTo(environment,
                config.settings().get(BlasCoreType.SETTING));
        if (blas.action() != BlasCoreType.Action.KEEP && attempt == 0 && localRank == 0) {
            settings.messages().println("torus: " + blas.forWorkers());
        }
        if (config.nprocPerNode() > 1) {
            // Like torchrun: several workers on one machine each get a share of the cores.
            String threads = Integer.toString(Math.max(1, Runtime.getRuntime().availableProcessors()
                    / config.nprocPerNode()));
            environment.putIfAbsent("OMP_NUM_THREADS", threads);
            environment.putIfAbsent("OPENBLAS_NUM_THREADS", threads);
        }
        Path log = config.runDir().resolve("rank-" + rank + ".log");
        String header = attempt == 0 ? null : "---- torus: restart " + attempt + " ----";
        return Worker.start(pb, rank, localRank, log, header, console, settings.logTailLines());
    }

    /** Appends this generation's {@code <generation> <rank> <pid>} lines to {@link #WORKER_PIDS}. */
    private static void recordPids(LaunchConfig config, int attempt, List<Worker> workers) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (Worker w : workers) {
            sb.append(attempt).append(' ').append(w.rank).append(' ').append(w.process.pid()).append('\n');
        }
        Files.writeString(config.runDir().resolve(WORKER_PIDS), sb.toString(), java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND);
    }

    /** {@code $TORUS_LAUNCH_MILLIS} when a valid one is set, else this JVM's start. */
    static long launchMillis() {
        String v = System.getenv(LAUNCH_MILLIS);
        if (v != null) {
            try {
                return Long.parseLong(v.trim());
            } catch (NumberFormatException e) {
                // fall through: not ours
            }
        }
        return java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime();
    }

    /** In a worker: milliseconds since {@code torus} started ({@link #LAUNCH_MILLIS}), or -1 when unknown. */
    public static long millisSinceLaunch() {
        String v = System.getenv(LAUNCH_MILLIS);
        try {
            return v == null ? -1 : System.currentTimeMillis() - Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * The workers' class-data archive ({@link ClassDataArchive}) under {@code torus.worker.cds-dir},
     * or null when {@code torus.worker.cds} is off.
     */
    private ClassDataArchive classDataArchive(LaunchConfig config, String classpath) {
        if (!config.settings().get("torus.worker.cds").equals("auto")) {
            return null;
        }
        String dir = config.settings().get("torus.worker.cds-dir");
        Path base = dir.isEmpty() ? Path.of(System.getProperty("user.home"), ".cache", "torus", "cds") : Path.of(dir);
        return ClassDataArchive.in(base, settings.javaCommand(), settings.jvmFlags(), classpath);
    }

    /** Merges this machine's rank timelines into {@code --timeline FILE} and prints the overlap summary. */
    private void mergeTimeline(LaunchConfig config) {
        List<Integer> ranks = new ArrayList<>();
        for (int localRank = 0; localRank < config.nprocPerNode(); localRank++) {
            ranks.add(config.globalRank(localRank));
        }
        try {
            Timelines.Merged merged = Timelines.merge(config.runDir(), ranks, config.timeline());
            Timelines.report(merged).forEach(line -> settings.messages().println("torus: " + line));
        } catch (IOException | RuntimeException e) {
            settings.messages().println("torus: could not write the timeline " + config.timeline() + ": " + e);
        }
    }

    private static String newJobSecret() {
        byte[] b = new byte[32];
        new java.security.SecureRandom().nextBytes(b);
        return java.util.HexFormat.of().formatHex(b);
    }

    /** The variables a worker gets on top of this process's environment. */
    Map<String, String> workerEnvironment(WorkerEnv env, int attempt) {
        Map<String, String> m = new HashMap<>(env.toMap());
        m.put(LAUNCH_MILLIS, launchMillis);
        m.put(AGENT_PID, Long.toString(ProcessHandle.current().pid()));
        m.put(AGENT_PIPE, "1");
        m.put(RESTART_COUNT, Integer.toString(attempt));
        return m;
    }

    private String describeFailure(Worker w, int code) {
        StringBuilder sb = new StringBuilder("rank ").append(w.rank).append(" failed (exit code ").append(code);
        if (code > 128 && code < 128 + 65) {
            sb.append(", probably killed by signal ").append(code - 128).append(signalName(code - 128));
        }
        sb.append("); stopped the other workers");
        List<String> tail = w.tail();
        if (!tail.isEmpty()) {
            sb.append("\ntorus: last ").append(tail.size()).append(" lines of ").append(w.logFile).append(':');
            for (String line : tail) {
                sb.append("\n    ").append(line);
            }
        } else {
            sb.append("\ntorus: rank ").append(w.rank).append(" wrote nothing (").append(w.logFile).append(')');
        }
        return sb.toString();
    }

    private static String signalName(int sig) {
        return switch (sig) {
            case 1 -> " (SIGHUP)";
            case 2 -> " (SIGINT)";
            case 6 -> " (SIGABRT)";
            case 9 -> " (SIGKILL)";
            case 11 -> " (SIGSEGV)";
            case 15 -> " (SIGTERM)";
            default -> "";
        };
    }

    private void stopOnSignal() {
        List<Worker> workers;
        synchronized (lock) {
            stopping = true;
            workers = current;
        }
        if (workers.stream().anyMatch(w -> w.process.isAlive())) {
            settings.messages().println("torus: interrupted, stopping the workers");
            stop(workers);
        }
    }

    /**
     * Stops every live worker and its descendants: SIGTERM to all at once, SIGKILL to whatever is
     * left after the grace period, then waits (bounded) until they are gone. Safe to call twice.
     */
    private void stop(List<Worker> workers) {
        List<ProcessHandle> targets = new ArrayList<>();
        for (Worker w : workers) {
            targets.addAll(w.tree());
        }
        if (targets.isEmpty()) {
            return;
        }
        targets.forEach(ProcessHandle::destroy);
        awaitExit(targets, settings.killGrace());
        List<ProcessHandle> left = targets.stream().filter(ProcessHandle::isAlive).toList();
        left.forEach(ProcessHandle::destroyForcibly);
        awaitExit(left, Duration.ofSeconds(10));
    }

    private static void awaitExit(List<ProcessHandle> handles, Duration timeout) {
        if (handles.isEmpty()) {
            return;
        }
        CompletableFuture<?>[] exits = handles.stream().map(ProcessHandle::onExit).toArray(CompletableFuture[]::new);
        try {
            CompletableFuture.allOf(exits).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // the caller escalates, or reports what is left
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
