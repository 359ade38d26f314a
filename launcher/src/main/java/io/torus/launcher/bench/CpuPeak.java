package io.torus.launcher.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The CPU's peak FLOAT32 rate for the cores a benchmark uses: cores × GHz × FLOP per cycle, each
 * factor with where it came from, so that "Torus reaches 0.62 of peak" can be checked by hand.
 *
 * <p>FLOP per cycle comes from the vendor, the model name and the SIMD flags in
 * {@code /proc/cpuinfo}: FMA pipes × fp32 lanes × 2 (an FMA is two FLOPs). The table is small and
 * says what it assumes; {@code --flops-per-cycle} overrides it.
 * <ul>
 *   <li>AVX-512 on an Intel Xeon: 2 FMA pipes × 16 lanes × 2 = 64 (Skylake-SP and later server
 *       cores; some Skylake/Cascade Lake Silver, Bronze and Gold 5xxx parts have one pipe: 32).</li>
 *   <li>AVX-512 on an Intel client core (Ice Lake, Tiger Lake, Rocket Lake): 1 × 16 × 2 = 32.</li>
 *   <li>AVX-512 on AMD: Zen 5 (family 1Ah) 2 × 16 × 2 = 64 (full-width datapath; the mobile parts
 *       split 512-bit ops and get 32); Zen 4 (family 19h) splits them: 2 × 8 × 2 = 32.</li>
 *   <li>AVX2 + FMA: 2 × 8 × 2 = 32 (Haswell and later, Zen 2 and later; Zen 1: 16).</li>
 *   <li>otherwise SSE: 2 × 4 × 2 = 16, a guess.</li>
 * </ul>
 *
 * <p>The clock: in a VM or with turbo the "cpu MHz" of {@code /proc/cpuinfo} is often the nominal
 * (TSC) rate, not what a busy core runs at. So the clock is measured: a chain of dependent
 * integer add and xor, one cycle each on every x86-64 and AArch64 core, run for a few tens of
 * milliseconds; the best of several runs is taken. That is the single-core turbo clock; heavy
 * AVX-512 code may run slower (an Intel "license" frequency), so the peak is an upper bound. The
 * nominal and cpufreq-max clocks are printed beside it; {@code --ghz} overrides.
 *
 * @param cores          cores the benchmark uses
 * @param ghz            the clock used for the peak
 * @param clockSource    where {@code ghz} came from
 * @param flopsPerCycle  FLOAT32 FLOPs per cycle per core
 * @param flopsSource    how {@code flopsPerCycle} was derived
 * @param cpuModel       the model name
 * @param otherClocks    the other clocks seen, for the reader
 */
