package io.torus.tensor.backend.cpu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which OpenBLAS kernels a JVM should get: the policy for the {@code OPENBLAS_CORETYPE}
 * environment variable.
 *
 * <p>bytedeco's OpenBLAS is a DYNAMIC_ARCH build: when the library loads it picks kernels for
 * the CPU, unless {@code OPENBLAS_CORETYPE} names a core, which it then uses unchecked. Measured
 * with 0.3.31, single-thread sgemm, off-heap operands, n = 256..2048 (2-vCPU AVX-512 VM, ±30 %):
 * <pre>
 *   OPENBLAS_CORETYPE    kernels chosen    GFLOP/s
 *   (unset)              SkylakeX          172-193   (auto-detection picks AVX-512)
 *   SkylakeX             SkylakeX          158-195
 *   Cooperlake           Cooperlake        176-189   (same sgemm kernels as SkylakeX)
 *   SapphireRapids       Cooperlake        175-182   (name unknown to 0.3.31: auto-detected)
 *   Zen, Haswell         Zen, Haswell      109-115   (AVX2: about 0.6x)
 * </pre>
 * So the library already chooses well by itself; what goes wrong is an environment that forces
 * an older core (some machine images export {@code OPENBLAS_CORETYPE=Haswell}), and, the other
 * way round, a forced AVX-512 core on a CPU without AVX-512, which dies on an illegal
 * instruction. The variable is read once, when the library loads, so a JVM cannot fix its own:
 * the launcher applies {@link #applyTo} to each worker's environment, and a JVM that loads
 * OpenBLAS with a bad value warns (or, for the crash case, stays on the Java kernels).
 *
 * <p>The setting {@code torus.blas.coretype} chooses the policy: {@code auto} (default) as
 * above, {@code inherit} to pass the environment through untouched, or an OpenBLAS core name to
 * force it.
 */
public final class BlasCoreType {
    /** The core Torus selects on AVX-512 CPUs: the oldest AVX-512 core, fine on every later one. */
    public static final String AVX512_CORE = "SkylakeX";

    /** OpenBLAS's AVX-512 core names (x86-64 DYNAMIC_ARCH). */
    private static final Set<String> AVX512_CORES = Set.of("skylakex", "cooperlake", "sapphirerapids");

    /** OpenBLAS's x86 core names that use no AVX-512 (from {@code driver/others/dynamic.c}). */
    private static final Set<String> OLDER_CORES = Set.of("katmai", "coppermine", "northwood", "prescott", "banias",
            "atom", "core2", "penryn", "dunnington", "nehalem", "athlon", "opteron", "opteron_sse3", "barcelona",
            "nano", "sandybridge", "bobcat", "bulldozer", "piledriver", "haswell", "steamroller", "excavator", "zen");

    /** The CPU flags (as in /proc/cpuinfo) that OpenBLAS's SkylakeX kernels rely on. */
    static final Set<String> AVX512_FLAGS = Set.of("avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl");

    public static final String ENV = "OPENBLAS_CORETYPE";
    public static final String SETTING = "torus.blas.coretype";

    private static volatile Set<String> cpuFlags;

    private BlasCoreType() {
    }

    /** What to do with {@code OPENBLAS_CORETYPE}. */
    public enum Action { KEEP, SET, UNSET }

    /**
     * A decision: {@link Action#SET} comes with the {@code value} to set; {@code reason} says why
     * (what is wrong with the current value, or which setting asked for it), fit for a log line.
     */
    public record Decision(Action action, String value, String reason) {
        /** The reason and what a child started with this decision gets, for the launcher's log. */
        public String forWorkers() {
            return switch (action) {
                case SET -> reason + "; workers get " + ENV + "=" + value;
                case UNSET -> reason + "; workers start without " + ENV;
                case KEEP -> reason;
            };
        }

        /** Applies the decision to an environment (a {@link ProcessBuilder#environment()}). */
        public void applyTo(Map<String, String> env) {
            switch (action) {
                case SET -> env.put(ENV, value);
                case UNSET -> env.remove(ENV);
                case KEEP -> { }
            }
        }
    }

    /**
     * The policy, as a pure function.
     *
     * @param setting  {@code torus.blas.coretype}: {@code auto}, {@code inherit}, or a core name; null means auto
     * @param current  the environment's {@code OPENBLAS_CORETYPE}, null when unset
     * @param cpuFlags the CPU's feature flags, lower case as in /proc/cpuinfo; empty when unknown
     */
    public static Decision decide(String setting, String current, Set<String> cpuFlags) {
        String s = setting == null || setting.isBlank() ? "auto" : setting.trim();
        String cur = current == null || current.isBlank() ? null : current.trim();
        String curKey = cur == null ? null : cur.toLowerCase(Locale.ROOT);
        if (s.equalsIgnoreCase("inherit")) {
            return new Decision(Action.KEEP, cur, SETTING + "=inherit: the environment decides");
        }
        if (!s.equalsIgnoreCase("auto")) {
            if (s.equalsIgnoreCase(cur)) {
                return new Decision(Action.KEEP, cur, SETTING + "=" + s + " is already set");
            }
            return new Decision(Action.SET, s, SETTING + "=" + s + " asks for " + ENV + "=" + s);
        }
        boolean known = !cpuFlags.isEmpty();
        boolean avx512 = cpuFlags.containsAll(AVX512_FLAGS);
        if (cur == null) {
            return new Decision(Action.KEEP, null, ENV + " is unset: OpenBLAS picks the kernels for this CPU");
        }
        if (avx512 && OLDER_CORES.contains(curKey)) {
            return new Decision(Action.SET, AVX512_CORE, ENV + "=" + cur + " selects kernels without AVX-512 on a CPU"
                    + " that has it (about half the sgemm speed)");
        }
        if (known && !avx512 && AVX512_CORES.contains(curKey)) {
            return new Decision(Action.UNSET, null, ENV + "=" + cur + " selects AVX-512 kernels but this CPU lacks "
                    + (cpuFlags.contains("avx512f") ? "some of " + AVX512_FLAGS : "AVX-512")
                    + " (they would stop on an illegal instruction)");
        }
        return new Decision(Action.KEEP, cur, ENV + "=" + cur + " kept");
    }

    /** The decision for this JVM: its {@code torus.blas.coretype}, its environment and its CPU. */
    public static Decision forThisProcess() {
        return decide(System.getProperty(SETTING), System.getenv(ENV), cpuFlags());
    }

    /**
     * Applies the {@code auto}/{@code inherit}/name policy to a child's environment and returns
     * the decision (the launcher calls this for each worker JVM it starts).
     */
    public static Decision applyTo(Map<String, String> childEnv, String setting) {
        Decision d = decide(setting, childEnv.get(ENV), cpuFlags());
        d.applyTo(childEnv);
        return d;
    }

    /** This machine's CPU flags from {@code /proc/cpuinfo} (Linux x86); empty elsewhere. */
    public static Set<String> cpuFlags() {
        Set<String> f = cpuFlags;
        if (f == null) {
            f = parseCpuFlags(readCpuInfo());
            cpuFlags = f;
        }
        return f;
    }

    private static String readCpuInfo() {
        try {
            return Files.readString(Path.of("/proc/cpuinfo"));
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /** The flags of the first {@code flags : ...} line of a /proc/cpuinfo text. */
    static Set<String> parseCpuFlags(String cpuinfo) {
        for (String line : cpuinfo.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equals("flags")) {
                return Arrays.stream(line.substring(colon + 1).trim().toLowerCase(Locale.ROOT).split("\\s+"))
                        .filter(t -> !t.isEmpty()).collect(Collectors.toUnmodifiableSet());
            }
        }
        return Set.of();
    }
}
