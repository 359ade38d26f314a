package io.torus.tensor.backend.cpu;

import io.torus.tensor.DType;
import io.torus.tensor.NDArray;
import io.torus.tensor.Storage;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Large CPU storages start their elements on a 64-byte cache line (Note [Aligned storages] in
 * {@code io.torus.tensor.ArrayAlignment}), observed through the native library's view of the
 * array's address.
 */
class StorageAlignmentTest {
    /** Elements of 4 MiB: a humongous object under G1 with any region size up to 8 MiB. */
    private static final int LARGE = 1 << 20;

    private static boolean g1() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream().anyMatch(b -> b.getName().startsWith("G1"));
    }

    private static int lineByteOfElement0(Storage s) {
        int at = PinnedBlas.lineOffset(s.array());
        assumeTrue(at >= 0, "libtorus_blas.so is not loaded: " + PinnedBlas.state().reason());
        return (at + s.base() * s.dtype().byteSize()) % 64;
    }

    @Test
    void largeStoragesOfEveryDtype_startOnACacheLine_andStayThereAcrossCollections() {
        assumeTrue(g1(), "only G1 keeps humongous arrays in place");
        for (DType dtype : DType.values()) {
            NDArray a = NDArray.empty(dtype, LARGE);
            assertEquals(a.storage().base(), a.offset(), dtype + ": a fresh tensor starts at its storage's element 0");
            assertEquals(0, lineByteOfElement0(a.storage()), dtype + " storage of " + LARGE + " elements, base " + a.storage().base());
            System.gc();
            assertEquals(0, lineByteOfElement0(a.storage()), dtype + " after a full collection");
        }
    }

    @Test
    void smallStorages_areNotPadded_unlessTheTestingSwitchIsOn() {
        NDArray small = NDArray.zeros(DType.FLOAT32, 3, 4);
        int expected = Boolean.getBoolean("torus.storage.padAll") ? small.storage().base() : 0;
        assertEquals(expected, small.offset());
        assertEquals(12, small.storage().size());
    }

    @Test
    void paddedStorages_computeAndCopyOutLikeUnpaddedOnes() {
        int n = 512;
        float[] x = new float[n * n];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i % 17) - 8;
        }
        NDArray a = NDArray.of(x, n, n); // wrapped: index 0 of the caller's array
        NDArray b = a.add(a); // a fresh large storage: padded
        assertTrue(b.storage().base() > 0 || !g1(), "a " + n + "x" + n + " FLOAT32 result is pooled, so padded, under G1");
        assertEquals(b.storage().base(), b.offset());
        float[] twice = b.toFloatArray();
        assertEquals(n * n, twice.length);
        for (int i = 0; i < x.length; i++) {
            x[i] *= 2;
        }
        assertArrayEquals(x, twice);
        assertEquals(0.0, b.narrow(0, 1, 1).sum().item() - 2 * sumOfRow(1, n), 1e-3);
    }

    private static double sumOfRow(int row, int n) {
        double s = 0;
        for (int j = 0; j < n; j++) {
            s += ((row * n + j) % 17) - 8;
        }
        return s;
    }
}
