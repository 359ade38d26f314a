package io.torus.launcher.agent;

import io.torus.launcher.config.TorusConfig;
import io.torus.launcher.config.Tunable;
import io.torus.launcher.config.Tunables;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How the agent starts and watches worker JVMs, built {@link #from} the layered settings
 * ({@link TorusConfig}); tests adjust with the {@code with...} methods.
 *
 * @param javaCommand  the {@code java} executable: this JVM's own
 * @param classpath    the workers' classpath (this JVM's {@code java.class.path}; a job's {@code --jar} is appended per run)
 * @param jvmFlags     JVM options for every worker: the flags Spark, Netty and Hazelcast need, huge pages
 *                     ({@link HugePages}), then {@code torus.worker.jvm-opts}
 * @param workerHeap   {@code -Xmx} value, or {@code auto} (physical memory / (nproc + 1), clamped to 512m..8g)
 * @param youngGen     {@code torus.worker.young-gen}: {@code auto}, {@code g1} or an {@code -Xmn} size ({@link #youngGenFlags})
 * @param killGrace    how long stopped workers get between SIGTERM and SIGKILL
 * @param logTailLines lines of a failed rank's log quoted in the failure message
 * @param console      where workers' output goes, each line prefixed {@code [rank N] }
 * @param messages     where the agent's own messages go
 */
public record AgentSettings(String javaCommand, String classpath, List<String> jvmFlags, String workerHeap,
                            String youngGen, Duration killGrace, int logTailLines, PrintStream console, PrintStream messages) {

    /** Classpath resource holding the parent POM's {@code torus.jvm.opens}, filtered at build time. */
    public static final String JVM_FLAGS_RESOURCE = "/io/torus/launcher/jvm-flags.txt";

    /** System properties of this JVM that workers inherit when set. */
    static final List<String> INHERITED_PROPERTIES = List.of("torus.home", "log4j2.configurationFile",
            "log4j.configurationFile", "log4j2.level", "hazelcast.logging.type", "java.io.tmpdir");

    private static final long MIB = 1024L * 1024L;

    public AgentSettings {
        if (javaCommand == null || javaCommand.isBlank()) {
            throw new IllegalArgumentException("java command '" + javaCommand + "': expected a path to java");
        }
        jvmFlags = List.copyOf(jvmFlags);
        requireValid("torus.worker.heap", workerHeap);
        requireValid("torus.worker.young-gen", youngGen);
        if (killGrace.isNegative()) {
            throw new IllegalArgumentException("torus.agent.kill-grace-ms=" + killGrace.toMillis() + ": expected >= 0");
        }
        if (logTailLines < 0) {
            throw new IllegalArgumentException("torus.agent.log-tail-lines=" + logTailLines + ": expected >= 0");
        }
    }

    /** Checks {@code value} as the layered settings check {@code key} (Tunables), for values set through the with-methods. */
    private static void requireValid(String key, String value) {
        Tunable t = Tunables.get(key);
        if (!t.valid().test(value)) {
            throw new IllegalArgumentException(key + "=" + value + ": expected " + t.expected());
        }
    }

    /**
     * The {@code -Xmn} flag for a worker of a job of {@code worldSize} workers
     * ({@code torus.worker.young-gen}): a size as given; {@code g1}: none (G1 sizes the young
     * generation itself, hundreds of MiB on a large heap); {@code auto}: {@value #SOLO_YOUNG_GEN}
     * for a job of one worker, none for several.
     *
     * <p>Why small for one worker: the arrays a training step allocates then come from memory the
     * previous steps used moments ago, still in the caches, instead of from a young generation
     * whose every page is cold by the time allocation comes back to it. Measured 2026-11-23 on the
     * 2-vCPU VM, {@code torus bench train} (1 GiB heap), G1's sizing against {@code -Xmn16m}, in
     * turn: MLP 0.67 against 0.61-0.63 ms per step at batch 64, 1.97-1.98 against 1.84-1.88 at
     * 256; LeNet-5 4.40-4.50 against 4.16-4.17 at 64, 17.1-17.4 against 16.5-16.9 at 256.
     * Half an hour later, with the whole VM some 10 % slower (PyTorch's steps too), the two were
     * within noise of each other (MLP 0.69-0.73 and 2.04-2.17 ms either way): the gain depends on
     * what else the host's caches hold, and a small young generation cost nothing either time.
     * Why not for several: collections come as often as the young generation fills, and every
     * pause of one rank stalls the others at the next collective. {@code torus bench ddp} (2 ranks,
     * MLP, batch 64): compute alone (no all-reduce) got faster with 16m (0.81-0.88 against
     * 1.05-1.09 ms per step) but the communication left exposed grew from 0.30-0.34 to 0.48-0.78 ms,
     * so the DDP step was no faster (1.33-1.63 against 1.39 ms). (Arrays of half a region and more
     * are not allocated in the young generation at all: StoragePool recycles those.)
     */
    public List<String> youngGenFlags(int worldSize) {
        return switch (youngGen) {
            case "g1" -> List.of();
            case "auto" -> worldSize == 1 ? List.of("-Xmn" + SOLO_YOUNG_GEN) : List.of();
            default -> List.of("-Xmn" + youngGen);
        };
    }

    /** The young generation {@code auto} gives a job of one worker. */
    public static final String SOLO_YOUNG_GEN = "16m";

    /** {@link #from} the standard settings (defaults, environment, system properties). */
    public static AgentSettings fromDefaults() {
        return from(TorusConfig.standard());
    }

    /** The agent's settings from the layered, validated {@code settings} ({@code torus.worker.*}, {@code torus.agent.*}). */
    public static AgentSettings from(TorusConfig settings) {
        List<String> flags = new ArrayList<>(requiredJvmFlags());
        for (String p : INHERITED_PROPERTIES) {
            String v = System.getProperty(p);
            if (v != null) {
                flags.add("-D" + p + "=" + v);
            }
        }
        flags.addAll(workerProperties(settings));
        flags.addAll(HugePages.jvmFlags(settings.get("torus.worker.huge-pages"), HugePages.SYSFS_ENABLED));
        flags.addAll(split(settings.get("torus.worker.jvm-opts")));
        return new AgentSettings(currentJava(), System.getProperty("java.class.path"), flags,
                settings.get("torus.worker.heap"), settings.get("torus.worker.young-gen"), Duration.ofMillis(settings.getLong("torus.agent.kill-grace-ms")),
                settings.getInt("torus.agent.log-tail-lines"), System.out, System.err);
    }

    /**
     * {@code -Dkey=value} for the workers: every resolved key that the workers read (comm's
     * {@code torus.rdzv.*}, {@code torus.comm.*}, tensor-core's, ...: all but the launcher's own
     * sections), then any other {@code torus.*} system property of this JVM (one Torus has no
     * default for, e.g. a test's), passed through as is.
     */
    static List<String> workerProperties(TorusConfig settings) {
        Map<String, String> props = new TreeMap<>(settings.workerProperties());
        for (String key : System.getProperties().stringPropertyNames()) {
            if (key.startsWith("torus.") && Tunables.get(key) == null && !settings.values().containsKey(key)
                    && !INHERITED_PROPERTIES.contains(key) && !key.equals("torus.project.root")) {
                props.put(key, System.getProperty(key));
            }
        }
        List<String> flags = new ArrayList<>();
        props.forEach((k, v) -> flags.add("-D" + k + "=" + v));
        return flags;
    }

    /** The JVM flags Spark 4, Netty and Hazelcast need on JDK 17 (the parent POM's {@code torus.jvm.opens}). */
    public static List<String> requiredJvmFlags() {
        try (InputStream in = AgentSettings.class.getResourceAsStream(JVM_FLAGS_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(JVM_FLAGS_RESOURCE + " is not on the classpath: expected it in the launcher jar");
            }
            return split(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** This JVM's {@code java} executable. */
    static String currentJava() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    public AgentSettings withWorkerHeap(String heap) {
        return new AgentSettings(javaCommand, classpath, jvmFlags, heap, youngGen, killGrace, logTailLines, console, messages);
    }

    public AgentSettings withExtraJvmFlags(String... flags) {
        List<String> all = new ArrayList<>(jvmFlags);
        all.addAll(Arrays.asList(flags));
        return new AgentSettings(javaCommand, classpath, all, workerHeap, youngGen, killGrace, logTailLines, console, messages);
    }

    public AgentSettings withClasspath(String newClasspath) {
        return new AgentSettings(javaCommand, newClasspath, jvmFlags, workerHeap, youngGen, killGrace, logTailLines, console,
                messages);
    }

    public AgentSettings withKillGrace(Duration grace) {
        return new AgentSettings(javaCommand, classpath, jvmFlags, workerHeap, youngGen, grace, logTailLines, console, messages);
    }

    public AgentSettings withOutput(PrintStream newConsole, PrintStream newMessages) {
        return new AgentSettings(javaCommand, classpath, jvmFlags, workerHeap, youngGen, killGrace, logTailLines, newConsole,
                newMessages);
    }

    /** The {@code -Xmx} value for one of {@code nprocPerNode} workers. */
    public String heapFor(int nprocPerNode) {
        if (!workerHeap.equals("auto")) {
            return workerHeap;
        }
        long total = physicalMemory();
        long perWorker = total / (nprocPerNode + 1);
        long mib = Math.max(512, Math.min(8192, perWorker / MIB));
        return mib + "m";
    }

    private static long physicalMemory() {
        var os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getTotalMemorySize();
        }
        return 4096 * MIB;
    }

    private static List<String> split(String s) {
        String t = s.trim();
        return t.isEmpty() ? List.of() : List.of(t.split("\\s+"));
    }
}
