package io.torus.tensor;

import io.torus.tensor.backend.Backend;
import io.torus.tensor.backend.Backends;
import io.torus.tensor.op.BinaryOp;
import io.torus.tensor.op.Conv2dParams;
import io.torus.tensor.op.Pool2dParams;
import io.torus.tensor.op.ReduceOp;
import io.torus.tensor.op.UnaryOp;

import java.util.Arrays;

/**
 * An n-dimensional strided view of a {@link Storage}: the gradient-free array that every backend
 * computes on.
 *
 * <p>Element {@code (i0, .., ik)} lives at {@code offset + sum(ij * strides[j])} in the storage.
 * Movement ops ({@link #view}, {@link #transpose}, {@link #permute}, {@link #expand},
 * {@link #narrow}, {@link #select}, {@link #squeeze}, {@link #unsqueeze}) only rewrite shape,
 * strides and offset, so they share storage exactly where PyTorch does; {@link #reshape} copies
 * only when no view can express the result. Compute ops validate and broadcast here, allocate the
 * output, and hand the work to the device's {@link Backend}, which sees operands already expanded
 * to the output's shape. In-place ops bump the storage's version counter, which autograd reads.
 */
public final class NDArray {
    private final Storage storage;
    private final int[] shape;
    private final int[] strides;
    private final int offset;

    public NDArray(Storage storage, int[] shape, int[] strides, int offset) {
        this.storage = storage;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
    }

    // ---------------------------------------------------------------- creation

