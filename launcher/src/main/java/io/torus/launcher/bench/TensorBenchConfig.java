package io.torus.launcher.bench;

import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A validated {@code torus bench tensor} run.
 *
 * @param sections         what to measure
 * @param quick            the short mode (fewer and shorter samples)
 * @param timing           warm-up, timed repetitions, shortest sample
 * @param sgemmSizes       n of the n × n sgemm rows
 * @param elementwiseNumel elements per operand of add, mul and sum
 * @param convBatch        images per LeNet conv batch
 * @param reference        whether to measure PyTorch in the same run
 * @param python           the interpreter with torch (Debian's is /usr/bin/python3)
 * @param installReference run scripts/install-bench-reference.sh when torch is missing
 * @param ghz              the clock for the peak, or null to measure it
 * @param flopsPerCycle    FLOAT32 FLOPs per cycle per core, or null to derive them
 */
public record TensorBenchConfig(Set<Section> sections, boolean quick, Timing timing, List<Integer> sgemmSizes, int elementwiseNumel,
                                int convBatch, boolean reference, String python, boolean installReference, Double ghz,
                                Integer flopsPerCycle) {

    /** The Python with torch: {@code $TORUS_BENCH_PYTHON}, else Debian's {@code /usr/bin/python3}. */
    public static String defaultPython() {
        String env = System.getenv("TORUS_BENCH_PYTHON");
        return env != null && !env.isBlank() ? env : "/usr/bin/python3";
    }

    /** The parts of the benchmark, as {@code --only} names them. */
    public enum Section {
        SGEMM, ELEMENTWISE, CONV;

        public String cliName() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Section parse(String s) {
            for (Section x : values()) {
                if (x.cliName().equals(s.trim().toLowerCase(Locale.ROOT))) {
                    return x;
                }
            }
            throw new IllegalArgumentException("--only: unknown section '" + s + "', expected sgemm, elementwise or conv");
        }
    }

    /** 64 MiB of FLOAT32. */
    public static final int DEFAULT_ELEMENTWISE_NUMEL = 16 * 1024 * 1024;
    public static final List<Integer> DEFAULT_SGEMM_SIZES = List.of(256, 512, 1024, 2048);
    public static final int DEFAULT_CONV_BATCH = 64;

    /** Full mode: 3 warm-up samples, the median of 15 timed ones, each at least 100 ms. */
    public static Timing fullTiming() {
        return new Timing(3, 15, 100_000_000L);
    }

    /** Quick mode: 1 warm-up sample, the median of 3, each at least 20 ms. */
    public static Timing quickTiming() {
        return new Timing(1, 3, 20_000_000L);
    }

    public TensorBenchConfig {
        if (sections.isEmpty()) {
            throw new IllegalArgumentException("--only: no section selected, expected sgemm, elementwise or conv");
        }
        sections = Collections.unmodifiableSet(EnumSet.copyOf(sections)); // iterates in declaration order
        sgemmSizes = List.copyOf(sgemmSizes);
        for (int n : sgemmSizes) {
            if (n < 1 || n > 16384) {
                throw new IllegalArgumentException("--sizes: n = " + n + " out of range, expected 1..16384");
            }
        }
        if (sgemmSizes.isEmpty()) {
            throw new IllegalArgumentException("--sizes: no sgemm size given, expected e.g. 256,512");
        }
        if (elementwiseNumel < 1) {
            throw new IllegalArgumentException("elementwise size " + elementwiseNumel + ": expected at least 1 element");
        }
        if (convBatch < 1) {
            throw new IllegalArgumentException("--conv-batch " + convBatch + ": expected >= 1");
        }
        if (ghz != null && !(ghz > 0 && ghz < 20)) {
            throw new IllegalArgumentException("--ghz " + ghz + ": expected a clock in GHz between 0 and 20");
        }
        if (flopsPerCycle != null && (flopsPerCycle < 1 || flopsPerCycle > 1024)) {
            throw new IllegalArgumentException("--flops-per-cycle " + flopsPerCycle + ": expected 1..1024");
        }
    }
}
