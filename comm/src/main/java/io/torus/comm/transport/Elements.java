package io.torus.comm.transport;

import io.torus.tensor.DType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The element arrays that transports carry and collectives reduce: a Java primitive array whose
 * class names the dtype, exactly as a CPU {@link io.torus.tensor.Storage} holds it, so that a
 * contiguous tensor's storage travels without being converted.
 *
 * <pre>
 * float[]   FLOAT32  4 bytes      long[]    INT64  8 bytes      boolean[] BOOL  1 byte (0 or 1)
 * double[]  FLOAT64  8 bytes      int[]     INT32  4 bytes
 * </pre>
 *
 * On the wire every element is little-endian, the memory order of x86 and ARM, so the copies in
 * {@link #write} and {@link #read} are plain memory copies on both ends.
 */
public final class Elements {
    private Elements() {
    }

    /** The dtype of a supported array; {@link IllegalArgumentException} for anything else. */
    public static DType dtype(Object array) {
        if (array instanceof float[]) {
            return DType.FLOAT32;
        } else if (array instanceof double[]) {
            return DType.FLOAT64;
        } else if (array instanceof long[]) {
            return DType.INT64;
        } else if (array instanceof int[]) {
            return DType.INT32;
        } else if (array instanceof boolean[]) {
            return DType.BOOL;
        }
        throw new IllegalArgumentException("element array " + (array == null ? "null" : array.getClass().getSimpleName())
                + ": expected float[], double[], long[], int[] or boolean[]");
    }

    /** Bytes per element of {@code dtype} on the wire. */
    public static int byteSize(DType dtype) {
        return switch (dtype) {
            case FLOAT32, INT32 -> 4;
            case FLOAT64, INT64 -> 8;
            case BOOL -> 1;
        };
    }

    /** The length of a supported array. */
    public static int length(Object array) {
        return switch (dtype(array)) {
            case FLOAT32 -> ((float[]) array).length;
            case FLOAT64 -> ((double[]) array).length;
            case INT64 -> ((long[]) array).length;
            case INT32 -> ((int[]) array).length;
            case BOOL -> ((boolean[]) array).length;
        };
    }

    /** Wire id of a dtype (see {@code io.torus.comm.protocol.Chunk}). */
    public static byte wireId(DType dtype) {
        return switch (dtype) {
            case FLOAT32 -> 1;
            case FLOAT64 -> 2;
            case INT64 -> 3;
            case INT32 -> 4;
            case BOOL -> 5;
        };
    }

    /** The dtype of a wire id; {@link IllegalArgumentException} for unknown ids. */
    public static DType ofWireId(byte id) {
        return switch (id) {
            case 1 -> DType.FLOAT32;
            case 2 -> DType.FLOAT64;
            case 3 -> DType.INT64;
            case 4 -> DType.INT32;
            case 5 -> DType.BOOL;
            default -> throw new IllegalArgumentException("unknown element type byte " + id + ": expected 1..5");
        };
    }

    /** Writes {@code array[offset, offset + n)} little-endian at {@code dst}'s position, which advances. */
    public static void write(Object array, int offset, int n, ByteBuffer dst) {
        ByteBuffer le = dst.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype(array)) {
            case FLOAT32 -> le.asFloatBuffer().put((float[]) array, offset, n);
            case FLOAT64 -> le.asDoubleBuffer().put((double[]) array, offset, n);
            case INT64 -> le.asLongBuffer().put((long[]) array, offset, n);
            case INT32 -> le.asIntBuffer().put((int[]) array, offset, n);
            case BOOL -> {
                boolean[] b = (boolean[]) array;
                for (int i = 0; i < n; i++) {
                    le.put(b[offset + i] ? (byte) 1 : (byte) 0);
                }
            }
        }
        dst.position(dst.position() + n * byteSize(dtype(array)));
    }

    /** Reads {@code n} little-endian elements at {@code src}'s position into {@code array[offset, ...)}; the position advances. */
    public static void read(ByteBuffer src, Object array, int offset, int n) {
        ByteBuffer le = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype(array)) {
            case FLOAT32 -> le.asFloatBuffer().get((float[]) array, offset, n);
            case FLOAT64 -> le.asDoubleBuffer().get((double[]) array, offset, n);
            case INT64 -> le.asLongBuffer().get((long[]) array, offset, n);
            case INT32 -> le.asIntBuffer().get((int[]) array, offset, n);
            case BOOL -> {
                boolean[] b = (boolean[]) array;
                for (int i = 0; i < n; i++) {
                    b[offset + i] = le.get() != 0;
                }
            }
        }
        src.position(src.position() + n * byteSize(dtype(array)));
    }
}
