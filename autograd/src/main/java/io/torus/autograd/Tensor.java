package io.torus.autograd;

/** Placeholder while the real tensor is written; replaced in the next commit. */
public class Tensor {
    private final float[] data;
    private final int[] shape;
    private final long[] longs;

    private Tensor(float[] data, long[] longs, int[] shape) {
        this.data = data;
        this.longs = longs;
        this.shape = shape;
    }

    public static Tensor of(float[] data, int... shape) {
        return new Tensor(data, null, shape);
    }

    public static Tensor ofLongs(long... v) {
        return new Tensor(null, v, new int[] {v.length});
    }

    public int[] shape() {
        return shape.clone();
    }

    public float[] toFloatArray() {
        return data.clone();
    }

    /** Overwrites this tensor's elements, in row-major order, with {@code values} (FLOAT32 tensors). */
    public Tensor setData(float[] values) {
        System.arraycopy(values, 0, data, 0, data.length);
        return this;
    }

    public io.torus.tensor.DType dtype() {
        return data != null ? io.torus.tensor.DType.FLOAT32 : io.torus.tensor.DType.INT64;
    }

    public long numel() {
        return data != null ? data.length : longs.length;
    }

    public long[] toLongArray() {
        return longs.clone();
    }
}