public record CpuPeak(int cores, double ghz, String clockSource, int flopsPerCycle, String flopsSource, String cpuModel,
                      String otherClocks) {

    public double gflops() {
        return cores * ghz * flopsPerCycle;
    }

    /** One line each for the derivation. */
    public List<String> explain() {
        return List.of(
                String.format(Locale.ROOT, "peak FLOAT32 = %d core × %.2f GHz × %d FLOP/cycle = %.1f GFLOP/s", cores, ghz,
                        flopsPerCycle, gflops()),
                "  FLOP/cycle: " + flopsSource,
                "  clock: " + clockSource + (otherClocks.isEmpty() ? "" : "; " + otherClocks));
    }

    /** Detects the peak of {@code cores} cores; {@code ghzOverride} and {@code flopsOverride} win when non-null. */
    public static CpuPeak detect(int cores, Double ghzOverride, Integer flopsOverride) {
        CpuInfo info = CpuInfo.read();
        int flops;
        String flopsSource;
        if (flopsOverride != null) {
            flops = flopsOverride;
            flopsSource = flopsOverride + " (--flops-per-cycle)";
        } else {
            Derived d = flopsPerCycle(info);
            flops = d.flops;
            flopsSource = d.why;
        }
        String nominal = info.mhz > 0 ? String.format(Locale.ROOT, "nominal %.2f GHz ('cpu MHz' in /proc/cpuinfo)", info.mhz / 1000)
                : "no 'cpu MHz' in /proc/cpuinfo";
        String max = maxFreqGhz() > 0 ? String.format(Locale.ROOT, ", cpufreq max %.2f GHz", maxFreqGhz()) : ", no cpufreq max";
        double ghz;
        String source;
        String others;
        if (ghzOverride != null) {
            ghz = ghzOverride;
            source = ghz + " GHz (--ghz)";
            others = nominal + max;
        } else {
            double measured = measureClockGhz();
            if (measured > 0.3 && measured < 10) {
                ghz = measured;
                source = String.format(Locale.ROOT, "%.2f GHz measured (dependent add+xor chain, 2 cycles per iteration, best of 7; "
                        + "single-core turbo, an upper bound for AVX-512 code)", measured);
                others = nominal + max;
            } else if (info.mhz > 0) {
                ghz = info.mhz / 1000;
                source = String.format(Locale.ROOT, "%.2f GHz from 'cpu MHz' in /proc/cpuinfo (the clock measurement gave "
                        + "an implausible %.2f GHz)", ghz, measured);
                others = "";
            } else {
                ghz = 1;
                source = "unknown; 1 GHz assumed (pass --ghz)";
                others = "";
            }
        }
        return new CpuPeak(cores, ghz, source, flops, flopsSource, info.model, others);
    }

    private record Derived(int flops, String why) {
    }

    static Derived flopsPerCycle(CpuInfo info) {
        Set<String> f = info.flags;
        boolean intel = info.vendor.equals("GenuineIntel");
        boolean amd = info.vendor.equals("AuthenticAMD");
        String cpu = info.vendor + " family " + info.family + " model " + info.modelNumber + " '" + info.model + "'";
        if (f.contains("avx512f")) {
            if (intel && info.model.contains("Xeon")) {
                return new Derived(64, "2 FMA pipes × 16 fp32 lanes × 2 = 64 (avx512f on " + cpu
                        + ": a Xeon server core, 2 AVX-512 FMA units assumed)");
            }
            if (intel) {
                return new Derived(32, "1 FMA pipe × 16 fp32 lanes × 2 = 32 (avx512f on " + cpu
                        + ": a client core, one 512-bit FMA unit)");
            }
            if (amd && info.family >= 0x1A) {
                return new Derived(64, "2 FMA pipes × 16 fp32 lanes × 2 = 64 (avx512f on " + cpu
                        + ": Zen 5, full-width 512-bit datapath assumed)");
            }
            if (amd) {
                return new Derived(32, "2 FMA pipes × 8 fp32 lanes × 2 = 32 (avx512f on " + cpu
                        + ": Zen 4 runs 512-bit ops as two 256-bit halves)");
            }
            return new Derived(64, "2 FMA pipes × 16 fp32 lanes × 2 = 64 (avx512f on " + cpu + ", assumed)");
        }
        if (f.contains("avx2") && f.contains("fma")) {
            if (amd && info.family == 0x17 && info.modelNumber < 0x30) {
                return new Derived(16, "2 FMA pipes × 4 fp32 lanes × 2 = 16 (avx2 on " + cpu + ": Zen 1 splits 256-bit ops)");
            }
            return new Derived(32, "2 FMA pipes × 8 fp32 lanes × 2 = 32 (avx2+fma on " + cpu + ")");
        }
        return new Derived(16, "2 pipes × 4 fp32 lanes × 2 = 16 (no avx2/avx512f flag on " + cpu + "; a guess)");
    }

    /** The parts of {@code /proc/cpuinfo} the derivation needs (first processor). */
    record CpuInfo(String vendor, int family, int modelNumber, String model, Set<String> flags, double mhz) {
        static CpuInfo read() {
            String vendor = "";
            int family = -1;
            int modelNumber = -1;
            String model = "unknown CPU";
            Set<String> flags = Set.of();
            double mhz = -1;
            try {
                for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                    int colon = line.indexOf(':');
                    if (colon < 0) {
                        if (line.isBlank() && !vendor.isEmpty()) {
                            break; // the first processor is enough
                        }
                        continue;
                    }
                    String key = line.substring(0, colon).trim();
                    String value = line.substring(colon + 1).trim();
                    switch (key) {
                        case "vendor_id" -> vendor = value;
                        case "cpu family" -> family = parseInt(value);
                        case "model" -> modelNumber = parseInt(value);
                        case "model name" -> model = value;
                        case "flags" -> flags = Set.of(value.split("\\s+"));
                        case "cpu MHz" -> mhz = parseDouble(value);
                        default -> {
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                model = "unknown CPU (" + e.getMessage() + ")";
            }
            return new CpuInfo(vendor, family, modelNumber, model, flags, mhz);
        }

        private static int parseInt(String s) {
            try {
                return Integer.parseInt(s);
            } catch (NumberFormatException e) {
                return -1;
            }
        }

        private static double parseDouble(String s) {
            try {
                return Double.parseDouble(s);
            } catch (NumberFormatException e) {
                return -1;
            }
        }
    }

    private static double maxFreqGhz() {
        try {
            String khz = Files.readString(Path.of("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq")).trim();
            return Long.parseLong(khz) / 1e6;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    // ------------------------------------------------------------------ clock measurement

    private static volatile long sink;

    /** Two dependent one-cycle ops per iteration; the xor with the counter keeps the JIT from folding the adds. */
    private static long chain(long n, long y) {
        long x = 0;
        for (long i = 0; i < n; i++) {
            x += y;
            x ^= i;
        }
        return x;
    }

    /** GHz from the best of 7 runs of the chain (after warming it up so that it runs compiled). */
    static double measureClockGhz() {
        long y = System.nanoTime() | 1;
        for (int i = 0; i < 5; i++) {
            sink += chain(2_000_000, y);
        }
        long n = 40_000_000;
        long best = Long.MAX_VALUE;
        for (int r = 0; r < 7; r++) {
            long t = System.nanoTime();
            sink += chain(n, y);
            best = Math.min(best, System.nanoTime() - t);
        }
        return 2.0 * n / best;
    }
}
