package io.torus.launcher.bench;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import io.torus.tensor.backend.cpu.CpuBackend;
import org.bytedeco.openblas.global.openblas_nolapack;

import java.util.Map;

/**
 * The JVM's native BLAS called directly: the same bytedeco OpenBLAS library Torus's CPU backend
 * loads, with its operands in off-heap {@link FloatPointer}s, so no JNI array copies stand between
 * the caller and the kernel. This is the ceiling for Torus's {@code matmul} in this JVM.
 *
 * <p>bytedeco maps neither {@code openblas_get_corename} nor {@code openblas_get_config}; they
 * are called through JNA on the very library file bytedeco loaded (a second {@code dlopen} of a
 * loaded file returns the same handle, so this is the same OpenBLAS state, not another copy).
 */
final class NativeBlas {

    /** What the loaded OpenBLAS says about itself; fields say "unknown (...)" when JNA cannot ask. */
    record Info(String path, String coreName, String config, int threads) {
    }

    private NativeBlas() {
    }

    /** Loads the library (if Torus has not yet) and sets its thread count. */
    static void load(int threads) {
        Loader.load(openblas_nolapack.class);
        openblas_nolapack.blas_set_num_threads(threads);
    }

    static Info info() {
        String path = loadedLibraryPath();
        int threads = openblas_nolapack.blas_get_num_threads();
        if (path == null) {
            return new Info("?", "unknown (the loaded libopenblas file was not found)", "unknown", threads);
        }
        try {
            NativeLibrary lib = NativeLibrary.getInstance(path);
            Function corename = lib.getFunction("openblas_get_corename");
            Function config = lib.getFunction("openblas_get_config");
            return new Info(path, corename.invokeString(new Object[0], false).trim(),
                    config.invokeString(new Object[0], false).trim(), threads);
        } catch (Throwable t) { // UnsatisfiedLinkError or a JNA error: report, do not fail the bench
            return new Info(path, "unknown (" + t + ")", "unknown", threads);
        }
    }

    private static String loadedLibraryPath() {
        for (Map.Entry<String, String> e : Loader.getLoadedLibraries().entrySet()) {
            String file = e.getValue();
            if (file != null && file.contains("libopenblas") && !file.contains("jni")) {
                return file;
            }
        }
        return null;
    }

    /**
     * Off-heap n × n operands for repeated {@code C = A·B}; close to free them. A and B start on a
     * 64-byte line, as a C program would allocate them for a BLAS (Note [Aligned storages] in
     * io.torus.tensor.ArrayAlignment: oneDNN runs ~12% slower on a B that does not).
     */
    static final class Sgemm implements AutoCloseable {
        private final int n;
        private final FloatPointer a;
        private final FloatPointer b;
        private final FloatPointer c;

        Sgemm(float[] a, float[] b, int n) {
            this.n = n;
            this.a = aligned(a);
            this.b = aligned(b);
            this.c = new FloatPointer((long) n * n);
        }

        void run() {
            openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans,
                    openblas_nolapack.CblasNoTrans, n, n, n, 1f, a, n, b, n, 0f, c, n);
        }

        /** The same product by oneDNN's dnnl_sgemm, through Torus's JNI library, on the same off-heap memory. */
        void runOnednn() {
            CpuBackend.nativeSgemm(true, n, start(a), start(b), c.address());
        }

        /** A copy of {@code values} whose element 0 (the pointer's position) lies on a 64-byte line. */
        private static FloatPointer aligned(float[] values) {
            FloatPointer p = new FloatPointer(values.length + 16L);
            p.position((64 - p.address() % 64) % 64 / Float.BYTES);
            p.put(values);
            return p;
        }

        private static long start(FloatPointer p) {
            return p.address() + p.position() * Float.BYTES;
        }

        float c(int i) {
            return c.get(i);
        }

        @Override
        public void close() {
            a.close();
            b.close();
            c.close();
        }
    }
}
