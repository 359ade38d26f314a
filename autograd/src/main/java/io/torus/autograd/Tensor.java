package io.torus.autograd;

import io.torus.autograd.engine.AccumulateGrad;
import io.torus.autograd.engine.Edge;
import io.torus.autograd.engine.Engine;
import io.torus.autograd.engine.Node;
import io.torus.autograd.functions.Arithmetic;
import io.torus.autograd.functions.Convolution;
import io.torus.autograd.functions.Indexing;
import io.torus.autograd.functions.Joining;
import io.torus.autograd.functions.LinearAlgebra;
import io.torus.autograd.functions.Losses;
import io.torus.autograd.functions.Movement;
import io.torus.autograd.functions.Pointwise;
import io.torus.autograd.functions.Pooling;
import io.torus.autograd.functions.Reductions;
import io.torus.tensor.Creation;
import io.torus.tensor.DType;
import io.torus.tensor.Device;
import io.torus.tensor.Generator;
import io.torus.tensor.NDArray;
import io.torus.tensor.Shape;
import io.torus.tensor.op.BinaryOp;
import io.torus.tensor.op.Conv2dParams;
import io.torus.tensor.op.Pool2dParams;
import io.torus.tensor.op.UnaryOp;

import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * The user's tensor: an {@link NDArray} plus the autograd metadata of PyTorch's Variable.
 *
 * <p>A tensor is a <em>leaf</em> when no recorded op produced it ({@link #gradFn()} is null);
 * leaves that require grad receive {@link #grad()} from {@link #backward()}. An op on inputs of
 * which one requires grad (while {@link GradMode} is enabled) records a {@link Node} as the
 * output's grad_fn, linked by edges to its inputs' grad_fns or to their {@link AccumulateGrad}
 * sinks. Hooks on non-leaves are pre-hooks of their grad_fn's output slot; hooks on leaves run
 * before accumulation.
 */
public class Tensor {
    private NDArray data;
    private boolean requiresGrad;
    private Tensor grad;
    private Node gradFn;
    private int outputNr;
    private boolean retainsGrad;
    private AccumulateGrad accumulator;
    private Tensor viewBase;

    protected Tensor(NDArray data, boolean requiresGrad) {
        this.data = data;
        this.requiresGrad = requiresGrad;
        if (requiresGrad) {
            checkFloatingForGrad(data.dtype());
        }
    }

    // ------------------------------------------------------------------ internal construction

    /** Wraps an array as a leaf that does not require grad (no copy). */
    public static Tensor wrap(NDArray data) {
        return new Tensor(data, false);
    }

    /** Internal: the output {@code outputNr} of a recorded op. */
    public static Tensor fromOp(NDArray data, Node gradFn, int outputNr) {
        Tensor t = new Tensor(data, false);
        t.requiresGrad = true;
        t.gradFn = gradFn;
        t.outputNr = outputNr;
        return t;
    }

    /** Internal: records that this tensor is a view sharing the storage of {@code base}. */
    public Tensor markViewOf(Tensor base) {
        this.viewBase = base.viewBase != null ? base.viewBase : base;
        return this;
    }

    /** The underlying array (shares storage; writes to it are not tracked by autograd). */
    public NDArray data() {
        return data;
    }

    /** Internal: where gradients for this tensor go (its grad_fn slot, or its leaf sink); null if none. */
    public Edge gradientEdge() {
        if (!requiresGrad) {
            return null;
        }
        return gradFn != null ? new Edge(gradFn, outputNr) : new Edge(gradAccumulator(), 0);
    }

    private synchronized AccumulateGrad gradAccumulator() {
        if (accumulator == null) {
            accumulator = new AccumulateGrad(this);
        }
        return accumulator;
    }

    // ------------------------------------------------------------------ creation

    public static Tensor of(float... values) {
        return wrap(NDArray.of(values.clone(), values.length));
    }

    public static Tensor of(double... values) {
        return wrap(NDArray.of(values.clone(), values.length));
    }

    public static Tensor of(float[][] rows) {
        int cols = rows.length == 0 ? 0 : rows[0].length;
        float[] flat = new float[rows.length * cols];
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length != cols) {
                throw new IllegalArgumentException("of: row " + i + " has " + rows[i].length + " values, expected " + cols);
            }
            System.arraycopy(rows[i], 0, flat, i * cols, cols);
        }
        return wrap(NDArray.of(flat, rows.length, cols));
    }

    public static Tensor of(double[][] rows) {
        int cols = rows.length == 0 ? 0 : rows[0].length;
        double[] flat = new double[rows.length * cols];
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length != cols) {
                throw new IllegalArgumentException("of: row " + i + " has " + rows[i].length + " values, expected " + cols);
            }
            System.arraycopy(rows[i], 0, flat, i * cols, cols);
        }
        return wrap(NDArray.of(flat, rows.length, cols));
    }

    /** A FLOAT32 tensor of the given shape over a copy of {@code data}. */
    public static Tensor of(float[] data, int... shape) {
        return wrap(NDArray.of(data.clone(), shape));
    }

    public static Tensor ofLongs(long... values) {
        return wrap(NDArray.of(values.clone(), values.length));
    }

    public static Tensor scalar(double value) {
        return wrap(NDArray.scalar(value, DType.FLOAT32));
    }

    public static Tensor zeros(int... shape) {
        return wrap(NDArray.zeros(DType.FLOAT32, shape));
    }

    public static Tensor zeros(DType dtype, int... shape) {
        return wrap(NDArray.zeros(dtype, shape));
    }

    public static Tensor ones(int... shape) {
        return full(shape, 1);
    }

    public static Tensor full(int[] shape, double value) {
        return wrap(NDArray.full(DType.FLOAT32, value, shape));
    }

    public static Tensor full(int[] shape, double value, DType dtype) {
        return wrap(NDArray.full(dtype, value, shape));
    }

    public static Tensor zerosLike(Tensor t) {
        return wrap(NDArray.zeros(t.device(), t.dtype(), t.shape()));
    }

    public static Tensor onesLike(Tensor t) {
        return fullLike(t, 1);
    }

    public static Tensor fullLike(Tensor t, double value) {
        return wrap(NDArray.zeros(t.device(), t.dtype(), t.shape()).fill_(value));
    }

    /**
     * start, start+step, ... below end (end excluded), FLOAT32. As in PyTorch, where Python ints
     * give INT64 and floats FLOAT32, the {@code long} overloads give INT64: {@code arange(0, 10, 2)}
     * is INT64, {@code arange(0, 1, 0.25)} and {@code arange(0.0, 5.0, 1.0)} are FLOAT32.
     */
    public static Tensor arange(double start, double end, double step) {
        return wrap(Creation.arange(start, end, step, DType.FLOAT32));
    }

    public static Tensor arange(double start, double end, double step, DType dtype) {
        return wrap(Creation.arange(start, end, step, dtype));
    }

    /** start, start+step, ... below end (end excluded), INT64. */
    public static Tensor arange(long start, long end, long step) {
        return wrap(Creation.arange(start, end, step, DType.INT64));
    }

    /** 0, 1, ..., end-1 (INT64). */
    public static Tensor arange(long end) {
        return arange(0, end, 1);
    }

    /** 0, 1, ... below end (FLOAT32). */
    public static Tensor arange(double end) {
        return arange(0.0, end, 1.0);
    }

    /** {@code steps} values evenly spaced from start to end, both included (FLOAT32). */
    public static Tensor linspace(double start, double end, int steps) {
        return wrap(Creation.linspace(start, end, steps, DType.FLOAT32));
    }

    /** {@code base} to the powers {@code linspace(start, end, steps)} (FLOAT32). */
    public static Tensor logspace(double start, double end, int steps, double base) {
        return wrap(Creation.logspace(start, end, steps, base, DType.FLOAT32));
    }

    public static Tensor eye(int n) {
        return eye(n, n);
    }

    /** An n x m FLOAT32 matrix with ones on the diagonal. */
    public static Tensor eye(int n, int m) {
        return wrap(Creation.eye(n, m, DType.FLOAT32));
    }

    public static void manualSeed(long seed) {
        Generator.global().manualSeed(seed);
    }

    // Random creation: each function draws from the global generator (seeded by manualSeed) or
    // from the Generator passed right before the shape (last when there is no shape); see
    // Creation for how draws map to counter values. The tensor forms of normal are not recorded
    // in the graph (PyTorch defines their gradients as zero).

    /** Uniform in [0, 1), FLOAT32. */
    public static Tensor rand(int... shape) {
        return rand(Generator.global(), shape);
    }

    public static Tensor rand(Generator gen, int... shape) {
        return wrap(NDArray.uniform(gen, 0, 1, DType.FLOAT32, shape));
    }

    /** Standard normal, FLOAT32. */
    public static Tensor randn(int... shape) {
        return randn(Generator.global(), shape);
    }

    public static Tensor randn(Generator gen, int... shape) {
        return wrap(NDArray.normal(gen, 0, 1, DType.FLOAT32, shape));
    }

    public static Tensor normal(double mean, double std, int... shape) {
        return normal(mean, std, Generator.global(), shape);
    }

    public static Tensor normal(double mean, double std, Generator gen, int... shape) {
        if (!(std >= 0)) {
            throw new IllegalArgumentException("normal: std must be >= 0, got " + std);
        }
        return wrap(NDArray.normal(gen, mean, std, DType.FLOAT32, shape));
    }

    /** Elementwise normal draws; mean and std broadcast against each other. */
    public static Tensor normal(Tensor mean, Tensor std) {
        return normal(mean, std, Generator.global());
    }

    public static Tensor normal(Tensor mean, Tensor std, Generator gen) {
        return wrap(Creation.normal(gen, mean.data, std.data));
    }

    /** Normal draws in mean's shape and dtype. */
    public static Tensor normal(Tensor mean, double std) {
        return normal(mean, std, Generator.global());
    }

    public static Tensor normal(Tensor mean, double std, Generator gen) {
        return wrap(Creation.normal(gen, mean.data, std));
    }

    /** Normal draws in std's shape and dtype. */
    public static Tensor normal(double mean, Tensor std) {
        return normal(mean, std, Generator.global());
    }

    public static Tensor normal(double mean, Tensor std, Generator gen) {
        return wrap(Creation.normal(gen, mean, std.data));
    }

    /** Integers uniform in [low, high) (high excluded), INT64. */
    public static Tensor randint(long low, long high, int... shape) {
        return randint(low, high, Generator.global(), shape);
    }

    public static Tensor randint(long low, long high, Generator gen, int... shape) {
        return wrap(Creation.randint(gen, low, high, DType.INT64, shape));
    }

    /** A random permutation of 0..n-1 (INT64), a Fisher-Yates shuffle driven by {@code gen}. */
    public static Tensor randperm(int n, Generator gen) {
        return wrap(Creation.randperm(gen, n));
    }

    public static Tensor randperm(int n) {
        return randperm(n, Generator.global());
    }

    /** 1 with probability p, else 0, in p's dtype; every p must lie in [0, 1]. */
    public static Tensor bernoulli(Tensor p) {
        return bernoulli(p, Generator.global());
    }

    public static Tensor bernoulli(Tensor p, Generator gen) {
        return wrap(Creation.bernoulli(gen, p.data));
    }

    /** Standard normal draws in t's shape and (floating-point) dtype. */
    public static Tensor randnLike(Tensor t) {
        return randnLike(t, Generator.global());
    }

    public static Tensor randnLike(Tensor t, Generator gen) {
        return wrap(NDArray.normal(gen, 0, 1, floatingLike(t, "randnLike"), t.shape()));
    }

    /** Uniform draws in [0, 1) in t's shape and (floating-point) dtype. */
    public static Tensor randLike(Tensor t) {
        return randLike(t, Generator.global());
    }

    public static Tensor randLike(Tensor t, Generator gen) {
        return wrap(NDArray.uniform(gen, 0, 1, floatingLike(t, "randLike"), t.shape()));
    }

    /** Integers uniform in [low, high) in t's shape and dtype. */
    public static Tensor randintLike(Tensor t, long low, long high) {
        return randintLike(t, low, high, Generator.global());
    }

    public static Tensor randintLike(Tensor t, long low, long high, Generator gen) {
        return wrap(Creation.randint(gen, low, high, t.dtype(), t.shape()));
    }

    private static DType floatingLike(Tensor t, String op) {
        if (!t.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException(op + ": expected a floating point tensor, got " + t.dtype() + " "
                    + Shape.str(t.shape()));
        }
        return t.dtype();
    }

    public static Tensor cat(int dim, Tensor... tensors) {
        return Joining.cat(dim, tensors);
    }

    public static Tensor stack(int dim, Tensor... tensors) {
        if (tensors.length == 0) {
            throw new IllegalArgumentException("stack: expects a non-empty list of tensors");
        }
        Tensor[] lifted = new Tensor[tensors.length];
        int d = Shape.normalizeDim(dim, tensors[0].dim() + 1, "stack");
        for (int i = 0; i < tensors.length; i++) {
            lifted[i] = tensors[i].unsqueeze(d);
        }
        return cat(d, lifted);
    }

    // ------------------------------------------------------------------ inspection

    public int[] shape() {
        return data.shape();
    }

    public int dim() {
        return data.dim();
    }

    public long numel() {
        return data.numel();
    }

    public DType dtype() {
        return data.dtype();
    }

    public Device device() {
        return data.device();
    }

    public double item() {
        return data.item();
    }

    public float[] toFloatArray() {
        return data.toFloatArray();
    }

    public double[] toDoubleArray() {
        return data.toDoubleArray();
    }

    public long[] toLongArray() {
        return data.toLongArray();
    }

    public boolean isContiguous() {
        return data.isContiguous();
    }

    /** Converts the dtype (a copy that stays in the graph when both dtypes are floating point). */
    public Tensor to(DType dtype) {
        if (dtype == dtype()) {
            return this;
        }
        return Movement.convert(this, dtype);
    }

    /**
     * This tensor on {@code device}: itself when it is there, else a copy that stays in the graph
     * ({@code ToCopyBackward0}, whose backward moves the gradient back). A CUDA device that is not
     * usable fails at once, saying what is missing (driver, device, kernels).
     */
    public Tensor to(Device device) {
        if (device.equals(device())) {
            return this;
        }
        return Movement.toDevice(this, device);
    }

    /**
     * Internal (for {@code Module.to}): moves this leaf's data, and its gradient, to {@code device}
     * in place, as PyTorch's {@code param.data = param.data.to(device)}, so that the references an
     * optimizer holds stay valid. Returns this.
     */
    public Tensor moveTo_(Device device) {
        if (!isLeaf()) {
            throw new IllegalStateException("moveTo_: only leaf tensors can be moved in place (this one was produced by "
                    + gradFn.name() + ")");
        }
        if (!device.equals(device())) {
            data = data.to(device);
            if (grad != null) {
                grad = wrap(grad.data().to(device));
            }
        }
        return this;
    }

    public Tensor contiguous() {
        return isContiguous() ? this : reshape(shape());
    }

    // ------------------------------------------------------------------ math

    public Tensor add(Tensor o) {
        return Arithmetic.add(this, o);
    }

    public Tensor add(double v) {
        return Arithmetic.add(this, constant(v));
    }

    public Tensor sub(Tensor o) {
        return Arithmetic.sub(this, o);
    }

    public Tensor sub(double v) {
        return Arithmetic.sub(this, constant(v));
    }

    public Tensor mul(Tensor o) {
        return Arithmetic.mul(this, o);
    }

    public Tensor mul(double v) {
        return Arithmetic.mul(this, constant(v));
    }

    public Tensor div(Tensor o) {
        return Arithmetic.div(this, o);
    }

    public Tensor div(double v) {
        return Arithmetic.div(this, constant(v));
    }

    public Tensor neg() {
        return Arithmetic.neg(this);
    }

    public Tensor pow(double p) {
        return Arithmetic.pow(this, p);
    }

    public Tensor exp() {
        return Pointwise.apply(UnaryOp.EXP, this);
    }

    public Tensor log() {
        return Pointwise.apply(UnaryOp.LOG, this);
    }

    public Tensor sqrt() {
        return Pointwise.apply(UnaryOp.SQRT, this);
    }

    public Tensor abs() {
        return Pointwise.apply(UnaryOp.ABS, this);
    }

    public Tensor sin() {
        return Pointwise.apply(UnaryOp.SIN, this);
    }

    public Tensor cos() {
        return Pointwise.apply(UnaryOp.COS, this);
    }

    public Tensor tanh() {
        return Pointwise.apply(UnaryOp.TANH, this);
    }

    public Tensor sigmoid() {
        return Pointwise.apply(UnaryOp.SIGMOID, this);
    }

    public Tensor relu() {
        return Pointwise.apply(UnaryOp.RELU, this);
    }

    /** -1, 0 or 1 (NaN stays NaN); its gradient is zero. */
    public Tensor sign() {
        return Pointwise.apply(UnaryOp.SIGN, this);
    }

    /** {@code this} to the elementwise power {@code exponent}, broadcast. */
    public Tensor pow(Tensor exponent) {
        return Arithmetic.pow(this, exponent);
    }

    /** Every element clamped into [min, max]; pass an infinity for a missing bound. */
    public Tensor clamp(double min, double max) {
        return Pointwise.clamp(this, min, max);
    }

    public Tensor clampMin(double min) {
        return clamp(min, Double.POSITIVE_INFINITY);
    }

    public Tensor clampMax(double max) {
        return clamp(Double.NEGATIVE_INFINITY, max);
    }

    public Tensor matmul(Tensor o) {
        return LinearAlgebra.matmul(this, o);
    }

    public Tensor sum() {
        return Reductions.sum(this);
    }

    public Tensor sum(int dim, boolean keepDim) {
        return Reductions.sum(this, new int[] {dim}, keepDim);
    }

    public Tensor sum(int[] dims, boolean keepDim) {
        return Reductions.sum(this, dims, keepDim);
    }

    public Tensor mean() {
        return Reductions.mean(this);
    }

    public Tensor mean(int dim, boolean keepDim) {
        return Reductions.mean(this, dim, keepDim);
    }

    /** The largest values along {@code dim}, which is removed. */
    public Tensor max(int dim) {
        return Reductions.max(this, dim);
    }

    public Tensor max(int dim, boolean keepDim) {
        return Reductions.extreme(this, dim, keepDim, true);
    }

    /** The largest element (0-dim). */
    public Tensor max() {
        return Reductions.extreme(this, true);
    }

    /** The smallest values along {@code dim}, which is removed. */
    public Tensor min(int dim) {
        return Reductions.extreme(this, dim, false, false);
    }

    public Tensor min(int dim, boolean keepDim) {
        return Reductions.extreme(this, dim, keepDim, false);
    }

    /** The smallest element (0-dim). */
    public Tensor min() {
        return Reductions.extreme(this, false);
    }

    /** Index of the first largest value along {@code dim} (INT64). */
    public Tensor argmax(int dim) {
        return wrap(data.argMax(dim, false));
    }

    public Tensor argmax(int dim, boolean keepDim) {
        return wrap(data.argMax(dim, keepDim));
    }

    /** Index of the first largest element of the flattened tensor (0-dim INT64). */
    public Tensor argmax() {
        return wrap(data.reshape(-1).argMax(0, false));
    }

    public Tensor argmin(int dim) {
        return wrap(data.argMin(dim, false));
    }

    public Tensor argmin(int dim, boolean keepDim) {
        return wrap(data.argMin(dim, keepDim));
    }

    public Tensor argmin() {
        return wrap(data.reshape(-1).argMin(0, false));
    }

    public Tensor logSoftmax(int dim) {
        return Losses.logSoftmax(this, dim);
    }

    public Tensor eq(Tensor o) {
        return wrap(data.binary(BinaryOp.EQ, o.data));
    }

    public Tensor eq(double v) {
        return wrap(data.binary(BinaryOp.EQ, v));
    }

    public Tensor ne(Tensor o) {
        return wrap(data.binary(BinaryOp.NE, o.data));
    }

    public Tensor ne(double v) {
        return wrap(data.binary(BinaryOp.NE, v));
    }

    public Tensor lt(Tensor o) {
        return wrap(data.binary(BinaryOp.LT, o.data));
    }

    public Tensor lt(double v) {
        return wrap(data.binary(BinaryOp.LT, v));
    }

    public Tensor le(Tensor o) {
        return wrap(data.binary(BinaryOp.LE, o.data));
    }

    public Tensor le(double v) {
        return wrap(data.binary(BinaryOp.LE, v));
    }

    public Tensor gt(Tensor o) {
        return wrap(data.binary(BinaryOp.GT, o.data));
    }

    public Tensor gt(double v) {
        return wrap(data.binary(BinaryOp.GT, v));
    }

    public Tensor ge(Tensor o) {
        return wrap(data.binary(BinaryOp.GE, o.data));
    }

    public Tensor ge(double v) {
        return wrap(data.binary(BinaryOp.GE, v));
    }

    /** {@code cond ? this : other}, elementwise and broadcast (cond is BOOL). */
    public Tensor where(Tensor cond, Tensor other) {
        return Indexing.where(cond, this, other);
    }

    public Tensor where(Tensor cond, double other) {
        return Indexing.where(cond, this, constant(other));
    }

    /** {@code cond ? a : b}, elementwise and broadcast (cond is BOOL). */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) {
        return Indexing.where(cond, a, b);
    }

    private Tensor constant(double v) {
        return wrap(data.scalarLike(v));
    }

    // ------------------------------------------------------------------ shape

    public Tensor reshape(int... shape) {
        return Movement.reshape(this, shape);
    }

    public Tensor view(int... shape) {
        return Movement.view(this, shape);
    }

    public Tensor transpose(int d0, int d1) {
        return Movement.transpose(this, d0, d1);
    }

    /** Transposes a matrix (a 0-D or 1-D tensor is returned as is). */
    public Tensor t() {
        if (dim() > 2) {
            throw new IllegalArgumentException("t: expects a tensor with <= 2 dimensions, got " + dim());
        }
        return dim() < 2 ? this : transpose(0, 1);
    }

    public Tensor permute(int... dims) {
        return Movement.permute(this, dims);
    }

    public Tensor squeeze(int dim) {
        return Movement.squeeze(this, dim);
    }

    /** Drops every size-1 dim (always a view). */
    public Tensor squeeze() {
        return Movement.squeeze(this);
    }

    public Tensor unsqueeze(int dim) {
        return Movement.unsqueeze(this, dim);
    }

    public Tensor flatten(int start, int end) {
        int[] s = shape();
        if (s.length == 0) {
            return reshape(1);
        }
        int a = Shape.normalizeDim(start, s.length, "flatten");
        int b = Shape.normalizeDim(end, s.length, "flatten");
        if (a > b) {
            throw new IllegalArgumentException("flatten: start dim " + start + " comes after end dim " + end);
        }
        int[] out = new int[s.length - (b - a)];
        int k = 0;
        for (int i = 0; i < a; i++) {
            out[k++] = s[i];
        }
        int prod = 1;
        for (int i = a; i <= b; i++) {
            prod *= s[i];
        }
        out[k++] = prod;
        for (int i = b + 1; i < s.length; i++) {
            out[k++] = s[i];
        }
        return reshape(out);
    }

    public Tensor expand(int... shape) {
        return Movement.expand(this, shape);
    }

    /** The view of elements {@code start .. start+length-1} along {@code dim} (a negative start counts from the end). */
    public Tensor narrow(int dim, int start, int length) {
        return Movement.narrow(this, dim, start, length);
    }

    /** The view at {@code index} along {@code dim}, which is removed. */
    public Tensor select(int dim, int index) {
        return Movement.select(this, dim, index);
    }

    /** Views of {@code ceil(size / chunks)} elements along {@code dim}; the last may be smaller, and there may be fewer than {@code chunks}. */
    public List<Tensor> chunk(int chunks, int dim) {
        int d = Shape.normalizeDim(dim, dim(), "chunk");
        if (dim() == 0) {
            throw new IllegalArgumentException("chunk: cannot be applied to a 0-dim tensor");
        }
        return Movement.split(this, Shape.chunkSizes(shape()[d], chunks, "chunk"), d, "SplitBackward0");
    }

    /** Views of {@code splitSize} elements along {@code dim}, the last one possibly smaller. */
    public List<Tensor> split(int splitSize, int dim) {
        int d = Shape.normalizeDim(dim, dim(), "split");
        if (dim() == 0) {
            throw new IllegalArgumentException("split: cannot be applied to a 0-dim tensor");
        }
        return Movement.split(this, Shape.splitSizes(shape()[d], splitSize, "split"), d, "SplitBackward0");
    }

    /** Views of {@code sizes[i]} elements along {@code dim}; the sizes must add up to the dim's size. */
    public List<Tensor> split(int[] sizes, int dim) {
        return Movement.split(this, sizes, dim, "SplitWithSizesBackward0");
    }

    /** The slices along {@code dim} at a 0-D or 1-D integer {@code index}, copied. */
    public Tensor indexSelect(int dim, Tensor index) {
        return Indexing.indexSelect(this, dim, index);
    }

    /** A copy with the slices of {@code source} along {@code dim} added at {@code index} (PyTorch's index_add). */
    public Tensor indexAdd(int dim, Tensor index, Tensor source) {
        return Indexing.indexAdd(this, dim, index, source);
    }

    /** The elements where {@code mask} (BOOL, broadcast) is true, as a 1-D tensor. */
    public Tensor maskedSelect(Tensor mask) {
        return Indexing.maskedSelect(this, mask);
    }

    /** {@code out[i][j] = this[i][index[i][j]]} along {@code dim}; out has index's shape. */
    public Tensor gather(int dim, Tensor index) {
        return Indexing.gather(this, dim, index);
    }

    /** A copy with {@code src} added at {@code index} along {@code dim} (PyTorch's scatter_add). */
    public Tensor scatterAdd(int dim, Tensor index, Tensor src) {
        return Indexing.scatterAdd(this, dim, index, src);
    }

    // ------------------------------------------------------------------ in place

    // Note [In-place ops and the graph]
    // Without a graph to record (grad mode off, or neither operand requires grad) an in-place op
    // writes through to the storage and bumps its version. With one, the op is recorded as its
    // out-of-place twin applied to a snapshot of this tensor's old value and graph position; the
    // result is then written into this tensor's storage and the tensor takes the new node as its
    // grad_fn ("rebasing its history", as PyTorch does). Saved tensors that captured the old value
    // see the version bump and refuse to be used. A leaf that requires grad cannot be modified in
    // place, and neither (for now) can a view of a tensor that requires grad, because the base's
    // history would have to be rewritten too.

    /** Whether an in-place op with these operands must be recorded; throws where it cannot be. */
    private boolean recordsInPlace(String op, Tensor other) {
        if (!GradMode.isEnabled() || !(requiresGrad || (other != null && other.requiresGrad))) {
            return false;
        }
        if (requiresGrad && isLeaf()) {
            throw new IllegalStateException(op + ": a leaf Variable that requires grad is being used in an in-place operation.");
        }
        if (viewBase != null && viewBase.requiresGrad) {
            throw new IllegalStateException(op + ": in-place modification of a view of a tensor that requires grad is not"
                    + " supported; apply the op out of place (e.g. " + op.replace("_", "") + ") instead");
        }
        return true;
    }

    private Tensor inPlaceBinary(String op, BinaryOp kind, Tensor other, java.util.function.BinaryOperator<Tensor> outOfPlace) {
        if (recordsInPlace(op, other)) {
            Tensor r = outOfPlace.apply(snapshot(), other);
            data.copy_(r.data);
            return rebaseHistory((Node) r.gradFn);
        }
        data.binary_(kind, other.data);
        return this;
    }

    /** Replaces every element by {@code values} (broadcast); recorded as old·0 + values. */
    private Tensor inPlaceAssign(String op, Tensor values) {
        if (recordsInPlace(op, values)) {
            Tensor r = snapshot().mul(0).add(values);
            data.copy_(r.data.to(dtype()));
            return rebaseHistory((Node) r.gradFn);
        }
        data.copy_(values.data);
        return this;
    }

    /** This tensor's current value and graph position, as an independent tensor. */
    private Tensor snapshot() {
        if (!requiresGrad) {
            return wrap(data.copy());
        }
        return fromOp(data.copy(), gradFn, outputNr);
    }

    /** Internal: makes {@code node} this tensor's grad_fn after its storage was modified in place. */
    Tensor rebaseHistory(Node node) {
        if (requiresGrad && isLeaf()) {
            throw new IllegalStateException("a leaf Variable that requires grad is being used in an in-place operation.");
        }
        gradFn = node;
        outputNr = 0;
        requiresGrad = true;
        return this;
    }

    public Tensor add_(Tensor o) {
        return inPlaceBinary("add_", BinaryOp.ADD, o, Tensor::add);
    }

    public Tensor add_(double v) {
        return add_(constant(v));
    }

    public Tensor sub_(Tensor o) {
        return inPlaceBinary("sub_", BinaryOp.SUB, o, Tensor::sub);
    }

    public Tensor sub_(double v) {
        return sub_(constant(v));
    }

    public Tensor mul_(Tensor o) {
        return inPlaceBinary("mul_", BinaryOp.MUL, o, Tensor::mul);
    }

    public Tensor mul_(double v) {
        return mul_(constant(v));
    }

    public Tensor div_(Tensor o) {
        return inPlaceBinary("div_", BinaryOp.DIV, o, Tensor::div);
    }

    public Tensor div_(double v) {
        return div_(constant(v));
    }

    public Tensor zero_() {
        return fill_(0);
    }

    public Tensor fill_(double v) {
        return inPlaceAssign("fill_", constant(v));
    }

    public Tensor copy_(Tensor src) {
        return inPlaceAssign("copy_", src);
    }

    public Tensor uniform_(double low, double high) {
        return inPlaceAssign("uniform_", wrap(NDArray.uniform(Generator.global(), low, high, dtype(), shape())));
    }

    public Tensor normal_(double mean, double std) {
        return inPlaceAssign("normal_", wrap(NDArray.normal(Generator.global(), mean, std, dtype(), shape())));
    }

    /** Clamps every element into [min, max] in place (recorded like the other in-place ops). */
    public Tensor clamp_(double min, double max) {
        if (recordsInPlace("clamp_", null)) {
            Tensor r = snapshot().clamp(min, max);
            data.copy_(r.data);
            return rebaseHistory((Node) r.gradFn);
        }
        data.clamp_(min, max);
        return this;
    }

    /** Overwrites this tensor's elements, in row-major order, with {@code values}. */
    public Tensor setData(float[] values) {
        if (values.length != numel()) {
            throw new IllegalArgumentException("setData: " + values.length + " values for a tensor of " + numel()
                    + " elements " + Shape.str(shape()));
        }
        data.copy_(NDArray.of(values, shape()));
        return this;
    }

    // ------------------------------------------------------------------ autograd state

    public boolean requiresGrad() {
        return requiresGrad;
    }

    public Tensor requiresGrad_(boolean requires) {
        if (!isLeaf()) {
            throw new IllegalStateException("requiresGrad_: you can only change requires_grad flags of leaf variables"
                    + " (this tensor was produced by " + gradFn.name() + ")");
        }
        if (requires) {
            checkFloatingForGrad(dtype());
        }
        requiresGrad = requires;
        return this;
    }

    private static void checkFloatingForGrad(DType dtype) {
        if (!dtype.isFloatingPoint()) {
            throw new IllegalArgumentException("only tensors of floating point dtype can require gradients, got " + dtype);
        }
    }

    public boolean isLeaf() {
        return gradFn == null;
    }

    public Tensor grad() {
        return grad;
    }

    public void setGrad(Tensor g) {
        if (g != null && !java.util.Arrays.equals(g.shape(), shape())) {
            throw new IllegalArgumentException("setGrad: gradient shape " + Shape.str(g.shape()) + " does not match tensor shape "
                    + Shape.str(shape()));
        }
        this.grad = g;
    }

    public GradFn gradFn() {
        return gradFn;
    }

    /** Makes this non-leaf tensor keep its gradient in {@link #grad()} after backward. */
    public Tensor retainGrad() {
        if (!requiresGrad) {
            throw new IllegalStateException("retainGrad: can't retain_grad on a Tensor that has requires_grad=False");
        }
        if (isLeaf() || retainsGrad) {
            return this;
        }
        retainsGrad = true;
        gradFn.addPreHook(outputNr, g -> {
            Tensor copy = wrap(g.data().copy());
            grad = grad == null ? copy : wrap(grad.data().add(copy.data()));
            return g;
        });
        return this;
    }

    public boolean retainsGrad() {
        return retainsGrad;
    }

    /** A new leaf sharing this tensor's storage, outside the graph. */
    public Tensor detach() {
        return wrap(data);
    }

    /** Detaches this tensor from the graph in place, making it a leaf. */
    public Tensor detach_() {
        gradFn = null;
        requiresGrad = false;
        return this;
    }

    /** Registers a hook on this tensor's gradient; it may return a replacement (or null to keep it). */
    public Hook registerHook(UnaryOperator<Tensor> hook) {
        if (!requiresGrad) {
            throw new IllegalStateException("registerHook: cannot register a hook on a tensor that doesn't require gradient");
        }
        Runnable remove = isLeaf() ? gradAccumulator().addPreHook(0, hook) : gradFn.addPreHook(outputNr, hook);
        return remove::run;
    }

    /** Registers a hook that runs after this leaf's gradient has been accumulated into {@link #grad()}. */
    public Hook registerPostAccumulateGradHook(Consumer<Tensor> hook) {
        if (!isLeaf() || !requiresGrad) {
            throw new IllegalStateException("registerPostAccumulateGradHook: only leaf tensors that require grad accept it");
        }
        Runnable remove = gradAccumulator().addPostHook(hook);
        return remove::run;
    }

    public void backward() {
        backward(null, false, false);
    }

    public void backward(Tensor gradient) {
        backward(gradient, false, false);
    }

    public void backward(Tensor gradient, boolean retainGraph, boolean createGraph) {
        if (!requiresGrad) {
            throw new IllegalStateException("element 0 of tensors does not require grad and does not have a grad_fn");
        }
        Tensor g = Autograd.initialGradient(this, gradient);
        Engine.execute(List.of(gradientEdge()), List.of(g), retainGraph, createGraph, List.of());
    }

    // ------------------------------------------------------------------ convolution and pooling (NCHW; 3-D = unbatched)

    /** 2-D convolution with {@code weight [O, C, KH, KW]} and {@code bias [O]} (may be null), stride 1, no padding. */
    public Tensor conv2d(Tensor weight, Tensor bias) {
        return conv2d(weight, bias, Conv2dParams.defaults());
    }

    public Tensor conv2d(Tensor weight, Tensor bias, int stride, int padding) {
        return conv2d(weight, bias, Conv2dParams.of(stride, padding));
    }

    public Tensor conv2d(Tensor weight, Tensor bias, Conv2dParams params) {
        return Convolution.conv2d(this, weight, bias, params);
    }

    /** Max over {@code kernel x kernel} windows with stride {@code kernel}. */
    public Tensor maxPool2d(int kernel) {
        return maxPool2d(Pool2dParams.of(kernel));
    }

    public Tensor maxPool2d(int kernel, int stride, int padding) {
        return maxPool2d(Pool2dParams.of(kernel, stride, padding));
    }

    public Tensor maxPool2d(Pool2dParams params) {
        return Pooling.maxPool2d(this, params);
    }

    /** Mean over {@code kernel x kernel} windows with stride {@code kernel}. */
    public Tensor avgPool2d(int kernel) {
        return avgPool2d(Pool2dParams.of(kernel));
    }

    public Tensor avgPool2d(int kernel, int stride, int padding) {
        return avgPool2d(Pool2dParams.of(kernel, stride, padding));
    }

    public Tensor avgPool2d(Pool2dParams params) {
        return Pooling.avgPool2d(this, params);
    }

    // ------------------------------------------------------------------ printing

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("tensor(");
        long n = numel();
        if (n > 1000) {
            sb.append("<").append(n).append(" elements>");
        } else {
            appendValues(sb, 0, 0, "tensor(".length());
        }
        sb.append(", shape=").append(Shape.str(shape()));
        if (dtype() != DType.FLOAT32) {
            sb.append(", dtype=").append(dtype());
        }
        if (gradFn != null) {
            sb.append(", grad_fn=<").append(gradFn.name()).append(">");
        } else if (requiresGrad) {
            sb.append(", requires_grad=True");
        }
        return sb.append(")").toString();
    }

    private long appendValues(StringBuilder sb, int dim, long flat, int indent) {
        int[] s = shape();
        if (dim == s.length) {
            double v = data.getDouble(flat);
            sb.append(dtype().isFloatingPoint() ? String.format(Locale.ROOT, "%.4f", v) : Long.toString((long) v));
            return flat + 1;
        }
        sb.append('[');
        for (int i = 0; i < s[dim]; i++) {
            if (i > 0) {
                sb.append(dim == s.length - 1 ? ", " : ",\n" + " ".repeat(indent + dim + 1));
            }
            flat = appendValues(sb, dim + 1, flat, indent);
        }
        sb.append(']');
        return flat;
    }
}
