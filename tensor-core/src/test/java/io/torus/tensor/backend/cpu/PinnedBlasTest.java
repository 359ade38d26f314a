package io.torus.tensor.backend.cpu;

import io.torus.tensor.DType;
import io.torus.tensor.Generator;
import io.torus.tensor.NDArray;
import io.torus.tensor.op.Conv2dParams;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The pinned BLAS path (Note [Pinned operands]): that the library is really in use where it can
 * be built, that it can be turned off, and that it computes what the staged path computes.
 */
class PinnedBlasTest {
    private static final Generator GEN = new Generator(5);

    /** Whether this machine can build the library, as build.sh decides: a C compiler and the JDK's JNI headers. */
    private static boolean buildable() {
        boolean cc = false;
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            for (String c : new String[] {"gcc", "cc", "clang"}) {
                cc |= !dir.isEmpty() && Files.isExecutable(Path.of(dir, c));
            }
        }
        Path home = Path.of(System.getProperty("java.home"));
        boolean headers = Files.isRegularFile(home.resolve("include/jni.h"))
                || Files.isRegularFile(home.resolve("../include/jni.h"));
        return cc && headers && System.getProperty("os.name").equals("Linux")
                && System.getProperty("os.arch").matches("amd64|x86_64|aarch64");
    }

    @Test
    void load_buildableMachine_libraryLoadedAndUsed() {
        assumeTrue(OpenBlas.available(), "native OpenBLAS not available");
        assumeTrue(!"false".equals(System.getProperty(PinnedBlas.SETTING)), "pinned BLAS turned off for this run");
        assumeTrue(buildable(), "no C compiler or JNI headers here: the build skips the library");
        assumeTrue(!Boolean.getBoolean("torus.native.skip"), "the build was told to skip the library (-Dtorus.native.skip=true)");
        assertNotNull(PinnedBlas.class.getClassLoader().getResource(PinnedBlas.resource()),
                PinnedBlas.resource() + " missing from the class path although this machine can build it");
        PinnedBlas.State s = PinnedBlas.state();
        assertTrue(s.loaded(), "pinned BLAS not loaded: " + s.reason());
        assertTrue(s.sgemm() != 0 && s.dgemm() != 0, "cblas function pointers: " + s);
        assertTrue(PinnedBlas.available());
        assertTrue(ConvWorkspace.forThread(DType.FLOAT32).gemm() == ConvWorkspace.Gemm.PINNED);
    }

    @Test
    void load_settingFalse_turnsItOffAndSaysSo() {
        PinnedBlas.State s = PinnedBlas.load("false", "auto");
        assertFalse(s.loaded());
        assertTrue(s.reason().contains(PinnedBlas.SETTING + "=false"), s.reason());
    }

    @Test
    void forceOff_matmulFallsBackToStagedPath() {
        assumeTrue(OpenBlas.available(), "native OpenBLAS not available");
        boolean before = PinnedBlas.forceOffForTesting(true);
        try {
            assertFalse(PinnedBlas.available());
            assertTrue(ConvWorkspace.forThread(DType.FLOAT32).gemm() == ConvWorkspace.Gemm.STAGED);
            NDArray a = NDArray.uniform(GEN, -1, 1, DType.FLOAT32, 9, 4);
            NDArray b = NDArray.uniform(GEN, -1, 1, DType.FLOAT32, 4, 3);
            assertArrayEquals(GemmTest.reference(a, b), a.matmul(b).toDoubleArray(), 1e-5);
        } finally {
            PinnedBlas.forceOffForTesting(before);
        }
    }

    /** Whether this machine has oneDNN where the dynamic linker looks (Debian's libdnnl2). */
    private static boolean onednnInstalled() {
        for (String dir : new String[] {"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib", "/usr/local/lib"}) {
            if (Files.exists(Path.of(dir, "libdnnl.so.2"))) {
                return true;
            }
        }
        return false;
    }

    @Test
    void load_onednnInstalled_largeFloatProductsUseIt() {
        assumeTrue(PinnedBlas.available(), "pinned BLAS not available");
        assumeTrue(onednnInstalled(), "no libdnnl.so.2 on this machine: every GEMM is OpenBLAS's");
        assumeTrue("auto".equals(System.getProperty(PinnedBlas.ONEDNN_SETTING, "auto")), "oneDNN set off for this run");
        PinnedBlas.State s = PinnedBlas.state();
        assertTrue(s.onednnSgemm() != 0, "oneDNN installed but not bound: " + s.reason());
        assertTrue(s.reason().contains("oneDNN"), s.reason());
        assertTrue(PinnedBlas.onednnActive());
    }

    @Test
    void load_onednnOffOrMissing_saysSoAndUsesOpenBlasAlone() {
        assumeTrue(PinnedBlas.available(), "pinned BLAS not available");
        PinnedBlas.State off = PinnedBlas.load(null, "off");
        assertTrue(off.loaded() && off.onednnSgemm() == 0, off.toString());
        assertTrue(off.reason().contains(PinnedBlas.ONEDNN_SETTING + "=off"), off.reason());
        PinnedBlas.State missing = PinnedBlas.load(null, "/nonexistent/libdnnl-missing.so");
        assertTrue(missing.loaded(), missing.toString());
        assertTrue(missing.reason().contains("/nonexistent/libdnnl-missing.so"), missing.reason());
    }

    @Test
    void matmul_onednnLargeProducts_agreeWithOpenBlas() {
        assumeTrue(PinnedBlas.onednnActive(), "oneDNN not in use here");
        // {200, 96, 100} with plain A and B: a small B under many rows of A, copied to an aligned block first (Note [Aligned B])
        for (int[] s : new int[][] {{64, 784, 256}, {6, 25, 36864}, {150, 16, 4096}, {128, 128, 128}, {200, 96, 100}}) {
            for (GemmTest.Layout la : GemmTest.Layout.values()) {
                for (GemmTest.Layout lb : new GemmTest.Layout[] {GemmTest.Layout.PLAIN, GemmTest.Layout.TRANSPOSED, GemmTest.Layout.PADDED}) {
                    NDArray a = GemmTest.view(la, DType.FLOAT32, s[0], s[1]);
                    NDArray b = GemmTest.view(lb, DType.FLOAT32, s[1], s[2]);
                    assertTrue((long) s[0] * s[1] * s[2] >= PinnedBlas.ONEDNN_MIN_MNK);
                    double[] onednn = a.matmul(b).toDoubleArray();
                    boolean before = PinnedBlas.forceOnednnOffForTesting(true);
                    double[] openblas;
                    try {
                        openblas = a.matmul(b).toDoubleArray();
                    } finally {
                        PinnedBlas.forceOnednnOffForTesting(before);
                    }
                    assertArrayEquals(openblas, onednn, 1e-5 * Math.sqrt(s[1]), la + " x " + lb + " " + java.util.Arrays.toString(s));
                    assertArrayEquals(onednn, a.matmul(b).toDoubleArray(), 0, "oneDNN repeats its own bits");
                }
            }
        }
    }

    /**
     * Runs {@code f} on the pinned path and on the staged path, both on OpenBLAS; the results must
     * be the same bits.
     */
    private static void assertSameAsStaged(Supplier<NDArray[]> f, String what) {
        assumeTrue(PinnedBlas.available(), "pinned BLAS not available");
        boolean onednnBefore = PinnedBlas.forceOnednnOffForTesting(true);
        NDArray[] pinned;
        try {
            pinned = f.get();
        } finally {
            PinnedBlas.forceOnednnOffForTesting(onednnBefore);
        }
        boolean before = PinnedBlas.forceOffForTesting(true);
        NDArray[] staged;
        try {
            staged = f.get();
        } finally {
            PinnedBlas.forceOffForTesting(before);
        }
        for (int i = 0; i < pinned.length; i++) {
            assertArrayEquals(staged[i].toDoubleArray(), pinned[i].toDoubleArray(), 0, what + ", result " + i);
        }
    }

    @Test
    void matmul_oddTransposedStridedAndBatchedShapes_sameBitsAsStaged() {
        for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            for (int[] s : new int[][] {{1, 1, 1}, {1, 9, 1}, {7, 13, 5}, {33, 1, 17}, {64, 784, 256}, {3, 2100, 5}}) {
                for (GemmTest.Layout la : GemmTest.Layout.values()) {
                    for (GemmTest.Layout lb : GemmTest.Layout.values()) {
                        NDArray a = GemmTest.view(la, dt, s[0], s[1]);
                        NDArray b = GemmTest.view(lb, dt, s[1], s[2]);
                        assertSameAsStaged(() -> new NDArray[] {a.matmul(b)}, dt + " " + la + " x " + lb + " "
                                + java.util.Arrays.toString(s));
                    }
                }
            }
            NDArray x = NDArray.uniform(GEN, -1, 1, dt, 4, 6, 7).narrow(1, 1, 5);
            NDArray xt = NDArray.uniform(GEN, -1, 1, dt, 4, 7, 5).transpose(1, 2);
            NDArray w = NDArray.uniform(GEN, -1, 1, dt, 7, 3);
            NDArray wb = NDArray.uniform(GEN, -1, 1, dt, 4, 3, 7).transpose(1, 2);
            NDArray shared = NDArray.uniform(GEN, -1, 1, dt, 1, 7).expand(5, 7);
            assertSameAsStaged(() -> new NDArray[] {x.matmul(w), xt.matmul(w), x.matmul(wb), xt.matmul(wb),
                shared.matmul(wb), x.contiguous().matmul(w)}, dt + " batched");
        }
    }

    @Test
    void matmul_productSplitIntoPanels_sameBitsAsStaged() {
        // 2 * 1100 * 2000 * 2000 FLOP > MAX_FLOP_PER_CALL: row panels of C, each its own critical region
        NDArray a = NDArray.uniform(GEN, -1, 1, DType.FLOAT32, 1100, 2000);
        NDArray at = NDArray.uniform(GEN, -1, 1, DType.FLOAT32, 2000, 1100).transpose(0, 1);
        NDArray b = NDArray.uniform(GEN, -1, 1, DType.FLOAT32, 2000, 2000);
        assertTrue(2L * 1100 * 2000 * 2000 > PinnedBlas.MAX_FLOP_PER_CALL);
        assertTrue(1100 > PinnedBlas.MIN_PANEL_ROWS);
        assertSameAsStaged(() -> new NDArray[] {a.matmul(b), at.matmul(b)}, "panels");
        // many small batches: grouped into calls
        NDArray xs = NDArray.uniform(GEN, -1, 1, DType.FLOAT64, 300, 40, 50);
        NDArray ys = NDArray.uniform(GEN, -1, 1, DType.FLOAT64, 300, 50, 30);
        assertSameAsStaged(() -> new NDArray[] {xs.matmul(ys)}, "batches");
    }

    @Test
    void matmul_outputNotWritableInPlace_computedAsideAndCopied() {
        assumeTrue(PinnedBlas.available(), "pinned BLAS not available");
        NDArray a = NDArray.uniform(GEN, -1, 1, DType.FLOAT32, 1, 9, 11);
        NDArray b = NDArray.uniform(GEN, -1, 1, DType.FLOAT32, 1, 11, 7);
        NDArray transposed = NDArray.full(DType.FLOAT32, Double.NaN, 1, 7, 9).transpose(1, 2);
        a.backend().matmul(a, b, transposed);
        assertArrayEquals(GemmTest.reference(a.select(0, 0), b.select(0, 0)), transposed.toDoubleArray(), 1e-5);
    }

    @Test
    void conv2d_forwardAndBackward_sameBitsAsStaged() {
        for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            for (Conv2dParams p : new Conv2dParams[] {Conv2dParams.of(1, 0), Conv2dParams.of(1, 1), Conv2dParams.of(2, 1, 2)}) {
                NDArray x = NDArray.uniform(GEN, -1, 1, dt, 5, 3, 12, 11);
                NDArray w = NDArray.uniform(GEN, -1, 1, dt, 4, 3, 5, 3);
                NDArray bias = NDArray.uniform(GEN, -1, 1, dt, 4);
                NDArray g = NDArray.uniform(GEN, -1, 1, dt, x.conv2d(w, bias, p).shape());
                assertSameAsStaged(() -> {
                    NDArray[] grads = g.conv2dBackward(x, w, p, true, true, true);
                    return new NDArray[] {x.conv2d(w, bias, p), grads[0], grads[1], grads[2]};
                }, dt + " " + p);
            }
        }
    }

    @Test
    void gemm_operandOutsideItsArray_refusedBeforeNativeCode() {
        float[] small = new float[10];
        PinnedBlas.Operand tooLong = new PinnedBlas.Operand(small, 0, 0, 4, false); // 3 x 4 needs 12
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PinnedBlas.checkFits("A", tooLong, 1, 3, 4));
        assertTrue(e.getMessage().contains("does not fit its array of 10 elements"), e.getMessage());
        PinnedBlas.checkFits("B", new PinnedBlas.Operand(small, 0, 5, 2, false), 2, 1, 2); // 2 batches fit...
        assertThrows(IllegalArgumentException.class,
                () -> PinnedBlas.checkFits("B", new PinnedBlas.Operand(small, 0, 5, 2, false), 3, 1, 2)); // ...3 do not
        assertThrows(IllegalArgumentException.class,
                () -> PinnedBlas.checkFits("C", new PinnedBlas.Operand(small, 0, 0, 1, false), 1, 2, 2)); // ld < columns
        PinnedBlas.checkFits("A", new PinnedBlas.Operand(small, 1, 0, 3, true), 1, 3, 3); // [3, 3] transposed, from 1
    }
}
