package io.torus.tensor;

/**
 * Where the elements of a large CPU storage start in its Java array, so that they begin on a
 * 64-byte cache line as every allocation of PyTorch's CPU allocator does (Note [Aligned storages]).
 *
 * <h2>Note [Aligned storages]</h2>
 * The elements of a Java array start {@code ARRAY_*_BASE_OFFSET} bytes (16 with compressed class
 * pointers) after the object, and objects are only 8-byte aligned, so the data of a plain
 * {@code float[]} starts on a cache line by chance (one time in eight) or, for a humongous array,
 * never. That matters to GEMM: oneDNN's {@code dnnl_sgemm} reads A and B with 64-byte vector
 * loads, and a load that straddles two lines is slower. Measured in one C
 * process on this 2-vCPU Sapphire Rapids VM, 1 thread (OMP_NUM_THREADS=1), C = A x B with n x n
 * operands, best of 5 rounds (2026-11-23), GFLOP/s:
 * <pre>
 *              A, B, C aligned   A, B at +16 bytes   C alone at +16 bytes
 *   n = 256         230               205                  228
 *   n = 512         223               197                  220
 * </pre>
 * So misaligned inputs cost 11-13% (the output's alignment does not matter); at n = 1024 the
 * difference was under 2%.
 *
 * <p>What can be aligned: G1 allocates an array of at least half a region as a humongous object,
 * which starts at a region boundary (1 MiB or more, so on a cache line) and is never moved. Its
 * data thus starts exactly {@code ARRAY_*_BASE_OFFSET} bytes past a line, and skipping
 * {@code (64 - baseOffset) / elementSize} elements puts element 0 of the storage on the next line.
 * These are exactly the arrays {@link StoragePool} handles (Note [Pool floor]), so every pooled
 * storage starts that many elements into its array ({@link Storage#base()}); a fresh NDArray over
 * it has that offset, and every kernel already reads storages through the NDArray's offset.
 * Smaller arrays move at every young collection and their alignment cannot be kept; they start
 * at index 0. Under another collector the padding costs 48 bytes and may not align anything.
 *
 * <p>{@code -Dtorus.storage.padAll=true} pads every CPU storage, small ones included: a testing
 * switch under which the whole suite shows that no code assumes a fresh tensor starts at index 0.
 */
final class ArrayAlignment {
    static final int LINE_BYTES = 64;
    /** Testing: pad every storage, not only the large ones that can be aligned. */
    static final boolean PAD_ALL = Boolean.getBoolean("torus.storage.padAll");

    private ArrayAlignment() {
    }

    /** The elements to skip at the front of an array of {@code arrayType} so that the rest starts on a line. */
    @SuppressWarnings("removal")
    static int padElements(Class<?> arrayType) {
        int baseOffset = arrayType == float[].class ? sun.misc.Unsafe.ARRAY_FLOAT_BASE_OFFSET
                : arrayType == double[].class ? sun.misc.Unsafe.ARRAY_DOUBLE_BASE_OFFSET
                : arrayType == long[].class ? sun.misc.Unsafe.ARRAY_LONG_BASE_OFFSET
                : arrayType == int[].class ? sun.misc.Unsafe.ARRAY_INT_BASE_OFFSET
                : sun.misc.Unsafe.ARRAY_BOOLEAN_BASE_OFFSET;
        int padBytes = (LINE_BYTES - baseOffset % LINE_BYTES) % LINE_BYTES;
        return padBytes / StoragePool.bytesPerElement(arrayType);
    }
}
