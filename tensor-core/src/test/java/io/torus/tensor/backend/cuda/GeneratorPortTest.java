package io.torus.tensor.backend.cuda;

import io.torus.tensor.Generator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The CUDA random fills without a GPU: generator.cuh and fdlibm.cuh are __host__ __device__, so
 * the very text the kernels include is compiled here for the host (g++, FMA contraction off, as
 * nvcc is told for the device) and its draws compared bit for bit with {@link Generator}'s:
 * bits, uniform, and the Box-Muller normal with fdlibm's log and cos against StrictMath's. What
 * this cannot show is that the device compiler keeps the same roundings; the gpu-tagged
 * CudaRandomTest compares the device's fills with the CPU's.
 */
class GeneratorPortTest {
    private static final int COUNT = 200_000;

    private static final String DRIVER = """
            #define TORUS_HD
            #include "generator.cuh"
            #include <cstdio>
            #include <cstdlib>
            int main(int argc, char** argv) {
                gen_u64 seed = strtoull(argv[1], 0, 10), base = strtoull(argv[2], 0, 10), n = strtoull(argv[3], 0, 10);
                for (gen_u64 i = 0; i < n; i++) {
                    gen_u64 c = base + i;
                    printf("%016llx %016llx %016llx\\n", gen_bits(seed, c), (unsigned long long) fd_bits(gen_uniform(seed, c)),
                           (unsigned long long) fd_bits(gen_normal(seed, c)));
                }
                return 0;
            }
            """;

    @Test
    void hostBuildOfTheKernelGenerator_matchesGeneratorBitForBit(@TempDir Path dir) throws Exception {
        String gxx = onPath("g++");
        assumeTrue(gxx != null, "no g++ on the PATH to build the host copy of generator.cuh");
        for (String h : List.of("fdlibm.cuh", "generator.cuh")) {
            Files.writeString(dir.resolve(h), KernelModules.resource(KernelModules.SRC_DIR + h));
        }
        Files.writeString(dir.resolve("driver.cpp"), DRIVER);
        Path exe = dir.resolve("driver");
        run(List.of(gxx, "-O2", "-ffp-contract=off", "-I" + dir, "-o", exe.toString(), dir.resolve("driver.cpp").toString()), null);
        for (long seed : new long[] {0, 42, -7}) {
            long base = seed == 42 ? 1L << 40 : 17;
            Generator g = new Generator(seed);
            int[] row = {0};
            run(List.of(exe.toString(), Long.toUnsignedString(seed), Long.toString(base), Integer.toString(COUNT)), line -> {
                String[] f = line.split(" ");
                long c = base + row[0]++;
                assertEquals(g.bits(c), Long.parseUnsignedLong(f[0], 16), "bits, seed " + seed + ", counter " + c);
                assertEquals(Double.doubleToRawLongBits(g.uniform(c)), Long.parseUnsignedLong(f[1], 16),
                        "uniform, seed " + seed + ", counter " + c);
                assertEquals(Double.doubleToRawLongBits(g.normal(c)), Long.parseUnsignedLong(f[2], 16),
                        "normal, seed " + seed + ", counter " + c + ": " + g.normal(c) + " vs "
                                + Double.longBitsToDouble(Long.parseUnsignedLong(f[2], 16)));
            });
            assertEquals(COUNT, row[0], "lines from the host build");
        }
    }

    private static void run(List<String> cmd, java.util.function.Consumer<String> lines) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        StringBuilder out = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (lines != null) {
                    lines.accept(line);
                } else {
                    out.append(line).append('\n');
                }
            }
        } finally {
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + " failed:\n" + out);
    }

    private static String onPath(String exe) {
        String path = System.getenv("PATH");
        for (String d : path == null ? new String[0] : path.split(File.pathSeparator)) {
            File f = new File(d, exe);
            if (f.canExecute()) {
                return f.getPath();
            }
        }
        return null;
    }
}
