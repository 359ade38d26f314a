package io.torus.tensor.backend.cuda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The kernels' index arithmetic without a GPU: the shipped .cu files are compiled for the host with
 * g++ behind {@code cuda-host/host_shim.h} (one block of one thread: grid-stride loops visit every
 * element, block reductions fold serially, barriers vanish) and {@code cuda-host/driver.cpp} runs
 * copy, binary, axpby, reductions, arg-max, log-softmax, gather/scatter-add, the masked prefix
 * sum, im2col + col2im for strided and dilated convolutions, and max/avg pooling forward and
 * backward, each against naive loops; and the block-cooperative kernels (gemm.cu's tiles, block
 * reductions, the prefix sum) with one host thread per CUDA thread behind {@code host_threads.h}.
 * What it cannot show: the device's memory model, warp-level timing, and the device compiler;
 * the gpu-tagged tests do.
 */
class KernelHostEmulationTest {

    @Test
    void hostBuildOfTheKernels_matchesNaiveLoops(@TempDir Path dir) throws Exception {
        String gxx = onPath("g++");
        assumeTrue(gxx != null, "no g++ on the PATH to build the kernels for the host");
        for (String f : KernelModules.FILES) {
            Files.writeString(dir.resolve(f + ".cu"), KernelModules.resource(KernelModules.SRC_DIR + f + ".cu"));
        }
        for (String h : KernelModules.HEADERS) {
            Files.writeString(dir.resolve(h), KernelModules.resource(KernelModules.SRC_DIR + h));
        }
        for (String f : List.of("host_shim.h", "driver.cpp")) {
            try (InputStream in = KernelHostEmulationTest.class.getResourceAsStream("/cuda-host/" + f)) {
                assertNotNull(in, f);
                Files.write(dir.resolve(f), in.readAllBytes());
            }
        }
        Path exe = dir.resolve("kernels");
        List<String> compile = new ArrayList<>(List.of(gxx, "-std=c++17", "-O0", "-ffp-contract=off", "-include", "host_shim.h",
                "-I" + dir, "-o", exe.toString(), "-x", "c++"));
        for (String f : List.of("elementwise", "reduce", "index", "conv", "random")) { // gemm.cu needs real threads
            compile.add(dir.resolve(f + ".cu").toString());
        }
        compile.add(dir.resolve("driver.cpp").toString());
        Result built = run(compile, dir);
        assertEquals(0, built.code, "g++ failed:\n" + built.output);
        Result r = run(List.of(exe.toString()), dir);
        assertEquals(0, r.code, "kernel checks failed:\n" + r.output);
        long ok = r.output.lines().filter(l -> l.startsWith("ok ")).count();
        assertTrue(ok >= 27, "checks that ran: " + ok + "\n" + r.output);
        assertTrue(r.output.contains("0 failures"), r.output);
    }

    /**
     * The block-cooperative kernels (GEMM tiles, block reductions, arg-max ties, log-softmax, the
     * prefix sum) with one host thread per CUDA thread and a real barrier for __syncthreads().
     */
    @Test
    void threadedHostBuildOfTheBlockKernels_matchesNaiveLoops(@TempDir Path dir) throws Exception {
        String gxx = onPath("g++");
        assumeTrue(gxx != null, "no g++ on the PATH to build the kernels for the host");
        for (String h : KernelModules.HEADERS) {
            Files.writeString(dir.resolve(h), KernelModules.resource(KernelModules.SRC_DIR + h));
        }
        List<String> compile = new ArrayList<>(List.of(gxx, "-std=c++17", "-O1", "-pthread", "-include", "host_threads.h",
                "-I" + dir, "-o", dir.resolve("blocks").toString(), "-x", "c++"));
        for (String f : List.of("gemm", "reduce", "index")) {
            // shared memory becomes memory shared by the block's threads (see host_threads.h)
            String src = KernelModules.resource(KernelModules.SRC_DIR + f + ".cu")
                    .replace("extern __shared__", "extern").replace("__shared__", "static");
            Files.writeString(dir.resolve(f + ".cu"), src);
            compile.add(dir.resolve(f + ".cu").toString());
        }
        for (String f : List.of("host_threads.h", "driver_threads.cpp")) {
            try (InputStream in = KernelHostEmulationTest.class.getResourceAsStream("/cuda-host/" + f)) {
                assertNotNull(in, f);
                Files.write(dir.resolve(f), in.readAllBytes());
            }
        }
        compile.add(dir.resolve("driver_threads.cpp").toString());
        Result built = run(compile, dir);
        assertEquals(0, built.code, "g++ failed:\n" + built.output);
        Result r = run(List.of(dir.resolve("blocks").toString()), dir);
        assertEquals(0, r.code, "kernel checks failed:\n" + r.output);
        assertTrue(r.output.lines().filter(l -> l.startsWith("ok ")).count() >= 9, r.output);
    }

    private record Result(int code, String output) {
    }

    private static Result run(List<String> cmd, Path dir) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        return new Result(p.exitValue(), out);
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
