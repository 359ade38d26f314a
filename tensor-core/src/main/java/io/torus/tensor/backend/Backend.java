package io.torus.tensor.backend;

import io.torus.tensor.DType;
import io.torus.tensor.Device;
import io.torus.tensor.Generator;
import io.torus.tensor.NDArray;
import io.torus.tensor.Storage;
import io.torus.tensor.op.BinaryOp;
import io.torus.tensor.op.Conv2dParams;
import io.torus.tensor.op.Pool2dParams;
import io.torus.tensor.op.ReduceOp;
import io.torus.tensor.op.UnaryOp;

/**
 * The op vocabulary every device implements. Backends never see gradients or shape inference:
 * {@link NDArray} validates arguments, broadcasts operands to the output's shape (stride 0 where
 * a dimension is repeated) and allocates the output before calling in. Every method writes into
 * {@code out}; an output may alias an input only where the op is elementwise.
 * Implementations are found through {@link java.util.ServiceLoader}.
 */
public interface Backend {
    Device.Type deviceType();

    /** A zero-filled storage of {@code size} elements on this device. */
    Storage allocate(DType dtype, long size);

    /**
     * A storage of {@code size} elements whose contents are arbitrary ({@code torch.empty}): the
     * caller writes every element before reading any. Backends may recycle memory here (the CPU's
     * {@code StoragePool}); the default is {@link #allocate}.
     */
    default Storage allocateUninitialized(DType dtype, long size) {
        return allocate(dtype, size);
    }

    /**
     * A zero-filled storage on {@code device}, one of this backend's devices (a CUDA backend serves
     * every {@code cuda:N}); the CPU has one device and ignores it.
     */
    default Storage allocate(Device device, DType dtype, long size) {
        return allocate(dtype, size);
    }

    /** {@link #allocateUninitialized(DType, long)} on {@code device}; see {@link #allocate(Device, DType, long)}. */
    default Storage allocateUninitialized(Device device, DType dtype, long size) {
        return allocateUninitialized(dtype, size);
    }

    /** Copies (and converts) {@code src} into {@code dst} of the same shape. */
    void copy(NDArray src, NDArray dst);

    void fill(NDArray out, double value);

    void unary(UnaryOp op, NDArray x, NDArray out);

    /** {@code a} and {@code b} already have {@code out}'s shape (possibly with zero strides). */
    void binary(BinaryOp op, NDArray a, NDArray b, NDArray out);

    /**
     * {@code out = alpha·a + beta·b} elementwise, PyTorch's {@code add(a, b, alpha)} with a scale on
     * both sides (BLAS's axpby): the fused update of optimizers ({@code buf = m·buf + g},
     * {@code p = p - lr·buf}) without temporaries. {@code a}, {@code b} and {@code out} share one
     * floating-point dtype and out's shape (zero strides where broadcast); {@code out} may alias
     * {@code a}. The scalars are rounded to the dtype and each product rounded before the sum (no
     * fused multiply-add), so the result equals the composite below bit for bit.
     */
    default void axpby(double alpha, NDArray a, double beta, NDArray b, NDArray out) {
        NDArray r = a.binary(BinaryOp.MUL, alpha).binary(BinaryOp.ADD, b.binary(BinaryOp.MUL, beta));
        copy(r, out);
    }

    /** Reduces the dims flagged in {@code dims}; {@code out} has x's shape with those dims set to 1. */
    void reduce(ReduceOp op, NDArray x, boolean[] dims, NDArray out);

    /** Index of the max (or min) along {@code dim}; {@code out} is INT64 with that dim set to 1. */
    void argReduce(boolean max, NDArray x, int dim, NDArray out);

    /** {@code [b, m, k] x [b, k, n] -> [b, m, n]} (rank 3, batch dims already matched). */
    void matmul(NDArray a, NDArray b, NDArray out);

    void logSoftmax(NDArray x, int dim, NDArray out);

    /** {@code out[i][j] = x[i][index[i][j]]} along {@code dim} (PyTorch's gather). */
    void gather(NDArray x, int dim, NDArray index, NDArray out);

    /** {@code out[i][index[i][j]] += src[i][j]} along {@code dim}. */
    void scatterAdd(NDArray out, int dim, NDArray index, NDArray src);

    // Note [Random fills]
    // Every random fill reserves out.numel() consecutive counter values of the Generator (base =
    // gen.reserve(numel)) and computes element i of out, in row-major order, from counter base + i
    // alone, by the formula its method names. Any device can therefore fill in any order or in
    // parallel and still produce exactly the CPU's numbers for the same seed.

