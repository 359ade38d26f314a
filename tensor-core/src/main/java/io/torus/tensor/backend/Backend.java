package io.torus.tensor.backend;

import io.torus.tensor.DType;
import io.torus.tensor.Device;
import io.torus.tensor.Generator;
import io.torus.tensor.NDArray;
import io.torus.tensor.Storage;
import io.torus.tensor.op.BinaryOp;
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

    Storage allocate(DType dtype, long size);

    /** Copies (and converts) {@code src} into {@code dst} of the same shape. */
    void copy(NDArray src, NDArray dst);

    void fill(NDArray out, double value);

    void unary(UnaryOp op, NDArray x, NDArray out);

    /** {@code a} and {@code b} already have {@code out}'s shape (possibly with zero strides). */
    void binary(BinaryOp op, NDArray a, NDArray b, NDArray out);

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

    void uniform(NDArray out, Generator gen, double low, double high);

    void normal(NDArray out, Generator gen, double mean, double std);

    /** Copies a CPU array into {@code dst} on this device (same shape); CPU backends just copy. */
    default void copyFromHost(NDArray hostSrc, NDArray dst) {
        copy(hostSrc, dst);
    }

    /** Copies {@code src} from this device into a CPU array of the same shape. */
    default void copyToHost(NDArray src, NDArray hostDst) {
        copy(src, hostDst);
    }
}
