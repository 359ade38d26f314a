package io.torus.launcher;

import io.torus.launcher.config.TorusConfig;
import io.torus.tensor.Device;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A validated {@code torus run}: what to run, how many workers, where they meet. Built by the CLI
 * (or a test) through {@link #builder(String)}, which fills in defaults; the constructor checks
 * every field and names the bad value and what was expected.
 *
 * <p>Ranks: this machine runs global ranks {@code nodeRank * nprocPerNode} up to
 * {@code nodeRank * nprocPerNode + nprocPerNode - 1} of {@code worldSize() = nnodes * nprocPerNode}.
 *
 * @param job          JOB as given: a built-in name or a class name
 * @param jobClass     the class that implements {@code io.torus.comm.TrainingJob}
 * @param jobArgs      everything after JOB, verbatim
 * @param nprocPerNode workers on this machine, at least 1
 * @param nnodes       machines, at least 1
 * @param nodeRank     this machine's index, 0..nnodes-1
 * @param rdzvEndpoint HOST:PORT where rank 0's rendezvous member listens
 * @param jobId        unique id of the run (the Hazelcast cluster name): letters, digits, '.', '_', '-'
 * @param runDir       absolute directory for rank logs, checkpoints and the job's files
 * @param jar          extra jar for the workers' classpath, or null
 * @param device       cpu, cuda (local rank i uses cuda:i) or cuda:N
 * @param maxRestarts  times the local worker group is restarted after a failure, at least 0
 * @param settings     the validated layered settings this run was built from (worker heap, JVM
 *                     options, the keys handed to workers, ...)
 * @param timeline     where to write the merged Chrome-trace timeline of this machine's ranks
 *                     ({@code --timeline}), or null for none
 */
public record LaunchConfig(String job, String jobClass, List<String> jobArgs, int nprocPerNode, int nnodes,
                           int nodeRank, String rdzvEndpoint, String jobId, Path runDir, Path jar, String device,
                           int maxRestarts, TorusConfig settings, Path timeline) {

    public LaunchConfig {
        if (job == null || job.isBlank()) {
            throw new IllegalArgumentException("JOB is missing: expected a built-in job name or a class name");
        }
        if (jobClass == null || jobClass.isBlank()) {
            throw new IllegalArgumentException("job '" + job + "': no job class resolved");
        }
        jobArgs = List.copyOf(jobArgs == null ? List.of() : jobArgs);
        checkCounts(nprocPerNode, nnodes, nodeRank, maxRestarts);
        checkEndpoint(rdzvEndpoint);
        if (jobId == null || !jobId.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException("--job-id '" + jobId + "': expected letters, digits, '.', '_' or '-'");
        }
        if (runDir == null) {
            throw new IllegalArgumentException("--run-dir is missing: expected a directory");
        }
        runDir = runDir.toAbsolutePath().normalize();
        if (Files.exists(runDir) && !Files.isDirectory(runDir)) {
            throw new IllegalArgumentException("--run-dir " + runDir + ": exists and is not a directory");
        }
        if (jar != null) {
            checkJar(jar);
            jar = jar.toAbsolutePath().normalize();
        }
        device = checkDevice(device);
        if (settings == null) {
            throw new IllegalArgumentException("settings are missing: expected a TorusConfig");
        }
        if (timeline != null) {
            timeline = timeline.toAbsolutePath().normalize();
            if (Files.isDirectory(timeline)) {
                throw new IllegalArgumentException("--timeline " + timeline + ": is a directory: expected a file name");
            }
        }
    }

    public static Builder builder(String job) {
        return new Builder(job);
    }

    public int worldSize() {
        return nnodes * nprocPerNode;
    }

    /** The global rank of the worker with {@code localRank} on this machine. */
    public int globalRank(int localRank) {
        return nodeRank * nprocPerNode + localRank;
    }

    /** The device string of the worker with {@code localRank}: {@code cuda} becomes {@code cuda:<localRank>}. */
    public String deviceFor(int localRank) {
        return device.equals("cuda") ? "cuda:" + localRank : device;
    }

    static void checkCounts(int nprocPerNode, int nnodes, int nodeRank, int maxRestarts) {
        if (nprocPerNode < 1) {
            throw new IllegalArgumentException("--nproc-per-node " + nprocPerNode + ": expected an integer >= 1");
        }
        if (nnodes < 1) {
            throw new IllegalArgumentException("--nnodes " + nnodes + ": expected an integer >= 1");
        }
        if (nodeRank < 0 || nodeRank >= nnodes) {
            throw new IllegalArgumentException("--node-rank " + nodeRank + ": expected 0.." + (nnodes - 1)
                    + " (--nnodes " + nnodes + ")");
        }
        if (maxRestarts < 0) {
            throw new IllegalArgumentException("--max-restarts " + maxRestarts + ": expected an integer >= 0");
        }
        if (maxRestarts > 0 && nnodes > 1) {
            throw new IllegalArgumentException("--max-restarts " + maxRestarts + " with --nnodes " + nnodes
                    + ": restarts need a single node for now (expected --max-restarts 0)");
        }
    }

    static void checkEndpoint(String endpoint) {
        String expected = ": expected HOST:PORT with PORT in 1..65535";
        if (endpoint == null || !endpoint.matches("[^:\\s]+:\\d{1,5}")) {
            throw new IllegalArgumentException("--rdzv-endpoint '" + endpoint + "'" + expected);
        }
        int port = Integer.parseInt(endpoint.substring(endpoint.indexOf(':') + 1));
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("--rdzv-endpoint '" + endpoint + "'" + expected);
        }
    }

    static void checkJar(Path jar) {
        if (!Files.exists(jar)) {
            throw new IllegalArgumentException("--jar " + jar + ": no such file: expected a jar file");
        }
        if (!Files.isRegularFile(jar) || !Files.isReadable(jar)) {
            throw new IllegalArgumentException("--jar " + jar + ": not a readable file: expected a jar file");
        }
    }

    private static String checkDevice(String device) {
        if (device == null) {
            return "cpu";
        }
        String d = device.trim().toLowerCase(Locale.ROOT);
        if (d.equals("cuda")) {
            return d;
        }
        try {
            return Device.parse(d).toString();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--device '" + device + "': expected cpu, cuda or cuda:N");
        }
    }

    /** Fills in what was not set from the layered settings ({@link TorusConfig}), then validates. */
    public static final class Builder {
        private final String job;
        private TorusConfig settings;
        private String jobClass;
        private List<String> jobArgs = List.of();
        private Integer nprocPerNode;
        private Integer nnodes;
        private Integer nodeRank;
        private String rdzvEndpoint;
        private String jobId;
        private Path runDir;
        private Path jar;
        private String device;
        private Integer maxRestarts;
        private Path timeline;

        private Builder(String job) {
            this.job = job;
        }

        /**
         * The layered settings (default: {@link TorusConfig#standard()}); {@code torus.run.*} keys give
         * the values not set on this builder.
         */
        public Builder settings(TorusConfig v) {
            settings = v;
            return this;
        }

        /** Skips resolution: the class is taken as is (tests, or a caller that resolved it already). */
        public Builder jobClass(String v) {
            jobClass = v;
            return this;
        }

        public Builder jobArgs(List<String> v) {
            jobArgs = v == null ? List.of() : new ArrayList<>(v);
            return this;
        }

        public Builder jobArgs(String... v) {
            return jobArgs(List.of(v));
        }

        public Builder nprocPerNode(int v) {
            nprocPerNode = v;
            return this;
        }

        public Builder nnodes(int v) {
            nnodes = v;
            return this;
        }

        public Builder nodeRank(int v) {
            nodeRank = v;
            return this;
        }

        public Builder rdzvEndpoint(String v) {
            rdzvEndpoint = v;
            return this;
        }

        public Builder jobId(String v) {
            jobId = v;
            return this;
        }

        public Builder runDir(Path v) {
            runDir = v;
            return this;
        }

        public Builder jar(Path v) {
            jar = v;
            return this;
        }

        public Builder device(String v) {
            device = v;
            return this;
        }

        public Builder maxRestarts(int v) {
            maxRestarts = v;
            return this;
        }

        /** Write the merged timeline of this machine's ranks to {@code v} (null: none). */
        public Builder timeline(Path v) {
            timeline = v;
            return this;
        }

        /**
         * Resolves the job (unless {@link #jobClass} was given), picks a free local rendezvous port
         * when none was given on a single node, derives the job id and run directory, and validates.
         *
         * @throws IllegalArgumentException naming the bad value and what was expected
         */
        public LaunchConfig build() {
            if (job == null || job.isBlank()) {
                throw new IllegalArgumentException("JOB is missing: expected a built-in job name or a class name");
            }
            TorusConfig cfg = settings != null ? settings : TorusConfig.standard();
            int nprocPerNode = this.nprocPerNode != null ? this.nprocPerNode : cfg.getInt("torus.run.nproc-per-node");
            int nnodes = this.nnodes != null ? this.nnodes : cfg.getInt("torus.run.nnodes");
            int nodeRank = this.nodeRank != null ? this.nodeRank : cfg.getInt("torus.run.node-rank");
            int maxRestarts = this.maxRestarts != null ? this.maxRestarts : cfg.getInt("torus.run.max-restarts");
            String device = this.device != null ? this.device : cfg.get("torus.run.device");
            // Flags first, so a typo in one is reported before the job is looked up.
            checkCounts(nprocPerNode, nnodes, nodeRank, maxRestarts);
            checkDevice(device);
            if (rdzvEndpoint != null) {
                checkEndpoint(rdzvEndpoint);
            }
            if (jar != null) {
                checkJar(jar);
            }
            String cls = jobClass != null ? jobClass : BuiltinJobs.resolve(job, jar);
            String shortName = sanitize(BuiltinJobs.shortName(job));
            String endpoint = rdzvEndpoint;
            if (endpoint == null) {
                if (nnodes > 1) {
                    throw new IllegalArgumentException("--rdzv-endpoint is missing: expected HOST:PORT of node 0's "
                            + "rendezvous when --nnodes is " + nnodes);
                }
                String host = cfg.get("torus.run.rdzv-host");
                int port = cfg.getInt("torus.run.rdzv-port");
                endpoint = host + ":" + (port != 0 ? port : freePort(host));
            }
            String id = jobId;
            if (id == null) {
                // Every node must derive the same id; a single node makes a fresh one per run.
                id = nnodes > 1 ? sanitize("torus-" + shortName + "-" + endpoint.replace(':', '-'))
                        : shortName + "-" + timestamp() + "-" + HexFormat.of().toHexDigits(
                                (short) ThreadLocalRandom.current().nextInt());
            }
            Path dir = runDir != null ? runDir : defaultRunDir(cfg, shortName);
            return new LaunchConfig(job, cls, jobArgs, nprocPerNode, nnodes, nodeRank, endpoint, id, dir, jar,
                    device, maxRestarts, cfg, timeline);
        }
    }

    /** {@code <runs-dir>/<name>-<yyyyMMdd-HHmmss>}, with a numeric suffix if that exists already. */
    static Path defaultRunDir(TorusConfig settings, String name) {
        Path base = Path.of(settings.get("torus.run.runs-dir")).toAbsolutePath();
        Path dir = base.resolve(name + "-" + timestamp());
        for (int i = 2; Files.exists(dir); i++) {
            dir = base.resolve(name + "-" + timestamp() + "-" + i);
        }
        return dir;
    }

    private static String timestamp() {
        return LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    }

    private static String sanitize(String s) {
        String t = s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]+", "-");
        return t.isEmpty() ? "job" : t;
    }

    /** A port that was free a moment ago on {@code host} (the usual bind-to-zero race applies). */
    static int freePort(String host) {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(host))) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free port on " + host, e);
        }
    }
}
