package io.torus.tensor.backend.cuda;

import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;
import jcuda.nvrtc.JNvrtc;
import jcuda.nvrtc.nvrtcProgram;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The kernel files of one device, loaded as CUDA modules, and their functions by name.
 *
 * <p>Where the PTX comes from: the build runs {@code src/main/cuda/compile-ptx.sh}, which puts one
 * {@code .ptx} per {@code .cu} under {@code io/torus/tensor/backend/cuda/ptx/} when nvcc is on the
 * PATH. A jar built without nvcc has only the sources (under {@code .../cuda/src/}), and each file
 * is compiled here by NVRTC for the device's own architecture, with the same flags the script uses
 * ({@code -fmad=false} for every file but gemm.cu). Function names are the kernels' extern "C" names.
 */
final class KernelModules {
    static final String PTX_DIR = "/io/torus/tensor/backend/cuda/ptx/";
    static final String SRC_DIR = "/io/torus/tensor/backend/cuda/src/";
    /** The kernel files (without .cu), one module each. */
    static final List<String> FILES = List.of("elementwise", "reduce", "index", "random", "conv", "gemm");
    static final List<String> HEADERS = List.of("torus_cuda.cuh", "fdlibm.cuh", "generator.cuh");

    private final Map<String, CUmodule> modules = new ConcurrentHashMap<>();
    private final Map<String, CUfunction> functions = new ConcurrentHashMap<>();

    /** Loads every module into the current context (the device's), compiling with NVRTC where no PTX was shipped. */
    KernelModules(int ccMajor, int ccMinor) {
        for (String file : FILES) {
            String ptx = resource(PTX_DIR + file + ".ptx");
            if (ptx == null) {
                ptx = compile(file, ccMajor, ccMinor);
            }
            CUmodule m = new CUmodule();
            JCudaDriver.cuModuleLoadData(m, (ptx + '\0').getBytes(StandardCharsets.US_ASCII));
            modules.put(file, m);
        }
    }

    /** Whether every kernel file was compiled to PTX at build time. */
    static boolean ptxShipped() {
        for (String file : FILES) {
            if (KernelModules.class.getResource(PTX_DIR + file + ".ptx") == null) {
                return false;
            }
        }
        return true;
    }

    /** The kernel {@code name} of {@code file} (cached). */
    CUfunction function(String file, String name) {
        return functions.computeIfAbsent(name, n -> {
            CUmodule m = modules.get(file);
            if (m == null) {
                throw new IllegalArgumentException("cuda: no kernel file '" + file + "' (expected one of " + FILES + ")");
            }
            CUfunction f = new CUfunction();
            JCudaDriver.cuModuleGetFunction(f, m, n);
            return f;
        });
    }

    /** PTX for {@code file}.cu from NVRTC, for compute capability major.minor. */
    static String compile(String file, int major, int minor) {
        String src = resource(SRC_DIR + file + ".cu");
        if (src == null) {
            throw new IllegalStateException("cuda: neither PTX nor source for kernel file " + file + " is on the classpath");
        }
        String[] headers = new String[HEADERS.size()];
        String[] names = HEADERS.toArray(new String[0]);
        for (int i = 0; i < headers.length; i++) {
            headers[i] = resource(SRC_DIR + names[i]);
        }
        nvrtcProgram prog = new nvrtcProgram();
        JNvrtc.nvrtcCreateProgram(prog, src, file + ".cu", headers.length, headers, names);
        String[] options = {"--gpu-architecture=compute_" + major + minor, "-std=c++17",
                "--fmad=" + (file.equals("gemm") ? "true" : "false")};
        try {
            JNvrtc.nvrtcCompileProgram(prog, options.length, options);
            String[] ptx = new String[1];
            JNvrtc.nvrtcGetPTX(prog, ptx);
            return ptx[0];
        } catch (RuntimeException e) {
            String[] log = new String[1];
            JNvrtc.nvrtcGetProgramLog(prog, log);
            throw new IllegalStateException("cuda: NVRTC could not compile " + file + ".cu: " + log[0], e);
        } finally {
            JNvrtc.nvrtcDestroyProgram(prog);
        }
    }

    static String resource(String path) {
        try (InputStream in = KernelModules.class.getResourceAsStream(path)) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cuda: reading " + path, e);
        }
    }
}
