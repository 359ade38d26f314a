package io.torus.tensor.backend.cuda;

import io.torus.tensor.Device;
import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * One GPU as the backend uses it: its primary context, the one stream all of its work is queued
 * on (so work is ordered without events, and the caching allocator may reuse a block as soon as
 * it is released), its memory, its loaded kernels, its GEMM, and its pinned staging buffer.
 * Created on first use of {@code cuda:N}, after {@link CudaAvailability#require}; lives as long as
 * the process.
 */
final class CudaDevice {
    static final int THREADS = 256;
    /** Grid-stride kernels are launched with at most this many blocks. */
    static final int MAX_BLOCKS = 1 << 16;

    private static final CudaDevice[] DEVICES = new CudaDevice[64];
    private static final ThreadLocal<CUcontext> CURRENT = new ThreadLocal<>();

    final Device device;
    final CUcontext context = new CUcontext();
    final CUstream stream = new CUstream();
    final int ccMajor;
    final int ccMinor;
    final DeviceMemory memory;
    final KernelModules kernels;
    final PinnedStaging staging;
    final Gemm gemm;

    private CudaDevice(Device device) {
        this.device = device;
        CUdevice dev = new CUdevice();
        JCudaDriver.cuDeviceGet(dev, device.index());
        JCudaDriver.cuDevicePrimaryCtxRetain(context, dev);
        JCudaDriver.cuCtxSetCurrent(context);
        CURRENT.set(context);
        int[] v = {0};
        JCudaDriver.cuDeviceGetAttribute(v, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev);
        ccMajor = v[0];
        JCudaDriver.cuDeviceGetAttribute(v, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev);
        ccMinor = v[0];
        JCudaDriver.cuStreamCreate(stream, 0);
        memory = new DeviceMemory(device);
        kernels = new KernelModules(ccMajor, ccMinor);
        staging = new PinnedStaging();
        gemm = new Gemm(this, CudaAvailability.status().cublas());
    }

    /** The device behind {@code cuda:N}, created on first use; fails with the probe's message where CUDA is unusable. */
    static CudaDevice get(Device device) {
        CudaAvailability.require(device);
        int i = device.index();
        if (i >= DEVICES.length) {
            throw new IllegalArgumentException(device + ": at most " + DEVICES.length + " CUDA devices are supported");
        }
        synchronized (DEVICES) {
            if (DEVICES[i] == null) {
                DEVICES[i] = new CudaDevice(device);
            }
            DEVICES[i].makeCurrent();
            return DEVICES[i];
        }
    }

    /** Makes this device's context current on the calling thread (a thread-local check, then cuCtxSetCurrent). */
    CudaDevice makeCurrent() {
        if (CURRENT.get() != context) {
            JCudaDriver.cuCtxSetCurrent(context);
            CURRENT.set(context);
        }
        return this;
    }

    void synchronize() {
        JCudaDriver.cuStreamSynchronize(stream);
    }

    /** Launches a grid-stride kernel over {@code n} elements (nothing when n is 0). */
    void launch(String file, String name, long n, Object... args) {
        if (n <= 0) {
            return;
        }
        int blocks = (int) Math.min(MAX_BLOCKS, (n + THREADS - 1) / THREADS);
        launchGrid(file, name, blocks, 1, 1, THREADS, 0, args);
    }

    /** Launches {@code file}'s kernel {@code name} with an explicit grid, block and dynamic shared memory. */
    void launchGrid(String file, String name, int gx, int gy, int gz, int block, int sharedBytes, Object... args) {
        makeCurrent();
        CUfunction f = kernels.function(file, name);
        JCudaDriver.cuLaunchKernel(f, gx, gy, gz, block, 1, 1, sharedBytes, stream, params(args), null);
    }

    /**
     * Kernel parameters as cuLaunchKernel wants them: an array of pointers, each to one argument's
     * bytes. Boxed Integer, Long, Float, Double and Byte become int, long long, float, double and
     * unsigned char; an int[] is a struct of ints passed by value (Layout, ConvGeom, PoolGeom); a
     * device pointer is passed as the pointer value.
     */
    static Pointer params(Object... args) {
        NativePointerObject[] p = new NativePointerObject[args.length];
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a instanceof Integer v) {
                p[i] = Pointer.to(new int[] {v});
            } else if (a instanceof Long v) {
                p[i] = Pointer.to(new long[] {v});
            } else if (a instanceof Float v) {
                p[i] = Pointer.to(new float[] {v});
            } else if (a instanceof Double v) {
                p[i] = Pointer.to(new double[] {v});
            } else if (a instanceof Byte v) {
                p[i] = Pointer.to(new byte[] {v});
            } else if (a instanceof int[] v) {
                p[i] = Pointer.to(v);
            } else if (a instanceof CUdeviceptr v) {
                p[i] = Pointer.to(v);
            } else {
                throw new IllegalArgumentException("cuda: kernel argument " + i + " of type "
                        + (a == null ? "null" : a.getClass().getName()) + " is not supported");
            }
        }
        return Pointer.to(p);
    }
}
