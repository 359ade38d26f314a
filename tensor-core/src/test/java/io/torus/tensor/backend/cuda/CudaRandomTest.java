package io.torus.tensor.backend.cuda;

import io.torus.tensor.DType;
import io.torus.tensor.Device;
import io.torus.tensor.Generator;
import io.torus.tensor.NDArray;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Random numbers identical to the CPU's for the same seed (issue 9): every fill on cuda:0 against
 * the same fill on the CPU, compared bit for bit over a million elements, for a fresh generator and
 * one that has already drawn, into a strided view.
 */
@Tag("gpu")
class CudaRandomTest {
    private static final Device GPU = Device.cuda(0);
    private static final int N = 1 << 20;

    @BeforeEach
    void requireCuda() {
        CudaAvailability.Status s = CudaAvailability.status();
        assumeTrue(s.available(), s.message());
    }

    private static void assertSameBits(NDArray cpu, NDArray gpu, String what) {
        NDArray back = gpu.to(Device.CPU);
        switch (cpu.dtype()) {
            case FLOAT32 -> {
                float[] a = cpu.toFloatArray();
                float[] b = back.toFloatArray();
                for (int i = 0; i < a.length; i++) {
                    assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), what + " element " + i);
                }
            }
            case FLOAT64 -> {
                double[] a = cpu.toDoubleArray();
                double[] b = back.toDoubleArray();
                for (int i = 0; i < a.length; i++) {
                    assertEquals(Double.doubleToRawLongBits(a[i]), Double.doubleToRawLongBits(b[i]), what + " element " + i);
                }
            }
            default -> assertArrayEquals(cpu.toLongArray(), back.toLongArray(), what);
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void uniformAndNormal_sameBitsAsTheCpu(DType dt) {
        for (long seed : new long[] {0, 1234, -99}) {
            Generator gc = new Generator(seed);
            Generator gg = new Generator(seed);
            gc.reserve(1001);
            gg.reserve(1001);
            NDArray c = NDArray.empty(dt, N);
            NDArray g = NDArray.empty(GPU, dt, N);
            c.uniform_(gc, -3, 5);
            g.uniform_(gg, -3, 5);
            assertSameBits(c, g, "uniform " + dt + " seed " + seed);
            c.normal_(gc, 0.5, 2);
            g.normal_(gg, 0.5, 2);
            assertSameBits(c, g, "normal " + dt + " seed " + seed);
            assertArrayEquals(gc.state(), gg.state(), "both generators advanced alike");
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "INT64", "INT32"})
    void randintAndBernoulli_sameValuesAsTheCpuIntoAStridedView(DType dt) {
        Generator gc = new Generator(7);
        Generator gg = new Generator(7);
        NDArray c = NDArray.zeros(dt, 512, 1024).transpose(0, 1);
        NDArray g = NDArray.zeros(GPU, dt, 512, 1024).transpose(0, 1);
        c.backend().randint(c, gc, -1000, 1L << 40);
        g.backend().randint(g, gg, -1000, 1L << 40);
        assertSameBits(c.contiguous(), g.contiguous(), "randint " + dt);
        NDArray p = NDArray.uniform(new Generator(3), 0, 1, DType.FLOAT32, 1024, 512);
        c.backend().bernoulli(p, c, gc);
        g.backend().bernoulli(p.to(GPU), g, gg);
        assertSameBits(c.contiguous(), g.contiguous(), "bernoulli " + dt);
    }
}
