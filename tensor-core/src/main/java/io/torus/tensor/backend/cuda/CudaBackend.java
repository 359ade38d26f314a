package io.torus.tensor.backend.cuda;

import io.torus.tensor.DType;
import io.torus.tensor.Device;
import io.torus.tensor.Generator;
import io.torus.tensor.NDArray;
import io.torus.tensor.Shape;
import io.torus.tensor.Storage;
import io.torus.tensor.backend.Backend;
import io.torus.tensor.op.BinaryOp;
import io.torus.tensor.op.Conv2dParams;
import io.torus.tensor.op.Pool2dParams;
import io.torus.tensor.op.ReduceOp;
import io.torus.tensor.op.UnaryOp;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

/**
 * The Backend SPI on NVIDIA GPUs through JCuda's driver API. Every op is one or a few kernel
 * launches (kernels in {@code src/main/cuda}, one file per op family) queued on the device's single
 * stream; nothing here waits for the GPU except copies to the host. Operands are passed as storage
 * base pointers plus Layouts (Note [Layouts]), so views never need copies before a kernel.
 *
 * <p>Found through ServiceLoader like the CPU backend, but constructing it touches no native code:
 * CUDA is probed ({@link CudaAvailability}) when the first {@code cuda:N} storage is allocated, and
 * a machine without a GPU fails there with a message saying what is missing.
 *
 * <p>Arrays of several devices in one call are not supported (NDArray moves CPU scalars to the
 * device and rejects other mixes); every method runs on the device of its output.
 */
public final class CudaBackend implements Backend {
    private static final Device DEFAULT = Device.cuda(0);
    /** Scratch for im2col is taken in batch chunks of at most this many bytes. */
    private static final long CONV_WORKSPACE_BYTES = 256L << 20;

    @Override
    public Device.Type deviceType() {
        return Device.Type.CUDA;
    }

    // ------------------------------------------------------------------ memory and copies

    @Override
    public Storage allocate(DType dtype, long size) {
        return allocate(DEFAULT, dtype, size);
    }

    @Override
    public Storage allocateUninitialized(DType dtype, long size) {
        return allocateUninitialized(DEFAULT, dtype, size);
    }

    @Override
    public Storage allocate(Device device, DType dtype, long size) {
        Storage s = allocateUninitialized(device, dtype, size);
        CudaBuffer b = buffer(s);
        JCudaDriver.cuMemsetD8Async(b.ptr(), (byte) 0, size * CudaTypes.size(dtype), b.device().stream);
        return s;
    }

