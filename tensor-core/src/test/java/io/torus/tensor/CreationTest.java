package io.torus.tensor;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CreationTest {

    // ------------------------------------------------------------------ ranges

    @Test
    void arange_excludesEndAndCountsCeil() {
        assertArrayEquals(new long[] {0, 1, 2, 3, 4}, Creation.arange(0, 5, 1, DType.INT64).toLongArray());
        assertArrayEquals(new float[] {1f, 1.3f, 1.6f, 1.9f}, Creation.arange(1, 2, 0.3, DType.FLOAT32).toFloatArray(), 1e-6f);
        assertArrayEquals(new long[] {5, 3, 1}, Creation.arange(5, 0, -2, DType.INT64).toLongArray());
        assertArrayEquals(new int[] {0}, Creation.arange(3, 3, 1, DType.FLOAT32).shape());
    }

    @Test
    void arange_badStepsThrowNamingTheValues() {
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class, () -> Creation.arange(0, 5, 0, DType.INT64));
        assertEquals("arange: step must be nonzero", zero.getMessage());
        IllegalArgumentException sign = assertThrows(IllegalArgumentException.class, () -> Creation.arange(5, 0, 1, DType.INT64));
        assertTrue(sign.getMessage().contains("inconsistent with step sign") && sign.getMessage().contains("5.0"), sign.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Creation.arange(0, Double.POSITIVE_INFINITY, 1, DType.FLOAT32));
    }

    @Test
    void linspace_includesBothEndsExactly() {
        assertArrayEquals(new float[] {0, 0.25f, 0.5f, 0.75f, 1}, Creation.linspace(0, 1, 5, DType.FLOAT32).toFloatArray());
        float[] v = Creation.linspace(0.1, 0.7, 7, DType.FLOAT32).toFloatArray();
        assertEquals(0.1f, v[0]);
        assertEquals(0.7f, v[6]);
        assertEquals(0.4f, v[3], 1e-7f);
        assertArrayEquals(new double[] {-1}, Creation.linspace(-1, 1, 1, DType.FLOAT64).toDoubleArray());
        assertEquals(0, Creation.linspace(0, 1, 0, DType.FLOAT32).numel());
        assertArrayEquals(new float[] {2, 1.5f, 1}, Creation.linspace(2, 1, 3, DType.FLOAT32).toFloatArray(), "decreasing");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Creation.linspace(0, 1, -1, DType.FLOAT32));
        assertEquals("linspace: number of steps must be non-negative, got -1", e.getMessage());
    }

    @Test
    void logspace_raisesBaseToLinspace() {
        assertArrayEquals(new float[] {1, 10, 100, 1000}, Creation.logspace(0, 3, 4, 10, DType.FLOAT32).toFloatArray(), 1e-4f);
        assertArrayEquals(new double[] {1, 2, 4, 8, 16}, Creation.logspace(0, 4, 5, 2, DType.FLOAT64).toDoubleArray(), 1e-12);
        assertArrayEquals(new double[] {0.5}, Creation.logspace(-1, 5, 1, 2, DType.FLOAT64).toDoubleArray());
    }

    @Test
    void eye_putsOnesOnTheDiagonalOfRectangles() {
        assertArrayEquals(new float[] {1, 0, 0, 0, 1, 0}, Creation.eye(2, 3, DType.FLOAT32).toFloatArray());
        assertArrayEquals(new float[] {1, 0, 0, 1, 0, 0}, Creation.eye(3, 2, DType.FLOAT32).toFloatArray());
        assertArrayEquals(new long[] {1}, Creation.eye(1, 1, DType.INT64).toLongArray());
        assertArrayEquals(new int[] {0, 4}, Creation.eye(0, 4, DType.FLOAT32).shape());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Creation.eye(-1, 2, DType.FLOAT32));
        assertEquals("eye: n and m must be >= 0, got n=-1, m=2", e.getMessage());
    }

    // ------------------------------------------------------------------ random

    @Test
    void randint_drawsEveryValueOfTheHalfOpenRange() {
        long[] v = Creation.randint(new Generator(1), -2, 2, DType.INT64, 1000).toLongArray();
        int[] counts = new int[4];
        for (long x : v) {
            assertTrue(x >= -2 && x < 2, "value " + x);
            counts[(int) x + 2]++;
        }
        for (int c : counts) {
            assertTrue(c > 200, Arrays.toString(counts));
        }
        assertArrayEquals(v, Creation.randint(new Generator(1), -2, 2, DType.INT64, 1000).toLongArray(), "same seed");
    }

    @Test
    void randint_fullLongRangeAndOtherDtypes() {
        long[] v = Creation.randint(new Generator(2), Long.MIN_VALUE, Long.MAX_VALUE, DType.INT64, 64).toLongArray();
        assertTrue(Arrays.stream(v).anyMatch(x -> x < 0) && Arrays.stream(v).anyMatch(x -> x > 0));
        NDArray f = Creation.randint(new Generator(3), 5, 6, DType.FLOAT32, 2, 2);
        assertEquals(DType.FLOAT32, f.dtype());
        assertArrayEquals(new float[] {5, 5, 5, 5}, f.toFloatArray());
    }

    @Test
    void randint_lowNotBelowHighThrows() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Creation.randint(new Generator(1), 3, 3, DType.INT64, 2));
        assertEquals("randint: expected low < high, got low=3, high=3", e.getMessage());
    }

    @Test
    void randperm_isAPermutationThatDependsOnTheSeed() {
        long[] p = Creation.randperm(new Generator(5), 50).toLongArray();
        long[] sorted = p.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < 50; i++) {
            assertEquals(i, sorted[i]);
        }
        assertArrayEquals(p, Creation.randperm(new Generator(5), 50).toLongArray());
        assertNotEquals(Arrays.toString(p), Arrays.toString(Creation.randperm(new Generator(6), 50).toLongArray()));
        assertEquals(0, Creation.randperm(new Generator(5), 0).numel());
        assertThrows(IllegalArgumentException.class, () -> Creation.randperm(new Generator(5), -1));
    }

    @Test
    void bernoulli_certainProbabilitiesAreExactAndDtypeIsKept() {
        NDArray p = NDArray.of(new double[] {0, 1, 0, 1}, 2, 2);
        NDArray b = Creation.bernoulli(new Generator(1), p);
        assertEquals(DType.FLOAT64, b.dtype());
        assertArrayEquals(new double[] {0, 1, 0, 1}, b.toDoubleArray());
        NDArray many = Creation.bernoulli(new Generator(2), NDArray.full(DType.FLOAT32, 0.3, 10_000));
        double mean = many.sum().item() / 10_000;
        assertEquals(0.3, mean, 0.03);
        NDArray col = NDArray.of(new float[] {1, 0, 1}, 3, 1).expand(3, 2); // non-contiguous probabilities
        assertArrayEquals(new float[] {1, 1, 0, 0, 1, 1}, Creation.bernoulli(new Generator(3), col).toFloatArray());
    }

    @Test
    void bernoulli_probabilitiesOutsideUnitIntervalThrow() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Creation.bernoulli(new Generator(1), NDArray.of(new float[] {0.5f, 1.5f}, 2)));
        assertEquals("bernoulli: probabilities must be in [0, 1], got values from 0.5 to 1.5 in a tensor of shape [2]",
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Creation.bernoulli(new Generator(1), NDArray.of(new double[] {-0.1}, 1)));
        assertThrows(IllegalArgumentException.class, () -> Creation.bernoulli(new Generator(1), NDArray.of(new double[] {Double.NaN}, 1)));
        IllegalArgumentException i = assertThrows(IllegalArgumentException.class,
                () -> Creation.bernoulli(new Generator(1), NDArray.of(new long[] {0, 1}, 2)));
        assertTrue(i.getMessage().contains("INT64"), i.getMessage());
    }

    @Test
    void normal_tensorMeanAndStdBroadcast() {
        NDArray mean = NDArray.of(new double[] {10, 20}, 2, 1);
        NDArray std = NDArray.of(new double[] {0, 1, 2}, 3);
        Generator g = new Generator(9);
        long base = g.state()[1];
        NDArray n = Creation.normal(g, mean, std);
        assertArrayEquals(new int[] {2, 3}, n.shape());
        Generator ref = new Generator(9);
        double[] expected = new double[6];
        for (int i = 0; i < 6; i++) {
            expected[i] = (i < 3 ? 10 : 20) + (i % 3) * ref.normal(base + i);
        }
        assertArrayEquals(expected, n.toDoubleArray(), 1e-12);
        assertEquals(base + 6, g.state()[1]);
    }

    @Test
    void normal_scalarFormsKeepTheTensorsShapeAndDtype() {
        NDArray m = Creation.normal(new Generator(1), NDArray.of(new float[] {1, 2, 3}, 3), 0);
        assertEquals(DType.FLOAT32, m.dtype());
        assertArrayEquals(new float[] {1, 2, 3}, m.toFloatArray());
        NDArray s = Creation.normal(new Generator(1), 5, NDArray.zeros(DType.FLOAT64, 2, 2));
        assertEquals(DType.FLOAT64, s.dtype());
        assertArrayEquals(new double[] {5, 5, 5, 5}, s.toDoubleArray());
        NDArray big = Creation.normal(new Generator(2), 3, NDArray.full(DType.FLOAT64, 2, 20_000));
        double mean = big.sum().item() / 20_000;
        double var = big.binary(io.torus.tensor.op.BinaryOp.SUB, mean).binary(io.torus.tensor.op.BinaryOp.POW, 2).sum().item() / 20_000;
        assertEquals(3, mean, 0.05);
        assertEquals(4, var, 0.2);
    }

    @Test
    void normal_negativeStdThrows() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Creation.normal(new Generator(1), NDArray.zeros(DType.FLOAT32, 2), NDArray.of(new float[] {1, -1}, 2)));
        assertEquals("normal: every std must be >= 0, got -1.0 in a tensor of shape [2]", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Creation.normal(new Generator(1), NDArray.zeros(DType.FLOAT32, 2), -0.5));
    }

    @Test
    void uniform_float32NeverReachesTheExcludedUpperBound() {
        float high = Math.nextUp(1f); // one float apart: about half the draws round up to high
        float[] v = NDArray.uniform(new Generator(4), 1, high, DType.FLOAT32, 1000).toFloatArray();
        for (float x : v) {
            assertEquals(1f, x);
        }
    }
}
