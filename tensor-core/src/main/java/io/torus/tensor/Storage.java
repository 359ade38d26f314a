package io.torus.tensor;

import java.util.Arrays;

/**
 * A flat block of elements of one dtype, shared by every view of it, with the version counter
 * that autograd reads to detect in-place writes to saved tensors (PyTorch's variable_version).
 * On the CPU the block is a Java array: float[], double[], long[], int[] or boolean[]. On another
 * device it is that device backend's handle to its memory ({@link #onDevice}); such a storage has
 * no array, and only its backend reads it.
 */
public final class Storage {
    private final DType dtype;
    private final Device device;
    private final Object data;
    private final int size;
    private final int base;
    private final boolean recycled;
    private int version;

    private Storage(DType dtype, Device device, Object data, int size, int base, boolean recycled) {
        this.dtype = dtype;
        this.device = device;
        this.data = data;
        this.size = size;
        this.base = base;
        this.recycled = recycled;
    }

    /** A zero-filled storage of {@code size} elements. */
    public static Storage allocate(DType dtype, long size) {
        Storage s = allocateUninitialized(dtype, size);
        if (s.recycled) {
            s.zero();
        }
        return s;
    }

    /**
     * A storage of {@code size} elements whose contents are arbitrary, as {@code torch.empty}'s:
     * a large one may reuse the array of a garbage-collected storage ({@link StoragePool}), so
     * every element must be written before it is read. Small ones are fresh (zeroed) arrays.
     */
    public static Storage allocateUninitialized(DType dtype, long size) {
        if (size > MAX_ELEMENTS) {
            throw new IllegalArgumentException("storage of " + size + " elements: at most " + MAX_ELEMENTS + " are supported");
        }
        int n = (int) size;
        Class<?> type = arrayType(dtype);
        long bytes = (long) n * StoragePool.bytesPerElement(type);
        StoragePool pool = StoragePool.instance();
        if (!pool.pools(bytes)) {
            pool.drain(); // so that collected arrays beyond the pool's bound are released soon, not at the next large allocation
            int base = ArrayAlignment.PAD_ALL ? ArrayAlignment.padElements(type) : 0;
            return new Storage(dtype, Device.CPU, newArray(dtype, base + n), n, base, false);
        }
        int base = ArrayAlignment.padElements(type);
        Object data = pool.take(type, base + n);
        boolean recycled = data != null;
        if (!recycled) {
            data = newArray(dtype, base + n);
        }
        Storage s = new Storage(dtype, Device.CPU, data, n, base, recycled);
        pool.track(s, data, bytes);
        return s;
    }

    /** The most elements a storage holds (a Java array's limit, less room for {@link ArrayAlignment}'s padding). */
    public static final int MAX_ELEMENTS = Integer.MAX_VALUE - 72;

    private static Class<?> arrayType(DType dtype) {
        return switch (dtype) {
            case FLOAT32 -> float[].class;
            case FLOAT64 -> double[].class;
            case INT64 -> long[].class;
            case INT32 -> int[].class;
            case BOOL -> boolean[].class;
        };
    }

    /** A new zero-filled Java array of {@code dtype} with {@code n} elements (CPU storage's representation). */
    public static Object newArray(DType dtype, int n) {
        return switch (dtype) {
            case FLOAT32 -> new float[n];
            case FLOAT64 -> new double[n];
            case INT64 -> new long[n];
            case INT32 -> new int[n];
            case BOOL -> new boolean[n];
        };
    }

    private void zero() {
        switch (dtype) {
            case FLOAT32 -> Arrays.fill((float[]) data, 0f);
            case FLOAT64 -> Arrays.fill((double[]) data, 0d);
            case INT64 -> Arrays.fill((long[]) data, 0L);
            case INT32 -> Arrays.fill((int[]) data, 0);
            case BOOL -> Arrays.fill((boolean[]) data, false);
        }
    }

    /**
     * A storage of {@code size} elements held by a device backend: {@code handle} is the backend's
     * own object for the memory (for CUDA, a device buffer from its caching allocator), which the
     * backend reads back through {@link #deviceHandle()}.
     */
    public static Storage onDevice(DType dtype, Device device, Object handle, int size) {
        if (device.type() == Device.Type.CPU) {
            throw new IllegalArgumentException("onDevice: " + device + " is the CPU; CPU storages hold Java arrays");
        }
        return new Storage(dtype, device, handle, size, 0, false);
    }

    /** The device backend's handle to this storage's memory (see {@link #onDevice}); CPU storages have none. */
    public Object deviceHandle() {
        if (device.type() == Device.Type.CPU) {
            throw new IllegalStateException("deviceHandle: a " + dtype + " storage on the CPU holds a Java array, not a device buffer");
        }
        return data;
    }

    private Object host() {
        if (device.type() != Device.Type.CPU) {
            throw new IllegalStateException("a " + dtype + " storage of " + size + " elements on " + device
                    + " has no Java array: copy it to the CPU first (to(Device.CPU))");
        }
        return data;
    }

    /** Whether this storage reuses the array of a collected one (its initial contents were arbitrary). */
    public boolean recycled() {
        return recycled;
    }

    public static Storage wrap(float[] data) {
        return new Storage(DType.FLOAT32, Device.CPU, data, data.length, 0, false);
    }

    public static Storage wrap(double[] data) {
        return new Storage(DType.FLOAT64, Device.CPU, data, data.length, 0, false);
    }

    public static Storage wrap(long[] data) {
        return new Storage(DType.INT64, Device.CPU, data, data.length, 0, false);
    }

    public static Storage wrap(int[] data) {
        return new Storage(DType.INT32, Device.CPU, data, data.length, 0, false);
    }

    public static Storage wrap(boolean[] data) {
        return new Storage(DType.BOOL, Device.CPU, data, data.length, 0, false);
    }

    public DType dtype() {
        return dtype;
    }

    public Device device() {
        return device;
    }

    /** The number of elements (the backing array may be longer: see {@link #base()}). */
    public int size() {
        return size;
    }

    /**
     * The index in {@link #array()} of element 0: 0, except for large CPU storages, whose
     * elements start a few slots into their array so that they begin on a 64-byte cache line
     * ({@link ArrayAlignment}). A fresh contiguous NDArray over this storage has this as its offset.
     */
    public int base() {
        return base;
    }

    /**
     * The backing Java array (CPU only; a device storage throws, naming its device).
     *
     * <p>Use it only while this Storage (or a tensor over it) is strongly reachable: once the
     * collector finds a large Storage unreachable, its array goes back to {@link StoragePool} and
     * the next allocation of that size may receive it. Code that holds only the array across work
     * that may allocate, or hands it to another thread, ends with
     * {@code java.lang.ref.Reference.reachabilityFence(tensor)}. The typed accessors below follow
     * the same rule; arrays passed to {@link #wrap} are never recycled.
     */
    public Object array() {
        return host();
    }

    public float[] floats() {
        return (float[]) host();
    }

    public double[] doubles() {
        return (double[]) host();
    }

    public long[] longs() {
        return (long[]) host();
    }

    public int[] ints() {
        return (int[]) host();
    }

    public boolean[] bools() {
        return (boolean[]) host();
    }

    public int version() {
        return version;
    }

    /** Called by every in-place write. */
    public void bumpVersion() {
        version++;
    }
}
