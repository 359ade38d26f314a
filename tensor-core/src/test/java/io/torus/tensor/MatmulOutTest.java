package io.torus.tensor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code matmul(other, out)}: the same product as {@code matmul(other)}, written into {@code out}. */
class MatmulOutTest {

    private static final Generator GEN = new Generator(23);

    private static void assertProductInto(NDArray a, NDArray b, NDArray out) {
        NDArray expected = a.matmul(b);
        int before = out.version();
        assertSame(out, a.matmul(b, out));
        assertArrayEquals(expected.shape(), out.shape());
        assertArrayEquals(expected.contiguous().toDoubleArray(), out.contiguous().toDoubleArray(), 0.0);
        assertTrue(out.version() > before, "a write in place bumps the version counter");
    }

    @Test
    void matmulOut_everyOperandRank() {
        for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64, DType.INT64}) {
            NDArray m = NDArray.uniform(GEN, -2, 2, DType.FLOAT64, 4, 5).to(dt);
            NDArray n = NDArray.uniform(GEN, -2, 2, DType.FLOAT64, 5, 3).to(dt);
            NDArray v = NDArray.uniform(GEN, -2, 2, DType.FLOAT64, 5).to(dt);
            NDArray batched = NDArray.uniform(GEN, -2, 2, DType.FLOAT64, 2, 4, 5).to(dt);
            assertProductInto(m, n, NDArray.empty(dt, 4, 3));
            assertProductInto(m, v, NDArray.empty(dt, 4));
            assertProductInto(v, n, NDArray.empty(dt, 3));
            assertProductInto(v, v, NDArray.empty(dt));
            assertProductInto(batched, n, NDArray.empty(dt, 2, 4, 3));
        }
    }

    @Test
    void matmulOut_stridedOutputIsWrittenThroughItsStrides() {
        NDArray a = NDArray.normal(GEN, 0, 1, DType.FLOAT32, 6, 4);
        NDArray b = NDArray.normal(GEN, 0, 1, DType.FLOAT32, 4, 5);
        NDArray base = NDArray.zeros(DType.FLOAT32, 5, 6);
        NDArray outT = base.transpose(0, 1); // [6, 5], column-major
        assertProductInto(a, b, outT);
        assertArrayEquals(a.matmul(b).transpose(0, 1).contiguous().toFloatArray(), base.toFloatArray(), 0f);

        NDArray wide = NDArray.zeros(DType.FLOAT32, 6, 10);
        NDArray everyOther = wide.narrow(1, 0, 5);
        assertProductInto(a, b, everyOther);
        assertArrayEquals(new float[30], wide.narrow(1, 5, 5).contiguous().toFloatArray(), 0f, "columns outside out untouched");
    }

    @Test
    void matmulOut_outMayBeAnOperand() {
        NDArray a = NDArray.normal(GEN, 0, 1, DType.FLOAT64, 5, 5);
        NDArray b = NDArray.normal(GEN, 0, 1, DType.FLOAT64, 5, 5);
        double[] expected = a.matmul(b).toDoubleArray();
        a.matmul(b, a);
        assertArrayEquals(expected, a.toDoubleArray(), 1e-12);
    }

    @Test
    void matmulOut_wrongShapeOrDtypeNamesBoth() {
        NDArray a = NDArray.full(DType.FLOAT32, 1, 2, 3);
        NDArray b = NDArray.full(DType.FLOAT32, 1, 3, 4);
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                () -> a.matmul(b, NDArray.empty(DType.FLOAT32, 4, 2)));
        assertTrue(shape.getMessage().contains("out has shape [4, 2]") && shape.getMessage().contains("needs shape [2, 4]"),
                shape.getMessage());
        IllegalArgumentException dtype = assertThrows(IllegalArgumentException.class,
                () -> a.matmul(b, NDArray.empty(DType.FLOAT64, 2, 4)));
        assertTrue(dtype.getMessage().contains("FLOAT64") && dtype.getMessage().contains("dtype FLOAT32"), dtype.getMessage());
    }
}
