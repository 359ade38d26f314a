package io.torus.tensor;

/**
 * A flat block of elements of one dtype, shared by every view of it, with the version counter
 * that autograd reads to detect in-place writes to saved tensors (PyTorch's variable_version).
 * On the CPU the block is a Java array: float[], double[], long[], int[] or boolean[].
 */
public final class Storage {
    private final DType dtype;
    private final Device device;
    private final Object data;
    private final int size;
    private int version;

    private Storage(DType dtype, Device device, Object data, int size) {
        this.dtype = dtype;
        this.device = device;
        this.data = data;
        this.size = size;
    }

    public static Storage allocate(DType dtype, long size) {
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("storage of " + size + " elements: at most " + (Integer.MAX_VALUE - 8) + " are supported");
        }
        int n = (int) size;
        Object data = switch (dtype) {
            case FLOAT32 -> new float[n];
            case FLOAT64 -> new double[n];
            case INT64 -> new long[n];
            case INT32 -> new int[n];
            case BOOL -> new boolean[n];
        };
        return new Storage(dtype, Device.CPU, data, n);
    }

    public static Storage wrap(float[] data) {
        return new Storage(DType.FLOAT32, Device.CPU, data, data.length);
    }

    public static Storage wrap(double[] data) {
        return new Storage(DType.FLOAT64, Device.CPU, data, data.length);
    }

    public static Storage wrap(long[] data) {
        return new Storage(DType.INT64, Device.CPU, data, data.length);
    }

    public static Storage wrap(int[] data) {
        return new Storage(DType.INT32, Device.CPU, data, data.length);
    }

    public static Storage wrap(boolean[] data) {
        return new Storage(DType.BOOL, Device.CPU, data, data.length);
    }

    public DType dtype() {
        return dtype;
    }

    public Device device() {
        return device;
    }

    public int size() {
        return size;
    }

    /** The backing Java array (CPU only). */
    public Object array() {
        return data;
    }

    public float[] floats() {
        return (float[]) data;
    }

    public double[] doubles() {
        return (double[]) data;
    }

    public long[] longs() {
        return (long[]) data;
    }

    public int[] ints() {
        return (int[]) data;
    }

    public boolean[] bools() {
        return (boolean[]) data;
    }

    public int version() {
        return version;
    }

    /** Called by every in-place write. */
    public void bumpVersion() {
        version++;
    }
}