    public static NDArray empty(DType dtype, int... shape) {
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension " + d + " in shape " + Shape.str(shape));
            }
        }
        Storage s = Backends.forDevice(Device.CPU).allocate(dtype, Shape.numel(shape));
        return new NDArray(s, shape.clone(), Shape.contiguousStrides(shape), 0);
    }

    public static NDArray zeros(DType dtype, int... shape) {
        return empty(dtype, shape);
    }

    public static NDArray full(DType dtype, double value, int... shape) {
        NDArray a = empty(dtype, shape);
        a.backend().fill(a, value);
        return a;
    }

    public static NDArray of(float[] data, int... shape) {
        return wrap(Storage.wrap(data), data.length, shape);
    }

    public static NDArray of(double[] data, int... shape) {
        return wrap(Storage.wrap(data), data.length, shape);
    }

    public static NDArray of(long[] data, int... shape) {
        return wrap(Storage.wrap(data), data.length, shape);
    }

    public static NDArray of(int[] data, int... shape) {
        return wrap(Storage.wrap(data), data.length, shape);
    }

    public static NDArray of(boolean[] data, int... shape) {
        return wrap(Storage.wrap(data), data.length, shape);
    }

    private static NDArray wrap(Storage s, int length, int[] shape) {
        if (Shape.numel(shape) != length) {
            throw new IllegalArgumentException("shape " + Shape.str(shape) + " holds " + Shape.numel(shape)
                    + " elements but " + length + " values were given");
        }
        return new NDArray(s, shape.clone(), Shape.contiguousStrides(shape), 0);
    }

    public static NDArray scalar(double value, DType dtype) {
        return full(dtype, value);
    }

    /** Values start, start+step, ... below end (end excluded). */
    public static NDArray arange(double start, double end, double step, DType dtype) {
        if (step == 0 || (end - start) / step < 0) {
            throw new IllegalArgumentException("arange: step " + step + " does not lead from " + start + " to " + end);
        }
        int n = (int) Math.ceil((end - start) / step);
        NDArray a = empty(dtype, n);
        for (int i = 0; i < n; i++) {
            a.setDouble(i, start + i * step);
        }
        return a;
    }

    public static NDArray uniform(Generator gen, double low, double high, DType dtype, int... shape) {
        NDArray a = empty(dtype, shape);
        a.backend().uniform(a, gen, low, high);
        return a;
    }

    public static NDArray normal(Generator gen, double mean, double std, DType dtype, int... shape) {
        NDArray a = empty(dtype, shape);
        a.backend().normal(a, gen, mean, std);
        return a;
    }

    // ---------------------------------------------------------------- inspection

    public Storage storage() {
        return storage;
    }

    public DType dtype() {
        return storage.dtype();
    }

    public Device device() {
        return storage.device();
    }

    public int[] shape() {
        return shape.clone();
    }

    public int size(int dim) {
        return shape[Shape.normalizeDim(dim, shape.length, "size")];
    }

    public int[] strides() {
        return strides.clone();
    }

    public int offset() {
        return offset;
    }

    public int dim() {
        return shape.length;
    }

    public long numel() {
        return Shape.numel(shape);
    }

    public int version() {
        return storage.version();
    }

    public Backend backend() {
        return Backends.forDevice(device());
    }

    public boolean isContiguous() {
        int expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != expected) {
                return false;
            }
            expected *= shape[i];
        }
        return true;
    }

    /** Storage index of the element at row-major position {@code flat}. */
    public int storageIndex(long flat) {
        int idx = offset;
        for (int i = shape.length - 1; i >= 0; i--) {
            int d = shape[i];
            idx += (int) (flat % d) * strides[i];
            flat /= d;
        }
        return idx;
    }

    public double getDouble(long flat) {
        int i = storageIndex(flat);
        return switch (dtype()) {
            case FLOAT32 -> storage.floats()[i];
            case FLOAT64 -> storage.doubles()[i];
            case INT64 -> storage.longs()[i];
            case INT32 -> storage.ints()[i];
            case BOOL -> storage.bools()[i] ? 1 : 0;
        };
    }

    public long getLong(long flat) {
        int i = storageIndex(flat);
        return switch (dtype()) {
            case INT64 -> storage.longs()[i];
            case INT32 -> storage.ints()[i];
            default -> (long) getDouble(flat);
        };
    }

    /** Writes one element; does not bump the version (used while building fresh arrays). */
    public void setDouble(long flat, double v) {
        int i = storageIndex(flat);
        switch (dtype()) {
            case FLOAT32 -> storage.floats()[i] = (float) v;
            case FLOAT64 -> storage.doubles()[i] = v;
            case INT64 -> storage.longs()[i] = (long) v;
            case INT32 -> storage.ints()[i] = (int) v;
            case BOOL -> storage.bools()[i] = v != 0;
        }
    }

    public double item() {
        if (numel() != 1) {
            throw new IllegalArgumentException("item: a tensor with " + numel() + " elements (shape "
                    + Shape.str(shape) + ") cannot be converted to a scalar");
        }
        return getDouble(0);
    }

    public float[] toFloatArray() {
        NDArray c = to(DType.FLOAT32).contiguous();
        return Arrays.copyOfRange(c.storage.floats(), c.offset, c.offset + (int) c.numel());
    }

    public double[] toDoubleArray() {
        NDArray c = to(DType.FLOAT64).contiguous();
        return Arrays.copyOfRange(c.storage.doubles(), c.offset, c.offset + (int) c.numel());
    }

    public long[] toLongArray() {
        NDArray c = to(DType.INT64).contiguous();
        return Arrays.copyOfRange(c.storage.longs(), c.offset, c.offset + (int) c.numel());
    }

    // ---------------------------------------------------------------- views

    /** A view with a new shape; the data must be laid out contiguously. */
    public NDArray view(int... newShape) {
        int[] s = Shape.inferSize(newShape, numel(), "view");
        if (!isContiguous()) {
            throw new IllegalArgumentException("view: size " + Shape.str(s) + " is not compatible with input of shape "
                    + Shape.str(shape) + " and strides " + Shape.str(strides) + "; use reshape (which copies)");
        }
        return new NDArray(storage, s, Shape.contiguousStrides(s), offset);
    }

    /** A view when the data is contiguous, otherwise a contiguous copy. */
    public NDArray reshape(int... newShape) {
        return isContiguous() ? view(newShape) : contiguous().view(newShape);
    }

    public NDArray transpose(int d0, int d1) {
        int a = Shape.normalizeDim(d0, shape.length, "transpose");
        int b = Shape.normalizeDim(d1, shape.length, "transpose");
        int[] s = shape.clone();
        int[] st = strides.clone();
        s[a] = shape[b];
        s[b] = shape[a];
        st[a] = strides[b];
        st[b] = strides[a];
        return new NDArray(storage, s, st, offset);
    }

    public NDArray permute(int... dims) {
        if (dims.length != shape.length) {
            throw new IllegalArgumentException("permute: " + Arrays.toString(dims) + " has " + dims.length
                    + " dims, expected " + shape.length);
        }
        int[] s = new int[dims.length];
        int[] st = new int[dims.length];
        boolean[] seen = new boolean[dims.length];
        for (int i = 0; i < dims.length; i++) {
            int d = Shape.normalizeDim(dims[i], shape.length, "permute");
            if (seen[d]) {
                throw new IllegalArgumentException("permute: dim " + d + " repeated in " + Arrays.toString(dims));
            }
            seen[d] = true;
            s[i] = shape[d];
            st[i] = strides[d];
        }
        return new NDArray(storage, s, st, offset);
    }

    /** Repeats size-1 dims (stride 0) and prepends new leading dims; -1 keeps a size. */
    public NDArray expand(int... newShape) {
        if (newShape.length < shape.length) {
            throw new IllegalArgumentException("expand: target " + Shape.str(newShape) + " has fewer dims than "
                    + Shape.str(shape));
        }
        int lead = newShape.length - shape.length;
        int[] s = new int[newShape.length];
        int[] st = new int[newShape.length];
        for (int i = 0; i < newShape.length; i++) {
            int want = newShape[i];
            if (i < lead) {
                if (want < 0) {
                    throw new IllegalArgumentException("expand: -1 not allowed in new leading dim " + i);
                }
                s[i] = want;
                st[i] = 0;
                continue;
            }
            int have = shape[i - lead];
            if (want == -1 || want == have) {
                s[i] = have;
                st[i] = strides[i - lead];
            } else if (have == 1) {
                s[i] = want;
                st[i] = 0;
            } else {
                throw new IllegalArgumentException("expand: shape " + Shape.str(shape) + " cannot be expanded to "
                        + Shape.str(newShape) + " (dim " + i + ": " + have + " vs " + want + ")");
            }
        }
        return new NDArray(storage, s, st, offset);
    }

    public NDArray narrow(int dim, int start, int length) {
        int d = Shape.normalizeDim(dim, shape.length, "narrow");
        if (start < 0 || length < 0 || start + length > shape[d]) {
            throw new IllegalArgumentException("narrow: range [" + start + ", " + (start + length) + ") out of bounds for dim "
                    + d + " of size " + shape[d]);
        }
        int[] s = shape.clone();
        s[d] = length;
        return new NDArray(storage, s, strides.clone(), offset + start * strides[d]);
    }

    public NDArray select(int dim, int index) {
        int d = Shape.normalizeDim(dim, shape.length, "select");
        int i = index < 0 ? index + shape[d] : index;
        if (i < 0 || i >= shape[d]) {
            throw new IllegalArgumentException("select: index " + index + " out of range for dim " + d + " of size " + shape[d]);
        }
        return new NDArray(storage, remove(shape, d), remove(strides, d), offset + i * strides[d]);
    }

    public NDArray squeeze(int dim) {
        int d = Shape.normalizeDim(dim, shape.length, "squeeze");
        return shape[d] != 1 ? this : new NDArray(storage, remove(shape, d), remove(strides, d), offset);
    }

    public NDArray unsqueeze(int dim) {
        int d = Shape.normalizeDim(dim, shape.length + 1, "unsqueeze");
        int[] s = new int[shape.length + 1];
        int[] st = new int[shape.length + 1];
        for (int i = 0, j = 0; i < s.length; i++) {
            if (i == d) {
                s[i] = 1;
                st[i] = j < shape.length ? strides[j] * shape[j] : 1;
            } else {
                s[i] = shape[j];
                st[i] = strides[j];
                j++;
            }
        }
        return new NDArray(storage, s, st, offset);
    }

    private static int[] remove(int[] a, int d) {
        int[] r = new int[a.length - 1];
        System.arraycopy(a, 0, r, 0, d);
        System.arraycopy(a, d + 1, r, d, a.length - d - 1);
        return r;
    }

    // ---------------------------------------------------------------- copies and conversion

    public NDArray contiguous() {
        return isContiguous() ? this : copy();
    }

    public NDArray copy() {
        NDArray out = empty(dtype(), shape);
        backend().copy(this, out);
        return out;
    }

    public NDArray to(DType dtype) {
        if (dtype == dtype()) {
            return this;
        }
        NDArray out = empty(dtype, shape);
        backend().copy(this, out);
        return out;
    }

    /** Copies {@code src} (broadcast to this shape) into this array in place. */
    public NDArray copy_(NDArray src) {
        backend().copy(src.expand(shape), this);
        storage.bumpVersion();
        return this;
    }

    public NDArray fill_(double value) {
        backend().fill(this, value);
        storage.bumpVersion();
        return this;
    }

    public NDArray uniform_(Generator gen, double low, double high) {
        backend().uniform(this, gen, low, high);
        storage.bumpVersion();
        return this;
    }

    public NDArray normal_(Generator gen, double mean, double std) {
        backend().normal(this, gen, mean, std);
        storage.bumpVersion();
        return this;
    }

    // ---------------------------------------------------------------- elementwise

    public NDArray unary(UnaryOp op) {
        DType dt = dtype().isFloatingPoint() || op == UnaryOp.NEG || op == UnaryOp.ABS || op == UnaryOp.RELU
                || op == UnaryOp.SIGN ? dtype() : DType.FLOAT32;
        NDArray x = to(dt);
        NDArray out = empty(dt, shape);
        backend().unary(op, x, out);
        return out;
    }

    public NDArray binary(BinaryOp op, NDArray other) {
        int[] s = Shape.broadcast(shape, other.shape, op.name().toLowerCase());
        DType common = DType.promote(dtype(), other.dtype());
        if (op == BinaryOp.DIV && !common.isFloatingPoint()) {
            common = DType.FLOAT32;
        }
        NDArray out = empty(op.isComparison() ? DType.BOOL : common, s);
        backend().binary(op, to(common).expand(s), other.to(common).expand(s), out);
        return out;
    }

    /** {@code this op scalar}; a Python-style scalar does not widen a floating-point array. */
    public NDArray binary(BinaryOp op, double scalar) {
        return binary(op, scalarLike(scalar));
    }

    /** {@code this = this op other}, in place; the result keeps this array's shape and dtype. */
    public NDArray binary_(BinaryOp op, NDArray other) {
        Shape.broadcast(shape, other.shape, op.name().toLowerCase() + "_");
        if (op.isComparison()) {
            throw new IllegalArgumentException(op + "_: comparisons cannot be written in place");
        }
        NDArray b = other.to(dtype()).expand(shape);
        backend().binary(op, this, b, this);
        storage.bumpVersion();
        return this;
    }

    public NDArray binary_(BinaryOp op, double scalar) {
        return binary_(op, scalarLike(scalar));
    }

    /** A 0-d array holding {@code v} in the dtype a binary op with this array should see. */
    public NDArray scalarLike(double v) {
        DType dt = dtype().isFloatingPoint() || v == Math.rint(v) ? dtype() : DType.FLOAT32;
        if (dt == DType.BOOL && v != 0 && v != 1) {
            dt = DType.INT64;
        }
        return scalar(v, dt);
    }

    public NDArray add(NDArray o) {
        return binary(BinaryOp.ADD, o);
    }

    public NDArray sub(NDArray o) {
        return binary(BinaryOp.SUB, o);
    }

    public NDArray mul(NDArray o) {
        return binary(BinaryOp.MUL, o);
    }

    public NDArray div(NDArray o) {
        return binary(BinaryOp.DIV, o);
    }

    // ---------------------------------------------------------------- reductions

    /** Reduces over {@code dims} (all dims when empty). */
    public NDArray reduce(ReduceOp op, int[] dims, boolean keepDim) {
        boolean[] flags = new boolean[shape.length];
        if (dims.length == 0) {
            Arrays.fill(flags, true);
        }
        for (int d : dims) {
            flags[Shape.normalizeDim(d, shape.length, op.name().toLowerCase())] = true;
        }
        int[] kept = shape.clone();
        for (int i = 0; i < kept.length; i++) {
            if (flags[i]) {
                if (shape[i] == 0 && op != ReduceOp.SUM) {
                    throw new IllegalArgumentException(op.name().toLowerCase() + ": cannot reduce over empty dim " + i);
                }
                kept[i] = 1;
            }
        }
        DType dt = op == ReduceOp.SUM && !dtype().isFloatingPoint() ? DType.INT64 : dtype();
        NDArray out = empty(dt, kept);
        backend().reduce(op, to(dt), flags, out);
        return keepDim ? out : dropReduced(out, flags);
    }

    private static NDArray dropReduced(NDArray out, boolean[] flags) {
        int n = 0;
        for (boolean f : flags) {
            n += f ? 0 : 1;
        }
        int[] s = new int[n];
        for (int i = 0, j = 0; i < flags.length; i++) {
            if (!flags[i]) {
                s[j++] = out.shape[i];
            }
        }
        return out.view(s);
    }

    public NDArray sum() {
        return reduce(ReduceOp.SUM, new int[0], false);
    }

    public NDArray argMax(int dim, boolean keepDim) {
        return argReduce(true, dim, keepDim);
    }

    public NDArray argMin(int dim, boolean keepDim) {
        return argReduce(false, dim, keepDim);
    }

    private NDArray argReduce(boolean max, int dim, boolean keepDim) {
        int d = Shape.normalizeDim(dim, shape.length, max ? "argmax" : "argmin");
        if (shape.length > 0 && shape[d] == 0) {
            throw new IllegalArgumentException((max ? "argmax" : "argmin") + ": dim " + d + " is empty");
        }
        int[] kept = shape.clone();
        if (kept.length > 0) {
            kept[d] = 1;
        }
        NDArray out = empty(DType.INT64, kept);
        backend().argReduce(max, this, d, out);
        if (keepDim || shape.length == 0) {
            return out;
        }
        boolean[] flags = new boolean[shape.length];
        flags[d] = true;
        return dropReduced(out, flags);
    }

    // ---------------------------------------------------------------- linear algebra and friends

    /** Matrix product with PyTorch's rules for 1-D, 2-D and batched operands. */
    public NDArray matmul(NDArray other) {
        if (dim() == 0 || other.dim() == 0) {
            throw new IllegalArgumentException("matmul: both arguments need at least 1 dimension, got shapes "
                    + Shape.str(shape) + " and " + Shape.str(other.shape));
        }
        NDArray a = dim() == 1 ? unsqueeze(0) : this;
        NDArray b = other.dim() == 1 ? other.unsqueeze(1) : other;
        int m = a.shape[a.dim() - 2];
        int k = a.shape[a.dim() - 1];
        int k2 = b.shape[b.dim() - 2];
        int n = b.shape[b.dim() - 1];
        if (k != k2) {
            throw new IllegalArgumentException("matmul: shapes " + Shape.str(shape) + " and " + Shape.str(other.shape)
                    + " cannot be multiplied (" + k + " != " + k2 + ")");
        }
        int[] batchA = Arrays.copyOf(a.shape, a.dim() - 2);
        int[] batchB = Arrays.copyOf(b.shape, b.dim() - 2);
        int[] batch = Shape.broadcast(batchA, batchB, "matmul");
        int nb = (int) Shape.numel(batch);
        DType dt = DType.promote(dtype(), other.dtype());
        NDArray a3 = a.to(dt).expand(concat(batch, m, k)).reshape(nb, m, k);
        NDArray b3 = b.to(dt).expand(concat(batch, k, n)).reshape(nb, k, n);
        NDArray out = empty(dt, nb, m, n);
        backend().matmul(a3, b3, out);
        int[] outShape = concat(batch, m, n);
        if (dim() == 1) {
            outShape = remove(outShape, outShape.length - 2);
        }
        if (other.dim() == 1) {
            outShape = remove(outShape, outShape.length - 1);
        }
        return out.view(outShape);
    }

    private static int[] concat(int[] head, int... tail) {
        int[] r = Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, r, head.length, tail.length);
        return r;
    }

    public NDArray logSoftmax(int dim) {
        int d = Shape.normalizeDim(dim, shape.length, "logSoftmax");
        DType dt = dtype().isFloatingPoint() ? dtype() : DType.FLOAT32;
        NDArray out = empty(dt, shape);
        backend().logSoftmax(to(dt), d, out);
        return out;
    }

    public NDArray gather(int dim, NDArray index) {
        int d = Shape.normalizeDim(dim, shape.length, "gather");
        checkIndex(index, "gather");
        if (index.dim() != dim()) {
            throw new IllegalArgumentException("gather: index has rank " + index.dim() + ", expected " + dim());
        }
        NDArray out = empty(dtype(), index.shape);
        backend().gather(this, d, index, out);
        return out;
    }

    /** Adds {@code src} into this array at {@code index} along {@code dim}, in place. */
    public NDArray scatterAdd_(int dim, NDArray index, NDArray src) {
        int d = Shape.normalizeDim(dim, shape.length, "scatterAdd");
        checkIndex(index, "scatterAdd");
        backend().scatterAdd(this, d, index, src.to(dtype()));
        storage.bumpVersion();
        return this;
    }

    /** Rows (or slices along {@code dim}) picked by a 1-D integer index, copied. */
    public NDArray indexSelect(int dim, NDArray index) {
        int d = Shape.normalizeDim(dim, shape.length, "indexSelect");
        checkIndex(index, "indexSelect");
        if (index.dim() > 1) {
            throw new IllegalArgumentException("indexSelect: index must be 1-D, got shape " + Shape.str(index.shape));
        }
        int[] s = shape.clone();
        s[d] = (int) index.numel();
        NDArray out = empty(dtype(), s);
        for (int i = 0; i < s[d]; i++) {
            long j = index.getLong(i);
            if (j < 0 || j >= shape[d]) {
                throw new IllegalArgumentException("indexSelect: index " + j + " out of range for dim " + d + " of size " + shape[d]);
            }
            backend().copy(select(d, (int) j), out.select(d, i));
        }
        return out;
    }

    private static void checkIndex(NDArray index, String op) {
        if (index.dtype() != DType.INT64 && index.dtype() != DType.INT32) {
            throw new IllegalArgumentException(op + ": index must be INT64 or INT32, got " + index.dtype());
        }
    }

    @Override
    public String toString() {
        return "NDArray" + Shape.str(shape) + " " + dtype();
    }

    // ---------------------------------------------------------------- convolution and pooling
    // NCHW; a 3-D [C, H, W] array is an unbatched sample (a batch of one, squeezed back).

    /** 2-D cross-correlation with {@code weight [O, C, KH, KW]} and an optional {@code bias [O]} (may be null). */
    public NDArray conv2d(NDArray weight, NDArray bias, int stride, int padding) {
        return conv2d(weight, bias, Conv2dParams.of(stride, padding));
    }

    public NDArray conv2d(NDArray weight, NDArray bias, Conv2dParams p) {
        if (dim() == 3) {
            return unsqueeze(0).conv2d(weight, bias, p).squeeze(0);
        }
        checkConvOperands("conv2d", this, weight, bias);
        int[] outShape = p.outputShape(shape, weight.shape, bias == null ? null : bias.shape);
        NDArray out = empty(dtype(), outShape);
        backend().conv2d(this, weight, bias, p, out);
        return out;
    }

    /**
     * The gradients of {@link #conv2d} given this array as the gradient of its output, as PyTorch's
     * {@code convolution_backward}: {@code {gradInput, gradWeight, gradBias}}, each null unless asked for.
     */
    public NDArray[] conv2dBackward(NDArray input, NDArray weight, Conv2dParams p, boolean needInput, boolean needWeight,
                                    boolean needBias) {
        if (input.dim() == 3) {
            NDArray[] g = unsqueeze(0).conv2dBackward(input.unsqueeze(0), weight, p, needInput, needWeight, needBias);
            return new NDArray[] {g[0] == null ? null : g[0].squeeze(0), g[1], g[2]};
        }
        checkConvOperands("conv2dBackward", this, input, weight);
        int[] outShape = p.outputShape(input.shape, weight.shape, null);
        if (!Arrays.equals(shape, outShape)) {
            throw new IllegalArgumentException("conv2dBackward: gradient " + Shape.str(shape) + " does not match the output shape "
                    + Shape.str(outShape) + " of input " + Shape.str(input.shape) + " and weight " + Shape.str(weight.shape));
        }
        NDArray gradInput = null;
        NDArray gradWeight = null;
        NDArray gradBias = null;
        if (needInput) {
            gradInput = empty(dtype(), input.shape);
            backend().conv2dBackwardInput(this, weight, p, gradInput);
        }
        if (needWeight) {
            gradWeight = empty(dtype(), weight.shape);
            gradBias = needBias ? empty(dtype(), weight.shape[0]) : null;
            backend().conv2dBackwardWeight(this, input, p, gradWeight, gradBias);
        } else if (needBias) {
            gradBias = reduce(ReduceOp.SUM, new int[] {0, 2, 3}, false);
        }
        return new NDArray[] {gradInput, gradWeight, gradBias};
    }

    /** Max over {@code kernel x kernel} windows. */
    public NDArray maxPool2d(int kernel, int stride, int padding) {
        return maxPool2d(Pool2dParams.of(kernel, stride, padding));
    }

    public NDArray maxPool2d(Pool2dParams p) {
        return maxPool2dWithIndices(p)[0];
    }

    /** {@code {values, indices}}: the indices (INT64) are flat {@code h * W + w} positions in each input plane. */
    public NDArray[] maxPool2dWithIndices(Pool2dParams p) {
        if (dim() == 3) {
            NDArray[] r = unsqueeze(0).maxPool2dWithIndices(p);
            return new NDArray[] {r[0].squeeze(0), r[1].squeeze(0)};
        }
        checkConvOperands("maxPool2d", this);
        int[] outShape = p.outputShape("maxPool2d", shape);
        NDArray out = empty(dtype(), outShape);
        NDArray indices = empty(DType.INT64, outShape);
        backend().maxPool2d(this, p, out, indices);
        return new NDArray[] {out, indices};
    }

    /** The gradient of {@link #maxPool2dWithIndices} given this array as the gradient of its values. */
    public NDArray maxPool2dBackward(NDArray indices, int[] inputShape, Pool2dParams p) {
        if (inputShape.length == 3) {
            return unsqueeze(0).maxPool2dBackward(indices.unsqueeze(0), concat(new int[] {1}, inputShape), p).squeeze(0);
        }
        checkConvOperands("maxPool2dBackward", this);
        int[] outShape = p.outputShape("maxPool2dBackward", inputShape);
        if (!Arrays.equals(shape, outShape) || !Arrays.equals(indices.shape, outShape) || indices.dtype() != DType.INT64) {
            throw new IllegalArgumentException("maxPool2dBackward: gradient " + Shape.str(shape) + " and indices "
                    + indices.dtype() + Shape.str(indices.shape) + " must both have the output shape " + Shape.str(outShape)
                    + " (indices INT64)");
        }
        NDArray gradInput = empty(dtype(), inputShape);
        backend().maxPool2dBackward(this, indices, p, gradInput);
        return gradInput;
    }

    /** Mean over {@code kernel x kernel} windows; padding counts in the divisor (PyTorch's default). */
    public NDArray avgPool2d(int kernel, int stride, int padding) {
        return avgPool2d(Pool2dParams.of(kernel, stride, padding));
    }

    public NDArray avgPool2d(Pool2dParams p) {
        if (dim() == 3) {
            return unsqueeze(0).avgPool2d(p).squeeze(0);
        }
        checkConvOperands("avgPool2d", this);
        NDArray out = empty(dtype(), p.outputShape("avgPool2d", shape));
        backend().avgPool2d(this, p, out);
        return out;
    }

    /** The gradient of {@link #avgPool2d} given this array as the gradient of its output. */
    public NDArray avgPool2dBackward(int[] inputShape, Pool2dParams p) {
        if (inputShape.length == 3) {
            return unsqueeze(0).avgPool2dBackward(concat(new int[] {1}, inputShape), p).squeeze(0);
        }
        checkConvOperands("avgPool2dBackward", this);
        int[] outShape = p.outputShape("avgPool2dBackward", inputShape);
        if (!Arrays.equals(shape, outShape)) {
            throw new IllegalArgumentException("avgPool2dBackward: gradient " + Shape.str(shape) + " does not match the output shape "
                    + Shape.str(outShape) + " of input " + Shape.str(inputShape));
        }
        NDArray gradInput = empty(dtype(), inputShape);
        backend().avgPool2dBackward(this, p, gradInput);
        return gradInput;
    }

    /** Convolution and pooling operands: FLOAT32 or FLOAT64, one dtype, one device (null entries skipped). */
    private static void checkConvOperands(String op, NDArray first, NDArray... others) {
        if (first.dtype() != DType.FLOAT32 && first.dtype() != DType.FLOAT64) {
            throw new IllegalArgumentException(op + ": expected a FLOAT32 or FLOAT64 input, got " + first.dtype());
        }
        for (NDArray o : others) {
            if (o == null) {
                continue;
            }
            if (o.dtype() != first.dtype()) {
                throw new IllegalArgumentException(op + ": operands must share a dtype, got " + first.dtype() + Shape.str(first.shape)
                        + " and " + o.dtype() + Shape.str(o.shape));
            }
            if (!o.device().equals(first.device())) {
                throw new IllegalArgumentException(op + ": operands must be on one device, got " + first.device() + " and "
                        + o.device());
            }
        }
    }
}
