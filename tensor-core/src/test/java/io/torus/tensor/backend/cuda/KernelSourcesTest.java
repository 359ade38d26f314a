package io.torus.tensor.backend.cuda;

import io.torus.tensor.DType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What can be checked of the kernels without a GPU: the sources ship in the jar (for NVRTC), the
 * build produced PTX when nvcc was on the PATH, and the PTX holds every entry point the backend
 * names, with parameter lists whose sizes match what {@code CudaDevice.params} passes
 * (i64/pointer 8 bytes, int/float 4, Layout 72, ConvGeom 60, PoolGeom 64).
 */
class KernelSourcesTest {
    private static final String[] ALL = {"f32", "f64", "i64", "i32", "b8"};
    private static final String[] NUMERIC = {"f32", "f64", "i64", "i32"};
    private static final String[] FLOAT = {"f32", "f64"};
    private static final int LAYOUT = 4 * Layouts.INTS;

    @Test
    void sources_everyKernelFileAndHeaderIsOnTheClasspath() {
        for (String f : KernelModules.FILES) {
            String src = KernelModules.resource(KernelModules.SRC_DIR + f + ".cu");
            assertNotNull(src, f + ".cu");
            assertTrue(src.contains("extern \"C\""), f + ".cu declares extern \"C\" kernels");
        }
        for (String h : KernelModules.HEADERS) {
            assertNotNull(KernelModules.resource(KernelModules.SRC_DIR + h), h);
        }
    }

    @Test
    void ptx_builtWheneverNvccIsOnThePath() throws Exception {
        assumeTrue(nvccOnPath(), "nvcc is not on the PATH: the build compiled no PTX (NVRTC compiles at run time)");
        assertTrue(KernelModules.ptxShipped(), "nvcc is on the PATH but the build left no PTX under " + KernelModules.PTX_DIR);
    }

    @Test
    void ptx_holdsEveryEntryPointWithTheParameterSizesTheBackendPasses() {
        assumeTrue(KernelModules.ptxShipped(), "no PTX was built (no nvcc at build time)");
        Map<String, List<Integer>> entries = new HashMap<>();
        for (String f : KernelModules.FILES) {
            entries.putAll(parse(KernelModules.resource(KernelModules.PTX_DIR + f + ".ptx")));
        }
        Map<String, List<Integer>> expected = expectedSignatures();
        for (Map.Entry<String, List<Integer>> e : expected.entrySet()) {
            assertTrue(entries.containsKey(e.getKey()), "PTX has no entry " + e.getKey());
            assertEquals(e.getValue(), entries.get(e.getKey()), "parameter sizes of " + e.getKey());
        }
        assertTrue(expected.size() >= 130, "expected signatures: " + expected.size());
    }

    /** The CudaBackend's launches, written out: name -> byte size of each parameter. */
    static Map<String, List<Integer>> expectedSignatures() {
        Map<String, List<Integer>> m = new HashMap<>();
        final int p = 8; // pointer
        final int l = LAYOUT;
        for (String s : ALL) {
            int es = size(s);
            for (String d : ALL) {
                m.put("copy_" + s + "_" + d, List.of(8, l, p, l, p));
            }
            m.put("fill_" + s, List.of(8, l, p, es));
            m.put("where_" + s, List.of(8, l, p, l, p, l, p, l, p));
            m.put("binary_" + s, List.of(8, 4, l, p, l, p, l, p));
            m.put("compare_" + s, List.of(8, 4, l, p, l, p, l, p));
            m.put("gather_" + s + "_i64", List.of(8, 4, l, p, l, p, l, p));
            m.put("gather_" + s + "_i32", List.of(8, 4, l, p, l, p, l, p));
            m.put("masked_select_" + s, List.of(8, l, p, p, l, p, l, p));
            m.put("masked_scatter_" + s, List.of(8, l, p, p, l, p, l, p));
            m.put("uniform_" + s, List.of(8, 8, 8, 8, 8, 4, 4, l, p));
            m.put("normal_" + s, List.of(8, 8, 8, 8, 8, l, p));
            m.put("randint_" + s, List.of(8, 8, 8, 8, 8, l, p));
            m.put("bernoulli_f32_" + s, List.of(8, 8, 8, l, p, l, p));
            m.put("bernoulli_f64_" + s, List.of(8, 8, 8, l, p, l, p));
        }
        for (String s : NUMERIC) {
            int es = size(s);
            m.put("unary_" + s, List.of(8, 4, l, p, l, p));
            m.put("reduce_" + s, List.of(8, 8, 4, l, l, p, l, p));
            m.put("argreduce_" + s, List.of(8, 4, 4, l, 4, p, l, p));
            m.put("scatter_add_" + s + "_i64", List.of(8, 4, l, p, l, p, l, p));
            m.put("scatter_add_" + s + "_i32", List.of(8, 4, l, p, l, p, l, p));
            m.put("gemm_" + s, List.of(4, 4, 4, es, p, 8, 8, 8, 8, p, 8, 8, 8, 8, es, p, 8, 8, 8, 8));
        }
        for (String s : FLOAT) {
            int es = size(s);
            m.put("axpby_" + s, List.of(8, es, l, p, es, l, p, l, p));
            m.put("log_softmax_" + s, List.of(8, 4, l, 4, p, l, 4, p));
            m.put("im2col_" + s, List.of(8, 60, l, p, p));
            m.put("col2im_" + s, List.of(8, 60, p, p, 8));
            m.put("bias_add_" + s, List.of(8, 4, 4, l, p, p));
            m.put("max_pool_" + s, List.of(8, 64, l, p, p, p));
            m.put("max_pool_backward_" + s, List.of(8, 64, l, p, l, p, p));
            m.put("avg_pool_" + s, List.of(8, 64, l, p, p));
            m.put("avg_pool_backward_" + s, List.of(8, 64, l, p, p));
        }
        m.put("mask_flags", List.of(8, l, p, p));
        m.put("inclusive_scan_i32", List.of(8, p));
        return m;
    }

    private static int size(String suffix) {
        return CudaTypes.size(switch (suffix) {
            case "f32" -> DType.FLOAT32;
            case "f64" -> DType.FLOAT64;
            case "i64" -> DType.INT64;
            case "i32" -> DType.INT32;
            default -> DType.BOOL;
        });
    }

    private static final Pattern ENTRY = Pattern.compile("\\.entry\\s+(\\w+)\\s*\\(([^)]*)\\)", Pattern.DOTALL);
    private static final Pattern PARAM = Pattern.compile("\\.param\\s+(?:\\.align\\s+\\d+\\s+)?\\.(\\w+)\\s+\\w+(?:\\[(\\d+)])?");

    /** Entry name -> byte size of each .param (a .b8 array's length, else the type's width). */
    static Map<String, List<Integer>> parse(String ptx) {
        Map<String, List<Integer>> m = new HashMap<>();
        Matcher e = ENTRY.matcher(ptx);
        while (e.find()) {
            List<Integer> sizes = new ArrayList<>();
            Matcher p = PARAM.matcher(e.group(2));
            while (p.find()) {
                int width = Integer.parseInt(p.group(1).substring(1)) / 8;
                sizes.add(p.group(2) == null ? width : width * Integer.parseInt(p.group(2)));
            }
            m.put(e.group(1), sizes);
        }
        return m;
    }

    static boolean nvccOnPath() {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (new java.io.File(dir, "nvcc").canExecute()) {
                return true;
            }
        }
        return false;
    }
}
