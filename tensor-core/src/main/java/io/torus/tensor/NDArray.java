package io.torus.tensor;

import io.torus.tensor.backend.Backend;
import io.torus.tensor.backend.Backends;
import io.torus.tensor.op.BinaryOp;
import io.torus.tensor.op.Conv2dParams;
import io.torus.tensor.op.Pool2dParams;
import io.torus.tensor.op.ReduceOp;
import io.torus.tensor.op.UnaryOp;

import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * An n-dimensional strided view of a {@link Storage}: the gradient-free array that every backend
 * computes on.
 *
 * <p>Element {@code (i0, .., ik)} lives at {@code offset + sum(ij * strides[j])} in the storage.
 * Movement ops ({@link #view}, {@link #transpose}, {@link #permute}, {@link #expand},
 * {@link #narrow}, {@link #select}, {@link #split}, {@link #chunk}, {@link #squeeze},
 * {@link #unsqueeze}) only rewrite shape, strides and offset, so they share storage exactly where
 * PyTorch does; {@link #reshape} copies only when no view can express the result. Compute ops
 * validate and broadcast here, pick the result dtype ({@link TypePromotion}), allocate the output,
 * and hand the work to the device's {@link Backend}, which sees operands already expanded to the
 * output's shape. In-place ops bump the storage's version counter, which autograd reads.
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

    /**
     * An uninitialised contiguous array, as {@code torch.empty}: its elements are arbitrary (a
     * large one may reuse the memory of a garbage-collected array), so every element must be
     * written before it is read. Use {@link #zeros} for zero-filled memory.
     */
    public static NDArray empty(DType dtype, int... shape) {
        checkShape(shape);
        Storage s = Backends.forDevice(Device.CPU).allocateUninitialized(dtype, Shape.numel(shape));
        return new NDArray(s, shape.clone(), Shape.contiguousStrides(shape), s.base());
    }

    /** {@link #empty(DType, int...)} on {@code device}. */
    public static NDArray empty(Device device, DType dtype, int... shape) {
        checkShape(shape);
        Storage s = Backends.forDevice(device).allocateUninitialized(device, dtype, Shape.numel(shape));
        return new NDArray(s, shape.clone(), Shape.contiguousStrides(shape), s.base());
    }

    /** {@link #zeros(DType, int...)} on {@code device}. */
    public static NDArray zeros(Device device, DType dtype, int... shape) {
        checkShape(shape);
        Storage s = Backends.forDevice(device).allocate(device, dtype, Shape.numel(shape));
        return new NDArray(s, shape.clone(), Shape.contiguousStrides(shape), s.base());
    }

    /** An uninitialised contiguous array on this array's device (every op's output). */
    private NDArray emptyHere(DType dtype, int... shape) {
        return storage.device().type() == Device.Type.CPU ? empty(dtype, shape) : empty(device(), dtype, shape);
    }

    /** A zero-filled contiguous array. */
    public static NDArray zeros(DType dtype, int... shape) {
        checkShape(shape);
        Storage s = Backends.forDevice(Device.CPU).allocate(dtype, Shape.numel(shape));
        return new NDArray(s, shape.clone(), Shape.contiguousStrides(shape), s.base());
    }

    private static void checkShape(int[] shape) {
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension " + d + " in shape " + Shape.str(shape));
            }
        }
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
        return new NDArray(s, shape.clone(), Shape.contiguousStrides(shape), s.base());
    }

    public static NDArray scalar(double value, DType dtype) {
        return full(dtype, value);
    }

    /** Values start, start+step, ... below end (end excluded); more creation functions are in {@link Creation}. */
    public static NDArray arange(double start, double end, double step, DType dtype) {
        return Creation.arange(start, end, step, dtype);
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
        if (!onCpu()) {
            return element(flat).to(Device.CPU).getDouble(0);
        }
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
        if (!onCpu()) {
            return element(flat).to(Device.CPU).getLong(0);
        }
        int i = storageIndex(flat);
        return switch (dtype()) {
            case INT64 -> storage.longs()[i];
            case INT32 -> storage.ints()[i];
            default -> (long) getDouble(flat);
        };
    }

    /** Writes one element; does not bump the version (used while building fresh arrays). */
    public void setDouble(long flat, double v) {
        if (!onCpu()) {
            backend().fill(element(flat), v);
            return;
        }
        int i = storageIndex(flat);
        switch (dtype()) {
            case FLOAT32 -> storage.floats()[i] = (float) v;
            case FLOAT64 -> storage.doubles()[i] = v;
            case INT64 -> storage.longs()[i] = (long) v;
            case INT32 -> storage.ints()[i] = (int) v;
            case BOOL -> storage.bools()[i] = v != 0;
        }
    }

    private boolean onCpu() {
        return storage.device().type() == Device.Type.CPU;
    }

    /** A 0-d view of row-major element {@code flat}. */
    private NDArray element(long flat) {
        return new NDArray(storage, new int[0], new int[0], storageIndex(flat));
    }

    public double item() {
        if (numel() != 1) {
            throw new IllegalArgumentException("item: a tensor with " + numel() + " elements (shape "
                    + Shape.str(shape) + ") cannot be converted to a scalar");
        }
        return getDouble(0);
    }

    public float[] toFloatArray() {
        if (!onCpu()) {
            return to(Device.CPU).toFloatArray();
        }
        NDArray c = to(DType.FLOAT32).contiguous();
        float[] r = Arrays.copyOfRange(c.storage.floats(), c.offset, c.offset + (int) c.numel());
        Reference.reachabilityFence(c); // Note [Storage arrays] in StoragePool
        return r;
    }

    public double[] toDoubleArray() {
        if (!onCpu()) {
            return to(Device.CPU).toDoubleArray();
        }
        NDArray c = to(DType.FLOAT64).contiguous();
        double[] r = Arrays.copyOfRange(c.storage.doubles(), c.offset, c.offset + (int) c.numel());
        Reference.reachabilityFence(c); // Note [Storage arrays] in StoragePool
        return r;
    }

    public long[] toLongArray() {
        if (!onCpu()) {
            return to(Device.CPU).toLongArray();
        }
        NDArray c = to(DType.INT64).contiguous();
        long[] r = Arrays.copyOfRange(c.storage.longs(), c.offset, c.offset + (int) c.numel());
        Reference.reachabilityFence(c); // Note [Storage arrays] in StoragePool
        return r;
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

    /** Elements {@code start .. start+length-1} along {@code dim} (a negative start counts from the end). */
    public NDArray narrow(int dim, int start, int length) {
        requireDims("narrow");
        int d = Shape.normalizeDim(dim, shape.length, "narrow");
        int from = start < 0 ? start + shape[d] : start;
        if (from < 0 || length < 0 || (long) from + length > shape[d]) {
            throw new IllegalArgumentException("narrow: range [" + start + ", " + ((long) start + length) + ") out of bounds for dim "
                    + d + " of size " + shape[d] + " (shape " + Shape.str(shape) + ")");
        }
        int[] s = shape.clone();
        s[d] = length;
        return new NDArray(storage, s, strides.clone(), offset + from * strides[d]);
    }

    public NDArray select(int dim, int index) {
        requireDims("select");
        int d = Shape.normalizeDim(dim, shape.length, "select");
        int i = index < 0 ? index + shape[d] : index;
        if (i < 0 || i >= shape[d]) {
            throw new IllegalArgumentException("select: index " + index + " out of range for dim " + d + " of size " + shape[d]);
        }
        return new NDArray(storage, remove(shape, d), remove(strides, d), offset + i * strides[d]);
    }

    public NDArray squeeze(int dim) {
        int d = Shape.normalizeDim(dim, shape.length, "squeeze");
        return shape.length == 0 || shape[d] != 1 ? this : new NDArray(storage, remove(shape, d), remove(strides, d), offset);
    }

    /** A view without any of the size-1 dims. */
    public NDArray squeeze() {
        int kept = 0;
        for (int d : shape) {
            kept += d == 1 ? 0 : 1;
        }
        int[] s = new int[kept];
        int[] st = new int[kept];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (shape[i] != 1) {
                s[j] = shape[i];
                st[j++] = strides[i];
            }
        }
        return new NDArray(storage, s, st, offset);
    }

    /** Views of consecutive pieces of {@code sizes[i]} elements along {@code dim}; the sizes must add up to its size. */
    public List<NDArray> split(int[] sizes, int dim) {
        requireDims("split");
        int d = Shape.normalizeDim(dim, shape.length, "split");
        long total = 0;
        for (int size : sizes) {
            if (size < 0) {
                throw new IllegalArgumentException("split: sizes " + Arrays.toString(sizes) + " contain a negative size");
            }
            total += size;
        }
        if (total != shape[d]) {
            throw new IllegalArgumentException("split: sizes " + Arrays.toString(sizes) + " sum to " + total + ", but dim " + d
                    + " of shape " + Shape.str(shape) + " has size " + shape[d]);
        }
        List<NDArray> pieces = new ArrayList<>(sizes.length);
        int at = 0;
        for (int size : sizes) {
            pieces.add(narrow(d, at, size));
            at += size;
        }
        return pieces;
    }

    /** Views of {@code splitSize} elements along {@code dim}, the last one possibly smaller. */
    public List<NDArray> split(int splitSize, int dim) {
        requireDims("split");
        int d = Shape.normalizeDim(dim, shape.length, "split");
        return split(Shape.splitSizes(shape[d], splitSize, "split"), d);
    }

    /** PyTorch's chunk: views of {@code ceil(size / chunks)} elements along {@code dim} (see {@link Shape#chunkSizes}). */
    public List<NDArray> chunk(int chunks, int dim) {
        requireDims("chunk");
        int d = Shape.normalizeDim(dim, shape.length, "chunk");
        return split(Shape.chunkSizes(shape[d], chunks, "chunk"), d);
    }

    private void requireDims(String op) {
        if (shape.length == 0) {
            throw new IllegalArgumentException(op + ": cannot be applied to a 0-dim tensor");
        }
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
        NDArray out = emptyHere(dtype(), shape);
        backend().copy(this, out);
        keepAlive(this);
        return out;
    }

    public NDArray to(DType dtype) {
        if (dtype == dtype()) {
            return this;
        }
        NDArray out = emptyHere(dtype, shape);
        backend().copy(this, out);
        keepAlive(this);
        return out;
    }

    /**
     * This array on {@code target}: itself when it is already there, else a contiguous copy made by
     * the device backend's {@link Backend#copyFromHost} / {@link Backend#copyToHost} (between two
     * CUDA devices, through the host). Creating an array on a device that is not usable fails at
     * once with what is missing (for CUDA: JCuda's natives, the driver, a device).
     */
    public NDArray to(Device target) {
        if (target.equals(device())) {
            return this;
        }
        NDArray out = empty(target, dtype(), shape);
        if (onCpu()) {
            out.backend().copyFromHost(this, out);
        } else if (target.type() == Device.Type.CPU) {
            backend().copyToHost(this, out);
        } else {
            NDArray host = to(Device.CPU);
            out.backend().copyFromHost(host, out);
        }
        keepAlive(this);
        return out;
    }

    /** Copies {@code src} (broadcast to this shape) into this array in place. */
    public NDArray copy_(NDArray src) {
        NDArray from = (src.device().equals(device()) ? src : src.to(device())).expand(shape);
        backend().copy(from, this);
        keepAlive(from);
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

    /** Clamps every element into [min, max] in place; an infinite bound is no bound. */
    public NDArray clamp_(double min, double max) {
        if (min != Double.NEGATIVE_INFINITY) {
            binary_(BinaryOp.MAX, min);
        }
        if (max != Double.POSITIVE_INFINITY) {
            binary_(BinaryOp.MIN, max);
        }
        return this;
    }

    // ---------------------------------------------------------------- elementwise

    public NDArray unary(UnaryOp op) {
        if (op == UnaryOp.NEG && dtype() == DType.BOOL) {
            throw new IllegalArgumentException("neg: negation of a BOOL tensor " + Shape.str(shape) + " is not supported");
        }
        DType dt = dtype().isFloatingPoint() || op == UnaryOp.NEG || op == UnaryOp.ABS || op == UnaryOp.RELU
                || op == UnaryOp.SIGN ? dtype() : DType.FLOAT32;
        NDArray x = to(dt);
        NDArray out = emptyHere(dt, shape);
        backend().unary(op, x, out);
        keepAlive(x);
        return out;
    }

    /**
     * {@code this op other}, broadcast, in the dtype of {@link TypePromotion#resultType}; comparisons
     * give BOOL and division of integers gives FLOAT32 (true division).
     */
    public NDArray binary(BinaryOp op, NDArray other) {
        String name = op.name().toLowerCase(Locale.ROOT);
        if (!other.device().equals(device())) {
            if (onCpu() && numel() == 1) {
                return to(other.device()).binary(op, other); // a CPU scalar meets a device array
            }
            other = onDeviceOf(this, other, name);
        }
        int[] s = Shape.broadcast(shape, other.shape, name);
        DType common = computeType(op, TypePromotion.resultType(this, other), other, name);
        NDArray out = emptyHere(op.isComparison() ? DType.BOOL : common, s);
        NDArray a = to(common).expand(s);
        NDArray b = other.to(common).expand(s);
        backend().binary(op, a, b, out);
        keepAlive(a, b);
        return out;
    }

    /** {@code this op scalar}, the scalar promoting as a Python number (Note [Java scalars] in {@link TypePromotion}). */
    public NDArray binary(BinaryOp op, double scalar) {
        return binary(op, scalarLike(scalar));
    }

    /**
     * {@code this = this op other}, in place. {@code other} must broadcast to this shape, and the
     * promoted result type must be castable to this dtype (an integer array cannot take a
     * floating-point result).
     */
    public NDArray binary_(BinaryOp op, NDArray other) {
        String name = op.name().toLowerCase(Locale.ROOT) + "_";
        other = onDeviceOf(this, other, name);
        if (op.isComparison()) {
            throw new IllegalArgumentException(name + ": comparisons cannot be written in place");
        }
        int[] s = Shape.broadcast(shape, other.shape, name);
        if (!Arrays.equals(s, shape)) {
            throw new IllegalArgumentException(name + ": output with shape " + Shape.str(shape)
                    + " doesn't match the broadcast shape " + Shape.str(s));
        }
        DType common = computeType(op, TypePromotion.resultType(this, other), other, name);
        if (!TypePromotion.canCast(common, dtype())) {
            throw new IllegalArgumentException(name + ": result type " + common + " can't be cast to the desired output type "
                    + dtype() + " (shape " + Shape.str(shape) + ")");
        }
        if (common == dtype()) {
            NDArray b = other.to(common).expand(shape);
            backend().binary(op, this, b, this);
            keepAlive(b);
        } else {
            NDArray wide = binary(op, other); // computed in the wider dtype, then narrowed
            backend().copy(wide, this);
            keepAlive(wide);
        }
        storage.bumpVersion();
        return this;
    }

    public NDArray binary_(BinaryOp op, double scalar) {
        return binary_(op, scalarLike(scalar));
    }

    /**
     * {@code this = alpha·this + beta·other}, in place, in one pass (BLAS's axpby; see
     * {@link Backend#axpby}): {@code other} broadcasts to this shape and is converted to this
     * floating-point dtype. Optimizers use it to update state and parameters without temporaries.
     */
    public NDArray axpby_(double alpha, NDArray other, double beta) {
        if (!dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("axpby_: expected a floating-point array, got " + dtype() + " " + Shape.str(shape));
        }
        int[] s = Shape.broadcast(shape, other.shape, "axpby_");
        if (!Arrays.equals(s, shape)) {
            throw new IllegalArgumentException("axpby_: output with shape " + Shape.str(shape)
                    + " doesn't match the broadcast shape " + Shape.str(s));
        }
        NDArray b = onDeviceOf(this, other, "axpby_").to(dtype()).expand(shape);
        backend().axpby(alpha, this, beta, b, this);
        keepAlive(b);
        storage.bumpVersion();
        return this;
    }

    /**
     * {@code x} on {@code anchor}'s device: itself when it is there, a copy when it is a single CPU
     * element (a scalar, as PyTorch lets CPU scalars meet CUDA tensors); anything else is an error.
     */
    static NDArray onDeviceOf(NDArray anchor, NDArray x, String op) {
        if (x.device().equals(anchor.device())) {
            return x;
        }
        if (x.onCpu() && x.numel() == 1) {
            return x.to(anchor.device());
        }
        throw new IllegalArgumentException(op + ": expected all operands on one device, got " + anchor.device() + " "
                + Shape.str(anchor.shape) + " and " + x.device() + " " + Shape.str(x.shape));
    }

    /** A 0-d array holding {@code v} in the dtype a binary op between this array and the scalar {@code v} computes in. */
    public NDArray scalarLike(double v) {
        return scalar(v, TypePromotion.resultType(this, v));
    }

    /** The dtype {@code op} computes in, given the promoted dtype; rejects what PyTorch rejects. */
    private static DType computeType(BinaryOp op, DType promoted, NDArray other, String name) {
        if (op == BinaryOp.DIV && !promoted.isFloatingPoint()) {
            return DType.FLOAT32;
        }
        if (op == BinaryOp.SUB && promoted == DType.BOOL) {
            throw new IllegalArgumentException(name + ": subtraction of two BOOL tensors is not supported");
        }
        if (op == BinaryOp.POW && !promoted.isFloatingPoint() && other.numel() > 0) {
            double least = other.reduce(ReduceOp.MIN, new int[0], false).item();
            if (least < 0) {
                throw new IllegalArgumentException(name + ": integers to negative integer powers are not allowed (exponent "
                        + (long) least + ")");
            }
        }
        return promoted;
    }

    /** Every element clamped into [min, max], in the promoted dtype; an infinite bound is no bound. */
    public NDArray clamp(double min, double max) {
        NDArray r = this;
        if (min != Double.NEGATIVE_INFINITY) {
            r = r.binary(BinaryOp.MAX, min);
        }
        if (max != Double.POSITIVE_INFINITY) {
            r = r.binary(BinaryOp.MIN, max);
        }
        return r == this ? copy() : r;
    }

    /** {@code cond ? a : b} elementwise, all three broadcast; the values promote as in a binary op. */
    public static NDArray where(NDArray cond, NDArray a, NDArray b) {
        if (cond.dtype() != DType.BOOL) {
            throw new IllegalArgumentException("where: expected condition to be BOOL, got " + cond.dtype() + " "
                    + Shape.str(cond.shape));
        }
        int[] s = Shape.broadcast(Shape.broadcast(cond.shape, a.shape, "where"), b.shape, "where");
        DType dt = TypePromotion.resultType(a, b);
        NDArray out = a.emptyHere(dt, s);
        NDArray c = onDeviceOf(a, cond, "where").expand(s);
        NDArray x = a.to(dt).expand(s);
        NDArray y = onDeviceOf(a, b, "where").to(dt).expand(s);
        out.backend().where(c, x, y, out);
        keepAlive(c, x, y);
        return out;
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
        NDArray out = emptyHere(dt, kept);
        NDArray x = to(dt);
        backend().reduce(op, x, flags, out);
        keepAlive(x);
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
        NDArray out = emptyHere(DType.INT64, kept);
        backend().argReduce(max, this, d, out);
        keepAlive(this);
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
        return matmul(other, null);
    }

    /**
     * {@link #matmul(NDArray)} written into {@code out}, as PyTorch's {@code torch.matmul(a, b, out=c)},
     * and returns {@code out}. {@code out} must already have the product's shape and dtype (it is
     * never resized); any strides will do, and it may share storage with an operand (the product
     * is then computed aside and copied in). It is a write in place: {@code out}'s version counter
     * is bumped. A loop that multiplies into the same output keeps it in cache, where a fresh
     * result array is cold memory on every call (Note [Fresh outputs] in {@code TensorBench}).
     */
    public NDArray matmul(NDArray other, NDArray out) {
        if (dim() == 0 || other.dim() == 0) {
            throw new IllegalArgumentException("matmul: both arguments need at least 1 dimension, got shapes "
                    + Shape.str(shape) + " and " + Shape.str(other.shape));
        }
        other = onDeviceOf(this, other, "matmul");
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
        int[] outShape = concat(batch, m, n);
        if (dim() == 1) {
            outShape = remove(outShape, outShape.length - 2);
        }
        if (other.dim() == 1) {
            outShape = remove(outShape, outShape.length - 1);
        }
        if (out != null && (out.dtype() != dt || !Arrays.equals(out.shape, outShape) || !out.device().equals(device()))) {
            throw new IllegalArgumentException("matmul: out has shape " + Shape.str(out.shape) + ", dtype " + out.dtype()
                    + " on " + out.device() + "; the product of shapes " + Shape.str(shape) + " and "
                    + Shape.str(other.shape) + " needs shape " + Shape.str(outShape) + ", dtype " + dt + " on " + device());
        }
        NDArray a3 = batchView(a.to(dt).expand(concat(batch, m, k)), nb);
        NDArray b3 = batchView(b.to(dt).expand(concat(batch, k, n)), nb);
        NDArray c3 = null;
        if (out != null) {
            NDArray o = other.dim() == 1 ? out.unsqueeze(out.dim()) : out;
            c3 = batchView(dim() == 1 ? o.unsqueeze(o.dim() - 1) : o, nb);
        }
        boolean inPlace = c3 != null && c3.storage() == out.storage() && out.storage() != a3.storage()
                && out.storage() != b3.storage();
        NDArray result = inPlace ? c3 : emptyHere(dt, nb, m, n);
        backend().matmul(a3, b3, result);
        keepAlive(a3, b3);
        if (out == null) {
            return result.view(outShape);
        }
        if (!inPlace) {
            out.backend().copy(result.view(outShape), out);
        }
        out.storage.bumpVersion();
        return out;
    }

    /**
     * {@code x [*batch, r, c]} as {@code [nb, r, c]} without copying whenever the batch dims merge
     * into one stride: always for none or one, and for dims broadcast by {@code expand} (stride 0).
     * A transposed matrix thus reaches BLAS as it is (a transpose flag, not a copy), and a matrix
     * shared by every batch keeps batch stride 0, which lets the backend fold the batches (Note
     * [Folded batches] in {@code MatmulBatches}). Other layouts are copied, as {@code reshape} would.
     * Before this, {@code reshape} copied every non-contiguous operand: a Linear layer's forward
     * {@code [64, 784] x [256, 784]^T} measured 2.5-3.4 ms with that strided copy and 1.0-1.7 ms
     * without (the sgemm alone 0.6-0.9 ms; FLOAT32, 1 thread, medians under load 15-25).
     */
    static NDArray batchView(NDArray x, int nb) {
        int r = x.dim() - 2;
        int rows = x.shape[r];
        int cols = x.shape[r + 1];
        int stride = 0;
        long next = -1; // the stride the next outer non-trivial batch dim needs to merge
        for (int i = r - 1; i >= 0 && nb > 0; i--) {
            if (x.shape[i] == 1) {
                continue;
            }
            if (next >= 0 && x.strides[i] != next) {
                return x.reshape(nb, rows, cols);
            }
            if (next < 0) {
                stride = x.strides[i];
            }
            next = (long) x.strides[i] * x.shape[i];
        }
        return new NDArray(x.storage, new int[] {nb, rows, cols}, new int[] {stride, x.strides[r], x.strides[r + 1]}, x.offset);
    }

    private static int[] concat(int[] head, int... tail) {
        int[] r = Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, r, head.length, tail.length);
        return r;
    }

    public NDArray logSoftmax(int dim) {
        int d = Shape.normalizeDim(dim, shape.length, "logSoftmax");
        DType dt = dtype().isFloatingPoint() ? dtype() : DType.FLOAT32;
        NDArray out = emptyHere(dt, shape);
        NDArray x = to(dt);
        backend().logSoftmax(x, d, out);
        keepAlive(x);
        return out;
    }

    // Note [Index checks]
    // Index arrays are checked here, before any backend runs: dtype INT64 or INT32, the rank and
    // sizes each op needs, and the value range, found with two reductions (min and max) so that
    // a device backend need not copy the indices to the host. The error names the op, the
    // offending index value, the dim and its size, like PyTorch's "index 5 is out of bounds for
    // dimension 1 with size 3".

    /** {@code out[i][j] = this[i][index[i][j]]} along {@code dim} (PyTorch's gather); out has index's shape. */
    public NDArray gather(int dim, NDArray index) {
        int d = Shape.normalizeDim(dim, shape.length, "gather");
        index = onDeviceOf(this, index, "gather");
        checkIndex(index, "gather");
        checkScatterShapes("gather", d, index, this, null);
        checkIndexRange(index, d, size0(d), "gather");
        NDArray out = emptyHere(dtype(), index.shape);
        backend().gather(this, d, index, out);
        keepAlive(this, index);
        return out;
    }

    /** Adds {@code src} into this array at {@code index} along {@code dim}, in place (PyTorch's scatter_add_). */
    public NDArray scatterAdd_(int dim, NDArray index, NDArray src) {
        int d = Shape.normalizeDim(dim, shape.length, "scatterAdd");
        index = onDeviceOf(this, index, "scatterAdd");
        src = onDeviceOf(this, src, "scatterAdd");
        checkIndex(index, "scatterAdd");
        checkScatterShapes("scatterAdd", d, index, this, src);
        checkIndexRange(index, d, size0(d), "scatterAdd");
        NDArray from = src.to(dtype());
        backend().scatterAdd(this, d, index, from);
        keepAlive(index, from);
        storage.bumpVersion();
        return this;
    }

    /** Slices along {@code dim} picked by a 0-d or 1-D integer index, copied (PyTorch's index_select). */
    public NDArray indexSelect(int dim, NDArray index) {
        requireDims("indexSelect");
        int d = Shape.normalizeDim(dim, shape.length, "indexSelect");
        index = onDeviceOf(this, index, "indexSelect");
        checkIndex(index, "indexSelect");
        if (index.dim() > 1) {
            throw new IllegalArgumentException("indexSelect: index must be 0-D or 1-D, got shape " + Shape.str(index.shape));
        }
        checkIndexRange(index, d, shape[d], "indexSelect");
        int[] s = shape.clone();
        s[d] = (int) index.numel();
        NDArray out = emptyHere(dtype(), s);
        NDArray idx = alongDim(index, d, s);
        backend().gather(this, d, idx, out);
        keepAlive(this, idx);
        return out;
    }

    /** Adds the slices of {@code src} along {@code dim} into the slices {@code index} names, in place (PyTorch's index_add_). */
    public NDArray indexAdd_(int dim, NDArray index, NDArray src) {
        requireDims("indexAdd");
        int d = Shape.normalizeDim(dim, shape.length, "indexAdd");
        index = onDeviceOf(this, index, "indexAdd");
        src = onDeviceOf(this, src, "indexAdd");
        checkIndex(index, "indexAdd");
        if (index.dim() > 1) {
            throw new IllegalArgumentException("indexAdd: index must be 0-D or 1-D, got shape " + Shape.str(index.shape));
        }
        int[] expected = shape.clone();
        expected[d] = (int) index.numel();
        if (!Arrays.equals(expected, src.shape)) {
            throw new IllegalArgumentException("indexAdd: source of shape " + Shape.str(src.shape) + " does not match "
                    + Shape.str(expected) + " (this shape " + Shape.str(shape) + " with dim " + d + " set to the index length)");
        }
        checkIndexRange(index, d, shape[d], "indexAdd");
        NDArray idx = alongDim(index, d, expected);
        NDArray from = src.to(dtype());
        backend().scatterAdd(this, d, idx, from);
        keepAlive(idx, from);
        storage.bumpVersion();
        return this;
    }

    /** The elements at which {@code mask} (BOOL, broadcast with this array) is true, as a new 1-D array. */
    public NDArray maskedSelect(NDArray mask) {
        mask = onDeviceOf(this, mask, "maskedSelect");
        checkMask(mask, "maskedSelect");
        int[] s = Shape.broadcast(shape, mask.shape, "maskedSelect");
        NDArray m = mask.expand(s);
        NDArray out = emptyHere(dtype(), (int) m.sum().item());
        NDArray x = expand(s);
        backend().maskedSelect(x, m, out);
        keepAlive(x, m);
        return out;
    }

    /**
     * Writes consecutive elements of {@code src} (taken in row-major order) into the positions at
     * which {@code mask}, broadcast to this shape, is true, in place (PyTorch's masked_scatter_).
     */
    public NDArray maskedScatter_(NDArray mask, NDArray src) {
        mask = onDeviceOf(this, mask, "maskedScatter");
        src = onDeviceOf(this, src, "maskedScatter");
        checkMask(mask, "maskedScatter");
        NDArray m = mask.expand(shape);
        long count = (long) m.sum().item();
        if (src.numel() < count) {
            throw new IllegalArgumentException("maskedScatter: the mask selects " + count + " elements but the source "
                    + Shape.str(src.shape) + " has only " + src.numel());
        }
        NDArray flat = src.to(dtype()).contiguous().view(-1);
        backend().maskedScatter(this, m, flat);
        keepAlive(m, flat);
        storage.bumpVersion();
        return this;
    }

    private static void checkMask(NDArray mask, String op) {
        if (mask.dtype() != DType.BOOL) {
            throw new IllegalArgumentException(op + ": expected mask to be BOOL, got " + mask.dtype() + " "
                    + Shape.str(mask.shape));
        }
    }

    private int size0(int d) {
        return shape.length == 0 ? 1 : shape[d];
    }

    /** A 0-d or 1-D index laid along dim {@code d} and expanded to {@code target} (stride 0 elsewhere), for gather. */
    private static NDArray alongDim(NDArray index, int d, int[] target) {
        int[] s = new int[target.length];
        Arrays.fill(s, 1);
        s[d] = (int) index.numel();
        return index.reshape(s).expand(target);
    }

    private static void checkIndex(NDArray index, String op) {
        if (index.dtype() != DType.INT64 && index.dtype() != DType.INT32) {
            throw new IllegalArgumentException(op + ": index must be INT64 or INT32, got " + index.dtype());
        }
    }

    /** gather and scatter_add: equal ranks, index no larger than src (if any) and, except along d, than self. */
    private static void checkScatterShapes(String op, int d, NDArray index, NDArray self, NDArray src) {
        if (index.dim() != self.dim() || (src != null && src.dim() != self.dim())) {
            throw new IllegalArgumentException(op + ": index " + Shape.str(index.shape) + (src == null ? "" : ", source "
                    + Shape.str(src.shape)) + " and input " + Shape.str(self.shape) + " must have the same number of dims");
        }
        for (int k = 0; k < index.dim(); k++) {
            if ((k != d && index.shape[k] > self.shape[k]) || (src != null && index.shape[k] > src.shape[k])) {
                throw new IllegalArgumentException(op + ": index shape " + Shape.str(index.shape) + " is larger than "
                        + (src != null && index.shape[k] > src.shape[k] ? "source shape " + Shape.str(src.shape)
                        : "input shape " + Shape.str(self.shape)) + " at dim " + k);
            }
        }
    }

    /** Checks every index value lies in [0, size) with two reductions (Note [Index checks]). */
    private static void checkIndexRange(NDArray index, int d, int size, String op) {
        if (index.numel() == 0) {
            return;
        }
        long lo = (long) index.reduce(ReduceOp.MIN, new int[0], false).item();
        long hi = (long) index.reduce(ReduceOp.MAX, new int[0], false).item();
        if (lo < 0 || hi >= size) {
            throw new IllegalArgumentException(op + ": index " + (lo < 0 ? lo : hi) + " is out of bounds for dimension " + d
                    + " with size " + size);
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
        NDArray out = emptyHere(dtype(), outShape);
        backend().conv2d(this, weight, bias, p, out);
        keepAlive(this, weight, bias);
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
            gradInput = emptyHere(dtype(), input.shape);
            backend().conv2dBackwardInput(this, weight, p, gradInput);
            keepAlive(this, weight);
        }
        if (needWeight) {
            gradWeight = emptyHere(dtype(), weight.shape);
            gradBias = needBias ? emptyHere(dtype(), weight.shape[0]) : null;
            backend().conv2dBackwardWeight(this, input, p, gradWeight, gradBias);
            keepAlive(this, input);
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
        NDArray out = emptyHere(dtype(), outShape);
        NDArray indices = emptyHere(DType.INT64, outShape);
        backend().maxPool2d(this, p, out, indices);
        keepAlive(this);
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
        NDArray gradInput = emptyHere(dtype(), inputShape);
        backend().maxPool2dBackward(this, indices, p, gradInput);
        keepAlive(this, indices);
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
        NDArray out = emptyHere(dtype(), p.outputShape("avgPool2d", shape));
        backend().avgPool2d(this, p, out);
        keepAlive(this);
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
        NDArray gradInput = emptyHere(dtype(), inputShape);
        backend().avgPool2dBackward(this, p, gradInput);
        keepAlive(this);
        return gradInput;
    }

    /**
     * Keeps the operands of a backend call, and so their storages, reachable until the call has
     * returned: kernels hold bare arrays, and a storage found unreachable meanwhile could hand its
     * array to another allocation (Note [Storage arrays] in {@link StoragePool}).
     */
    private static void keepAlive(Object a) {
        Reference.reachabilityFence(a);
    }

    private static void keepAlive(Object a, Object b) {
        Reference.reachabilityFence(a);
        Reference.reachabilityFence(b);
    }

    private static void keepAlive(Object a, Object b, Object c) {
        Reference.reachabilityFence(a);
        Reference.reachabilityFence(b);
        Reference.reachabilityFence(c);
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
