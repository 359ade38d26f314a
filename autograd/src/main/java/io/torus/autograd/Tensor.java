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

    public long[] toLongArray() {
        return longs.clone();
    }
}