    @Override
    public Storage allocateUninitialized(Device device, DType dtype, long size) {
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("storage of " + size + " elements on " + device + ": at most "
                    + (Integer.MAX_VALUE - 8) + " are supported");
        }
        CudaDevice d = CudaDevice.get(device);
        return d.memory.allocate(d, dtype, (int) size);
    }

    private static CudaBuffer buffer(Storage s) {
        return (CudaBuffer) s.deviceHandle();
    }

    private static CudaBuffer buffer(NDArray a) {
        return buffer(a.storage());
    }

    private static CUdeviceptr ptr(NDArray a) {
        return buffer(a).ptr();
    }

    /** The device of {@code out}, current on this thread. */
    private static CudaDevice dev(NDArray out) {
        return buffer(out).device().makeCurrent();
    }

    private static String sfx(NDArray a) {
        return CudaTypes.suffix(a.dtype());
    }

    @Override
    public void copy(NDArray src, NDArray dst) {
        if (src.device().type() == Device.Type.CPU) {
            copyFromHost(src, dst);
            return;
        }
        if (dst.device().type() == Device.Type.CPU) {
            copyToHost(src, dst);
            return;
        }
        if (!src.device().equals(dst.device())) {
            copyFromHost(src.to(Device.CPU), dst);
            return;
        }
        int[][] l = Layouts.elementwise(src, dst);
        dev(dst).launch("elementwise", "copy_" + sfx(src) + "_" + sfx(dst), dst.numel(), dst.numel(), l[0], ptr(src), l[1], ptr(dst));
    }

    @Override
    public void copyFromHost(NDArray hostSrc, NDArray dst) {
        if (hostSrc.numel() == 1) {
            fillFromHost(hostSrc.to(dst.dtype()), dst);
            return;
        }
        NDArray h = hostSrc.to(dst.dtype()).contiguous();
        CudaDevice d = dev(dst);
        int es = CudaTypes.size(dst.dtype());
        int n = (int) dst.numel();
        if (dst.isContiguous()) {
            d.staging.upload(h.storage().array(), h.offset(), n, dst.dtype(), ptr(dst), (long) dst.offset() * es, d.stream);
        } else {
            NDArray tmp = NDArray.empty(dst.device(), dst.dtype(), dst.shape());
            d.staging.upload(h.storage().array(), h.offset(), n, dst.dtype(), ptr(tmp), 0, d.stream);
            copy(tmp, dst);
        }
        java.lang.ref.Reference.reachabilityFence(h);
    }

    @Override
    public void copyToHost(NDArray src, NDArray hostDst) {
        CudaDevice d = dev(src);
        NDArray s = src.isContiguous() ? src : src.contiguous();
        int es = CudaTypes.size(s.dtype());
        int n = (int) s.numel();
        if (hostDst.isContiguous() && hostDst.dtype() == s.dtype()) {
            d.staging.download(ptr(s), (long) s.offset() * es, hostDst.storage().array(), hostDst.offset(), n, s.dtype(), d.stream);
        } else {
            NDArray h = NDArray.empty(s.dtype(), s.shape());
            d.staging.download(ptr(s), (long) s.offset() * es, h.storage().array(), h.offset(), n, s.dtype(), d.stream);
            hostDst.backend().copy(h, hostDst);
        }
        java.lang.ref.Reference.reachabilityFence(s);
    }

    /**
     * A single host value (a CPU scalar meeting a device array, NDArray.onDeviceOf) travels as a
     * kernel argument of a fill, exactly in its dtype: no staging copy, so no wait for the stream.
     */
    private void fillFromHost(NDArray h, NDArray dst) {
        Object v = switch (h.dtype()) {
            case FLOAT32 -> Float.valueOf(h.storage().floats()[h.storageIndex(0)]);
            case FLOAT64 -> Double.valueOf(h.storage().doubles()[h.storageIndex(0)]);
            case INT64 -> Long.valueOf(h.storage().longs()[h.storageIndex(0)]);
            case INT32 -> Integer.valueOf(h.storage().ints()[h.storageIndex(0)]);
            case BOOL -> Byte.valueOf((byte) (h.storage().bools()[h.storageIndex(0)] ? 1 : 0));
        };
        int[][] l = Layouts.elementwise(dst);
        dev(dst).launch("elementwise", "fill_" + sfx(dst), dst.numel(), dst.numel(), l[0], ptr(dst), v);
    }

    @Override
    public void fill(NDArray out, double value) {
        int[][] l = Layouts.elementwise(out);
        dev(out).launch("elementwise", "fill_" + sfx(out), out.numel(), out.numel(), l[0], ptr(out),
                CudaTypes.scalar(out.dtype(), value));
    }

    // ------------------------------------------------------------------ elementwise

    @Override
    public void unary(UnaryOp op, NDArray x, NDArray out) {
        if (x.dtype() == DType.BOOL || x.dtype() != out.dtype()) {
            throw new IllegalArgumentException("cuda unary " + op + ": expected a numeric input of the output's dtype, got "
                    + x.dtype() + " -> " + out.dtype());
        }
        int[][] l = Layouts.elementwise(x, out);
        dev(out).launch("elementwise", "unary_" + sfx(out), out.numel(), out.numel(), op.ordinal(), l[0], ptr(x), l[1], ptr(out));
    }

    @Override
    public void binary(BinaryOp op, NDArray a, NDArray b, NDArray out) {
        int[][] l = Layouts.elementwise(a, b, out);
        String kernel = (op.isComparison() ? "compare_" : "binary_") + sfx(a);
        dev(out).launch("elementwise", kernel, out.numel(), out.numel(), op.ordinal(), l[0], ptr(a), l[1], ptr(b), l[2], ptr(out));
    }

    @Override
    public void axpby(double alpha, NDArray a, double beta, NDArray b, NDArray out) {
        int[][] l = Layouts.elementwise(a, b, out);
        DType dt = out.dtype();
        dev(out).launch("elementwise", "axpby_" + sfx(out), out.numel(), out.numel(), CudaTypes.scalar(dt, alpha), l[0], ptr(a),
                CudaTypes.scalar(dt, beta), l[1], ptr(b), l[2], ptr(out));
    }

    @Override
    public void where(NDArray cond, NDArray a, NDArray b, NDArray out) {
        int[][] l = Layouts.elementwise(cond, a, b, out);
        dev(out).launch("elementwise", "where_" + sfx(out), out.numel(), out.numel(), l[0], ptr(cond), l[1], ptr(a), l[2], ptr(b),
                l[3], ptr(out));
    }

    // ------------------------------------------------------------------ reductions

    /** Threads per block for a reduction over {@code n} elements: a power of two in [32, 256]. */
    private static int reduceBlock(long n) {
        int b = 32;
        while (b < 256 && b < n) {
            b <<= 1;
        }
        return b;
    }

    @Override
    public void reduce(ReduceOp op, NDArray x, boolean[] dims, NDArray out) {
        if (x.dtype() == DType.BOOL) {
            throw new IllegalArgumentException("cuda reduce " + op + ": BOOL input is not supported; convert it first");
        }
        long nOut = out.numel();
        long nRed = x.numel() / Math.max(1, nOut);
        if (nOut == 0) {
            return;
        }
        int[] shape = x.shape();
        int[] kept = Layouts.select(shape, x.strides(), x.offset(), dims, false);
        int[] red = Layouts.select(shape, x.strides(), 0, dims, true);
        int[] outL = Layouts.select(out.shape(), out.strides(), out.offset(), dims, false);
        int block = reduceBlock(nRed);
        int grid = (int) Math.min(nOut, CudaDevice.MAX_BLOCKS);
        dev(out).launchGrid("reduce", "reduce_" + sfx(x), grid, 1, 1, block, block * CudaTypes.size(x.dtype()),
                nOut, nRed, op.ordinal(), kept, red, ptr(x), outL, ptr(out));
    }

    @Override
    public void argReduce(boolean max, NDArray x, int dim, NDArray out) {
        if (x.dim() == 0) {
            fill(out, 0);
            return;
        }
        boolean[] flags = new boolean[x.dim()];
        flags[dim] = true;
        int[] kept = Layouts.select(x.shape(), x.strides(), x.offset(), flags, false);
        int[] outL = Layouts.select(out.shape(), out.strides(), out.offset(), flags, false);
        long nOut = out.numel();
        int len = x.shape()[dim];
        int block = reduceBlock(len);
        dev(out).launchGrid("reduce", "argreduce_" + sfx(x), (int) Math.min(nOut, CudaDevice.MAX_BLOCKS), 1, 1, block, block * 16,
                nOut, len, max ? 1 : 0, kept, x.strides()[dim], ptr(x), outL, ptr(out));
    }

    @Override
    public void logSoftmax(NDArray x, int dim, NDArray out) {
        boolean[] flags = new boolean[x.dim()];
        int len = 1;
        int xs = 0;
        int os = 0;
        if (x.dim() > 0) {
            flags[dim] = true;
            len = x.shape()[dim];
            xs = x.strides()[dim];
            os = out.strides()[dim];
        }
        int[] xr = Layouts.select(x.shape(), x.strides(), x.offset(), flags, false);
        int[] or = Layouts.select(out.shape(), out.strides(), out.offset(), flags, false);
        long rows = out.numel() / Math.max(1, len);
        if (rows == 0 || len == 0) {
            return;
        }
        int block = reduceBlock(len);
        dev(out).launchGrid("reduce", "log_softmax_" + sfx(x), (int) Math.min(rows, CudaDevice.MAX_BLOCKS), 1, 1, block,
                block * CudaTypes.size(x.dtype()), rows, len, xr, xs, ptr(x), or, os, ptr(out));
    }

    // ------------------------------------------------------------------ matmul

    @Override
    public void matmul(NDArray a, NDArray b, NDArray out) {
        int[] sa = a.shape();
        int[] sb = b.shape();
        int[] ta = a.strides();
        int[] tb = b.strides();
        int[] to = out.strides();
        CudaDevice d = dev(out);
        d.gemm.gemm(out.dtype(), sa[0], sa[1], sb[2], sa[2], 1, new Gemm.Mat(ptr(a), a.offset(), ta[0], ta[1], ta[2]),
                new Gemm.Mat(ptr(b), b.offset(), tb[0], tb[1], tb[2]), 0,
                new Gemm.Mat(ptr(out), out.offset(), to[0], to[1], to[2]));
    }

    // ------------------------------------------------------------------ indexing

    @Override
    public void gather(NDArray x, int dim, NDArray index, NDArray out) {
        int[] il = Layouts.exact(index);
        int[] xl = Layouts.exact(index.shape(), x.strides(), x.offset());
        int[] ol = Layouts.exact(index.shape(), out.strides(), out.offset());
        dev(out).launch("index", "gather_" + sfx(x) + "_" + sfx(index), index.numel(), index.numel(), dim, il, ptr(index), xl, ptr(x),
                ol, ptr(out));
    }

    @Override
    public void scatterAdd(NDArray out, int dim, NDArray index, NDArray src) {
        if (out.dtype() == DType.BOOL) {
            throw new IllegalArgumentException("cuda scatterAdd: BOOL is not supported");
        }
        int[] il = Layouts.exact(index);
        int[] sl = Layouts.exact(index.shape(), src.strides(), src.offset());
        int[] ol = Layouts.exact(index.shape(), out.strides(), out.offset());
        dev(out).launch("index", "scatter_add_" + sfx(out) + "_" + sfx(index), index.numel(), index.numel(), dim, il, ptr(index),
                sl, ptr(src), ol, ptr(out));
    }

    /** Inclusive prefix sum of the mask's row-major flags, in a scratch block the caller releases. */
    private static CachingAllocator.Block<CUdeviceptr> maskScan(CudaDevice d, NDArray mask) {
        long n = mask.numel();
        CachingAllocator.Block<CUdeviceptr> scan = d.memory.block(Math.max(1, n) * 4);
        d.launch("index", "mask_flags", n, n, Layouts.exact(mask), ptr(mask), scan.ptr());
        if (n > 0) {
            d.launchGrid("index", "inclusive_scan_i32", 1, 1, 1, 1024, 0, n, scan.ptr());
        }
        return scan;
    }

    @Override
    public void maskedSelect(NDArray x, NDArray mask, NDArray out) {
        CudaDevice d = dev(out);
        CachingAllocator.Block<CUdeviceptr> scan = maskScan(d, mask);
        try {
            long n = mask.numel();
            d.launch("index", "masked_select_" + sfx(x), n, n, Layouts.exact(mask), ptr(mask), scan.ptr(), Layouts.exact(x), ptr(x),
                    Layouts.exact(out), ptr(out));
        } finally {
            d.memory.release(scan); // stream order: later work cannot overtake these kernels
        }
    }

    @Override
    public void maskedScatter(NDArray out, NDArray mask, NDArray src) {
        CudaDevice d = dev(out);
        CachingAllocator.Block<CUdeviceptr> scan = maskScan(d, mask);
        try {
            long n = mask.numel();
            d.launch("index", "masked_scatter_" + sfx(out), n, n, Layouts.exact(mask), ptr(mask), scan.ptr(), Layouts.exact(src),
                    ptr(src), Layouts.exact(out), ptr(out));
        } finally {
            d.memory.release(scan);
        }
    }

    // ------------------------------------------------------------------ random fills (Note [Random fills])

    @Override
    public void uniform(NDArray out, Generator gen, double low, double high) {
        long n = out.numel();
        long seed = gen.seed();
        long base = gen.reserve(n);
        int[] l = Layouts.exact(out);
        dev(out).launch("random", "uniform_" + sfx(out), n, n, seed, base, low, high, out.dtype() == DType.FLOAT32 ? 1 : 0,
                Math.nextDown((float) high), l, ptr(out));
    }

    @Override
    public void normal(NDArray out, Generator gen, double mean, double std) {
        long n = out.numel();
        long seed = gen.seed();
        long base = gen.reserve(n);
        dev(out).launch("random", "normal_" + sfx(out), n, n, seed, base, mean, std, Layouts.exact(out), ptr(out));
    }

    @Override
    public void bernoulli(NDArray p, NDArray out, Generator gen) {
        NDArray prob = p.dtype() == DType.FLOAT32 || p.dtype() == DType.FLOAT64 ? p : p.to(DType.FLOAT64);
        long n = out.numel();
        long seed = gen.seed();
        long base = gen.reserve(n);
        dev(out).launch("random", "bernoulli_" + sfx(prob) + "_" + sfx(out), n, n, seed, base, Layouts.exact(prob), ptr(prob),
                Layouts.exact(out), ptr(out));
        java.lang.ref.Reference.reachabilityFence(prob);
    }

    @Override
    public void randint(NDArray out, Generator gen, long low, long high) {
        long n = out.numel();
        long seed = gen.seed();
        long base = gen.reserve(n);
        dev(out).launch("random", "randint_" + sfx(out), n, n, seed, base, low, high - low, Layouts.exact(out), ptr(out));
    }

    // ------------------------------------------------------------------ convolution (im2col + GEMM) and pooling

    /** ConvGeom of conv.cu: N, C, H, W, O, KH, KW, OH, OW, sh, sw, ph, pw, dh, dw. */
    private static int[] convGeom(int[] in, int[] w, int[] o, Conv2dParams p) {
        return new int[] {in[0], in[1], in[2], in[3], w[0], w[2], w[3], o[2], o[3], p.strideH(), p.strideW(), p.paddingH(),
                p.paddingW(), p.dilationH(), p.dilationW()};
    }

    /** Images per im2col chunk so that the column buffer stays under the workspace bound. */
    private static int chunk(int n, long colElementsPerImage, DType dt) {
        long per = Math.max(1, colElementsPerImage * CudaTypes.size(dt));
        return (int) Math.max(1, Math.min(n, CONV_WORKSPACE_BYTES / per));
    }

    /** {@code a} itself when contiguous with offset 0, else a contiguous copy on its device. */
    private static NDArray dense(NDArray a) {
        return a.isContiguous() && a.offset() == 0 ? a : a.copy();
    }

    @Override
    public void conv2d(NDArray input, NDArray weight, NDArray bias, Conv2dParams p, NDArray out) {
        CudaDevice d = dev(out);
        DType dt = out.dtype();
        int[] in = input.shape();
        int[] ws = weight.shape();
        int[] os = out.shape();
        NDArray w = dense(weight);
        NDArray o = dense(out);
        int ckk = ws[1] * ws[2] * ws[3];
        int ohw = os[2] * os[3];
        int cn = chunk(in[0], (long) ckk * ohw, dt);
        CachingAllocator.Block<CUdeviceptr> col = d.memory.block((long) cn * ckk * ohw * CudaTypes.size(dt));
        try {
            int[] xl = Layouts.exact(input);
            for (int n0 = 0; n0 < in[0]; n0 += cn) {
                int nb = Math.min(cn, in[0] - n0);
                int[] g = convGeom(new int[] {nb, in[1], in[2], in[3]}, ws, os, p);
                int[] xc = xl.clone();
                xc[1] += n0 * input.strides()[0];
                long total = (long) nb * ckk * ohw;
                d.launch("conv", "im2col_" + CudaTypes.suffix(dt), total, total, g, xc, ptr(input), col.ptr());
                d.gemm.gemm(dt, nb, os[1], ohw, ckk, 1, new Gemm.Mat(ptr(w), 0, 0, ckk, 1),
                        new Gemm.Mat(col.ptr(), 0, (long) ckk * ohw, ohw, 1), 0,
                        new Gemm.Mat(ptr(o), (long) n0 * os[1] * ohw, (long) os[1] * ohw, ohw, 1));
            }
        } finally {
            d.memory.release(col);
        }
        if (bias != null) {
            long total = o.numel();
            d.launch("conv", "bias_add_" + CudaTypes.suffix(dt), total, total, os[1], ohw, Layouts.exact(bias), ptr(bias), ptr(o));
        }
        if (o != out) {
            copy(o, out);
        }
        java.lang.ref.Reference.reachabilityFence(w);
    }

    @Override
    public void conv2dBackwardInput(NDArray gradOut, NDArray weight, Conv2dParams p, NDArray gradInput) {
        CudaDevice d = dev(gradInput);
        DType dt = gradInput.dtype();
        int[] in = gradInput.shape();
        int[] ws = weight.shape();
        int[] os = gradOut.shape();
        NDArray w = dense(weight);
        NDArray g = dense(gradOut);
        NDArray dx = dense(gradInput);
        int ckk = ws[1] * ws[2] * ws[3];
        int ohw = os[2] * os[3];
        int cn = chunk(in[0], (long) ckk * ohw, dt);
        CachingAllocator.Block<CUdeviceptr> col = d.memory.block((long) cn * ckk * ohw * CudaTypes.size(dt));
        try {
            for (int n0 = 0; n0 < in[0]; n0 += cn) {
                int nb = Math.min(cn, in[0] - n0);
                // dcol [nb, CKK, OHW] = W^T [CKK, O] x dout[n] [O, OHW]; W^T is W read column-major
                d.gemm.gemm(dt, nb, ckk, ohw, os[1], 1, new Gemm.Mat(ptr(w), 0, 0, 1, ckk),
                        new Gemm.Mat(ptr(g), (long) n0 * os[1] * ohw, (long) os[1] * ohw, ohw, 1), 0,
                        new Gemm.Mat(col.ptr(), 0, (long) ckk * ohw, ohw, 1));
                int[] geom = convGeom(new int[] {nb, in[1], in[2], in[3]}, ws, os, p);
                long total = (long) nb * in[1] * in[2] * in[3];
                d.launch("conv", "col2im_" + CudaTypes.suffix(dt), total, total, geom, col.ptr(), ptr(dx),
                        (long) n0 * in[1] * in[2] * in[3]);
            }
        } finally {
            d.memory.release(col);
        }
        if (dx != gradInput) {
            copy(dx, gradInput);
        }
        java.lang.ref.Reference.reachabilityFence(w);
        java.lang.ref.Reference.reachabilityFence(g);
    }

    @Override
    public void conv2dBackwardWeight(NDArray gradOut, NDArray input, Conv2dParams p, NDArray gradWeight, NDArray gradBias) {
        CudaDevice d = dev(gradWeight);
        DType dt = gradWeight.dtype();
        int[] in = input.shape();
        int[] ws = gradWeight.shape();
        int[] os = gradOut.shape();
        NDArray g = dense(gradOut);
        NDArray dw = dense(gradWeight);
        int ckk = ws[1] * ws[2] * ws[3];
        int ohw = os[2] * os[3];
        int cn = chunk(in[0], (long) ckk * ohw, dt);
        CachingAllocator.Block<CUdeviceptr> col = d.memory.block((long) cn * ckk * ohw * CudaTypes.size(dt));
        try {
            int[] xl = Layouts.exact(input);
            boolean first = true;
            for (int n0 = 0; n0 < in[0]; n0 += cn) {
                int nb = Math.min(cn, in[0] - n0);
                int[] geom = convGeom(new int[] {nb, in[1], in[2], in[3]}, ws, os, p);
                int[] xc = xl.clone();
                xc[1] += n0 * input.strides()[0];
                long total = (long) nb * ckk * ohw;
                d.launch("conv", "im2col_" + CudaTypes.suffix(dt), total, total, geom, xc, ptr(input), col.ptr());
                for (int i = 0; i < nb; i++) {
                    // dW [O, CKK] (+)= dout[n] [O, OHW] x col[n]^T [OHW, CKK]
                    d.gemm.gemm(dt, 1, os[1], ckk, ohw, 1, new Gemm.Mat(ptr(g), (long) (n0 + i) * os[1] * ohw, 0, ohw, 1),
                            new Gemm.Mat(col.ptr(), (long) i * ckk * ohw, 0, 1, ohw), first ? 0 : 1,
                            new Gemm.Mat(ptr(dw), 0, 0, ckk, 1));
                    first = false;
                }
            }
            if (first) {
                fill(dw, 0); // an empty batch
            }
        } finally {
            d.memory.release(col);
        }
        if (dw != gradWeight) {
            copy(dw, gradWeight);
        }
        if (gradBias != null) {
            NDArray b4 = gradBias.view(1, os[1], 1, 1);
            reduce(ReduceOp.SUM, gradOut, new boolean[] {true, false, true, true}, b4);
        }
        java.lang.ref.Reference.reachabilityFence(g);
    }

    /** PoolGeom of conv.cu: N, C, H, W, OH, OW, kh, kw, sh, sw, ph, pw, dh, dw, ceil, countIncludePad. */
    private static int[] poolGeom(int[] in, int[] out, Pool2dParams p) {
        return new int[] {in[0], in[1], in[2], in[3], out[2], out[3], p.kernelH(), p.kernelW(), p.strideH(), p.strideW(),
                p.paddingH(), p.paddingW(), p.dilationH(), p.dilationW(), p.ceilMode() ? 1 : 0, p.countIncludePad() ? 1 : 0};
    }

    @Override
    public void maxPool2d(NDArray input, Pool2dParams p, NDArray out, NDArray indices) {
        CudaDevice d = dev(out);
        NDArray o = dense(out);
        NDArray idx = dense(indices);
        long total = o.numel();
        d.launch("conv", "max_pool_" + sfx(out), total, total, poolGeom(input.shape(), out.shape(), p), Layouts.exact(input),
                ptr(input), ptr(o), ptr(idx));
        if (o != out) {
            copy(o, out);
        }
        if (idx != indices) {
            copy(idx, indices);
        }
    }

    @Override
    public void maxPool2dBackward(NDArray gradOut, NDArray indices, Pool2dParams p, NDArray gradInput) {
        CudaDevice d = dev(gradInput);
        NDArray dx = dense(gradInput);
        fill(dx, 0);
        long total = gradOut.numel();
        d.launch("conv", "max_pool_backward_" + sfx(gradInput), total, total, poolGeom(gradInput.shape(), gradOut.shape(), p),
                Layouts.exact(gradOut), ptr(gradOut), Layouts.exact(indices), ptr(indices), ptr(dx));
        if (dx != gradInput) {
            copy(dx, gradInput);
        }
    }

    @Override
    public void avgPool2d(NDArray input, Pool2dParams p, NDArray out) {
        CudaDevice d = dev(out);
        NDArray o = dense(out);
        long total = o.numel();
        d.launch("conv", "avg_pool_" + sfx(out), total, total, poolGeom(input.shape(), out.shape(), p), Layouts.exact(input),
                ptr(input), ptr(o));
        if (o != out) {
            copy(o, out);
        }
    }

    @Override
    public void avgPool2dBackward(NDArray gradOut, Pool2dParams p, NDArray gradInput) {
        CudaDevice d = dev(gradInput);
        NDArray dx = dense(gradInput);
        fill(dx, 0);
        long total = gradOut.numel();
        d.launch("conv", "avg_pool_backward_" + sfx(gradInput), total, total, poolGeom(gradInput.shape(), gradOut.shape(), p),
                Layouts.exact(gradOut), ptr(gradOut), ptr(dx));
        if (dx != gradInput) {
            copy(dx, gradInput);
        }
    }

    @Override
    public String toString() {
        return "CudaBackend[" + CudaAvailability.status().message() + "]";
    }

    static String describe(NDArray a) {
        return a.device() + " " + a.dtype() + Shape.str(a.shape());
    }
}
