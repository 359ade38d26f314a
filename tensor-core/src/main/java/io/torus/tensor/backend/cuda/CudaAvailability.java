package io.torus.tensor.backend.cuda;

import io.torus.tensor.Device;
import jcuda.driver.JCudaDriver;
import jcuda.jcublas.JCublas2;
import jcuda.nvrtc.JNvrtc;

/**
 * Whether this JVM can run the CUDA backend, and if not, exactly what is missing. Probed once per
 * process (JCuda's classes cannot retry a failed native load), every Throwable caught and turned
 * into a sentence, in the order things are needed:
 * <ol>
 *   <li>JCuda's JNI library for the driver API. It links {@code libcuda.so.1}, the NVIDIA driver's
 *       library, so a machine without the driver fails here, and the message says so.</li>
 *   <li>{@code cuInit}: a driver that is too old, or no device at all.</li>
 *   <li>At least one device ({@code cuDeviceGetCount}).</li>
 *   <li>Kernels: PTX built by nvcc into the jar, or else NVRTC at run time, which JCuda 12.0.0 binds
 *       to {@code libnvrtc.so.12} (a CUDA 12 toolkit).</li>
 *   <li>cuBLAS ({@code libcublas.so.12}), optional: without it GEMM runs on our own kernel (gemm.cu).</li>
 * </ol>
 * Creating an array on {@code cuda:N} calls {@link #require}, so a machine without a GPU fails at
 * the first CUDA tensor with this message, and the launcher's {@code --device cuda} fails before
 * any worker starts.
 */
public final class CudaAvailability {

    /**
     * The probe's answer. {@code missing} is null when CUDA is usable; {@code cublasNote} says why
     * cuBLAS is not used when it is not.
     */
    public record Status(boolean available, String missing, int deviceCount, int driverVersion, boolean cublas,
                         String cublasNote, boolean ptxShipped) {

        /** One line for logs and errors. */
        public String message() {
            if (!available) {
                return "CUDA is not available: " + missing;
            }
            return "CUDA available: " + deviceCount + " device(s), driver API " + driverVersion / 1000 + "."
                    + driverVersion % 1000 / 10 + ", kernels from " + (ptxShipped ? "PTX built by nvcc" : "NVRTC at run time")
                    + ", GEMM by " + (cublas ? "cuBLAS" : "Torus's own kernel (" + cublasNote + ")");
        }
    }

    private static volatile Status status;

    private CudaAvailability() {
    }

    /** The cached probe result (the first call probes). */
    public static Status status() {
        Status s = status;
        if (s == null) {
            synchronized (CudaAvailability.class) {
                s = status;
                if (s == null) {
                    s = probe();
                    status = s;
                }
            }
        }
        return s;
    }

    /**
     * Throws unless {@code device} is a usable CUDA device: the message names the device and what is
     * missing (driver, device, kernels), or the number of devices when the index is too large.
     */
    public static void require(Device device) {
        Status s = status();
        if (!s.available()) {
            throw new IllegalStateException(device + ": " + s.message());
        }
        if (device.index() >= s.deviceCount()) {
            throw new IllegalArgumentException(device + ": no such CUDA device (expected an index in [0, "
                    + s.deviceCount() + "), this machine has " + s.deviceCount() + ")");
        }
    }

    /**
     * JCuda unpacks its JNI libraries into {@code java.io.tmpdir} under fixed names, so workers
     * starting together on one machine would write the same files at once. Each process unpacks into
     * its own directory instead ({@code torus-jcuda-<pid>}, removed at exit): {@code java.io.tmpdir}
     * points there while the probe loads the libraries, and is restored after.
     */
    private static Status probe() {
        String tmp = System.getProperty("java.io.tmpdir");
        java.nio.file.Path own = null;
        try {
            own = java.nio.file.Files.createDirectories(java.nio.file.Path.of(tmp, "torus-jcuda-" + ProcessHandle.current().pid()));
            System.setProperty("java.io.tmpdir", own.toString());
        } catch (java.io.IOException | RuntimeException e) {
            own = null; // unpack into the shared directory, as JCuda does by default
        }
        try {
            return probeLibraries();
        } finally {
            System.setProperty("java.io.tmpdir", tmp);
            if (own != null) {
                deleteOnExit(own);
            }
        }
    }

    /** The unpacked libraries are already loaded (Linux keeps them mapped), so the files can go at exit. */
    private static void deleteOnExit(java.nio.file.Path dir) {
        dir.toFile().deleteOnExit(); // registered first, deleted last
        java.io.File[] files = dir.toFile().listFiles();
        if (files != null) {
            for (java.io.File f : files) {
                f.deleteOnExit();
            }
        }
    }

    private static Status probeLibraries() {
        try {
            JCudaDriver.setExceptionsEnabled(true);
        } catch (Throwable t) {
            return unavailable(describeLoadFailure(t, "libcuda.so.1",
                    "the NVIDIA driver library libcuda.so.1 was not found (no NVIDIA driver is installed on this machine, "
                            + "or it is not on the library path)",
                    "JCuda's native driver library could not be loaded"));
        }
        int[] count = {0};
        int[] version = {0};
        try {
            JCudaDriver.cuInit(0);
            JCudaDriver.cuDriverGetVersion(version);
            JCudaDriver.cuDeviceGetCount(count);
        } catch (Throwable t) {
            String m = String.valueOf(t.getMessage());
            if (m.contains("CUDA_ERROR_NO_DEVICE")) {
                return unavailable("no CUDA device was found (cuInit: CUDA_ERROR_NO_DEVICE)");
            }
            if (m.contains("INSUFFICIENT_DRIVER")) {
                return unavailable("the NVIDIA driver is too old for JCuda 12.0 (cuInit: CUDA_ERROR_INSUFFICIENT_DRIVER)");
            }
            return unavailable("the CUDA driver failed to initialise (cuInit: " + firstLine(m) + ")");
        }
        if (count[0] == 0) {
            return unavailable("no CUDA device was found (cuDeviceGetCount returned 0)");
        }
        boolean ptx = KernelModules.ptxShipped();
        if (!ptx) {
            try {
                JNvrtc.setExceptionsEnabled(true);
            } catch (Throwable t) {
                return unavailable("no PTX kernels in the jar (it was built without nvcc) and NVRTC could not be loaded to "
                        + "compile them: " + describeLoadFailure(t, "libnvrtc.so", "libnvrtc.so.12 (a CUDA 12 toolkit) was not found",
                        "JCuda's NVRTC library could not be loaded") + "; rebuild with nvcc on the PATH");
            }
        }
        boolean cublas = true;
        String note = null;
        try {
            JCublas2.setExceptionsEnabled(true);
        } catch (Throwable t) {
            cublas = false;
            note = describeLoadFailure(t, "libcublas.so", "libcublas.so.12 not found", "JCublas could not be loaded");
        }
        return new Status(true, null, count[0], version[0], cublas, note, ptx);
    }

    private static Status unavailable(String missing) {
        return new Status(false, missing, 0, 0, false, null, KernelModules.ptxShipped());
    }

    /** JCuda's load errors nest the loader's message; pick out the library that is missing. */
    private static String describeLoadFailure(Throwable t, String marker, String whenMarker, String otherwise) {
        StringBuilder all = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            all.append(c).append('\n');
        }
        String text = all.toString();
        if (text.contains(marker)) {
            return whenMarker;
        }
        return otherwise + " (" + firstLine(text) + ")";
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