    /**
     * {@code low + (high - low) * gen.uniform(base + i)}, rounded to out's dtype; a FLOAT32 value that
     * rounds up to {@code high} is replaced by the largest float below it, so draws stay in [low, high).
     */
    void uniform(NDArray out, Generator gen, double low, double high);

    /** {@code mean + std * gen.normal(base + i)}, rounded to out's dtype. */
    void normal(NDArray out, Generator gen, double mean, double std);

    /** Copies a CPU array into {@code dst} on this device (same shape); CPU backends just copy. */
    default void copyFromHost(NDArray hostSrc, NDArray dst) {
        copy(hostSrc, dst);
    }

    /** Copies {@code src} from this device into a CPU array of the same shape. */
    default void copyToHost(NDArray src, NDArray hostDst) {
        copy(src, hostDst);
    }

    // ------------------------------------------------------------ selection (issue 3)

    /**
     * {@code out = cond ? a : b}, elementwise. {@code cond} is BOOL; {@code a} and {@code b} have
     * out's dtype; all four have out's shape (zero strides where broadcast).
     */
    void where(NDArray cond, NDArray a, NDArray b, NDArray out);

    /**
     * Copies the elements of {@code x} at which {@code mask} (BOOL, x's shape) is true, in
     * row-major order, into the contiguous 1-D {@code out}, which has exactly that many elements.
     */
    void maskedSelect(NDArray x, NDArray mask, NDArray out);

    /**
     * PyTorch's {@code masked_scatter_}: the positions of {@code out} at which {@code mask} (BOOL,
     * out's shape) is true receive, in row-major order, consecutive elements of the contiguous 1-D
     * {@code src} (out's dtype), which has at least as many elements as the mask has true ones.
     */
    void maskedScatter(NDArray out, NDArray mask, NDArray src);

    // ------------------------------------------------------------ random fills (issue 3), see Note [Random fills]

    /**
     * {@code gen.uniform(base + i) < p[i] ? 1 : 0}, written in out's dtype. {@code p} has out's
     * shape and values in [0, 1] (checked by the caller).
     */
    void bernoulli(NDArray p, NDArray out, Generator gen);

    /**
     * Integers uniform in [low, high): {@code low + floor(bits * (high - low) / 2^64)}, where
     * {@code bits = gen.bits(base + i)} read as unsigned (the high word of the 128-bit product),
     * written in out's dtype. The caller checks {@code low < high}.
     */
    void randint(NDArray out, Generator gen, long low, long high);

    // Convolution and pooling: NCHW, FLOAT32 or FLOAT64, every operand of one dtype. NDArray has
    // checked the shapes against the params (Conv2dParams.outputShape, Pool2dParams.outputShape);
    // inputs may be strided views, outputs arrive freshly allocated and contiguous, and each
    // method overwrites every element of its outputs.

    /** {@code out [N, O, OH, OW] = input [N, C, H, W] (*) weight [O, C, KH, KW] + bias [O]}; bias may be null. */
    void conv2d(NDArray input, NDArray weight, NDArray bias, Conv2dParams p, NDArray out);

    /** Gradient of {@link #conv2d} with respect to its input: {@code gradInput} has the input's shape. */
    void conv2dBackwardInput(NDArray gradOut, NDArray weight, Conv2dParams p, NDArray gradInput);

    /**
     * Gradients of {@link #conv2d} with respect to weight ({@code gradWeight [O, C, KH, KW]}) and,
     * when {@code gradBias} is non-null, bias ({@code [O]}: gradOut summed over N, OH and OW).
     */
    void conv2dBackwardWeight(NDArray gradOut, NDArray input, Conv2dParams p, NDArray gradWeight, NDArray gradBias);

    /**
     * Max over each window into {@code out [N, C, OH, OW]}; {@code indices} (INT64, same shape)
     * receives the arg-max as a flat index {@code h * W + w} into its input plane, as PyTorch's.
     */
    void maxPool2d(NDArray input, Pool2dParams p, NDArray out, NDArray indices);

    /** Routes each {@code gradOut} element to the input position {@code indices} names (summing overlaps). */
    void maxPool2dBackward(NDArray gradOut, NDArray indices, Pool2dParams p, NDArray gradInput);

    void avgPool2d(NDArray input, Pool2dParams p, NDArray out);

    void avgPool2dBackward(NDArray gradOut, Pool2dParams p, NDArray gradInput);
}
