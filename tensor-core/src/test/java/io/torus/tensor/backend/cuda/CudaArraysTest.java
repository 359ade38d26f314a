package io.torus.tensor.backend.cuda;

import io.torus.tensor.DType;
import io.torus.tensor.Device;
import io.torus.tensor.Generator;
import io.torus.tensor.NDArray;
import io.torus.tensor.op.Conv2dParams;
import io.torus.tensor.op.Pool2dParams;
import io.torus.tensor.op.ReduceOp;
import io.torus.tensor.op.UnaryOp;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * NDArray on cuda:0 at sizes the contract test does not reach (GEMM tiles and cuBLAS, im2col chunks,
 * block reductions), each compared with the same computation on the CPU; moves between devices;
 * mixed-device errors; and the caching allocator on the real device.
 */
@Tag("gpu")
class CudaArraysTest {
    private static final Device GPU = Device.cuda(0);

    @BeforeEach
    void requireCuda() {
        CudaAvailability.Status s = CudaAvailability.status();
        assumeTrue(s.available(), s.message());
    }

    private static NDArray rand(long seed, int... shape) {
        return NDArray.uniform(new Generator(seed), -1, 1, DType.FLOAT32, shape);
    }

    private static void assertClose(NDArray cpu, NDArray gpu, double tol, String what) {
        float[] a = cpu.toFloatArray();
        float[] b = gpu.toFloatArray();
        assertEquals(a.length, b.length, what);
        for (int i = 0; i < a.length; i++) {
            assertEquals(a[i], b[i], tol * Math.max(1, Math.abs(a[i])), what + " element " + i);
        }
    }

    @Test
    void to_roundTripKeepsEveryDtypeExactly() {
        NDArray f = rand(1, 3, 1000);
        assertArrayEquals(f.toFloatArray(), f.to(GPU).to(Device.CPU).toFloatArray());
        long[] l = {Long.MIN_VALUE, -1, 0, 1L << 60, Long.MAX_VALUE};
        assertArrayEquals(l, NDArray.of(l, 5).to(GPU).toLongArray());
        boolean[] b = {true, false, true};
        NDArray bb = NDArray.of(b, 3).to(GPU).to(Device.CPU);
        assertTrue(bb.storage().bools()[0] && !bb.storage().bools()[1] && bb.storage().bools()[2]);
        assertEquals(GPU, f.to(GPU).add(f.to(GPU)).device(), "outputs live on the operands' device");
        assertEquals(6.0, NDArray.of(new double[] {1, 2, 3}, 3).to(GPU).sum().item(), 0);
    }

    @Test
    void matmul_largeAndTransposedMatchesTheCpu() {
        NDArray a = rand(2, 300, 517);
        NDArray b = rand(3, 700, 517).transpose(0, 1);
        assertClose(a.matmul(b), a.to(GPU).matmul(b.to(GPU).transpose(0, 1).contiguous().transpose(0, 1)), 1e-4, "matmul");
        NDArray batched = rand(4, 5, 64, 33);
        assertClose(batched.matmul(batched.transpose(1, 2)), batched.to(GPU).matmul(batched.to(GPU).transpose(1, 2)), 1e-4,
                "batched matmul");
    }

    @Test
    void convAndPool_mnistSizesMatchTheCpu() {
        NDArray x = rand(5, 64, 1, 28, 28);
        NDArray w = rand(6, 32, 1, 3, 3);
        NDArray bias = rand(7, 32);
        Conv2dParams p = Conv2dParams.of(1, 1);
        NDArray yc = x.conv2d(w, bias, p);
        NDArray yg = x.to(GPU).conv2d(w.to(GPU), bias.to(GPU), p);
        assertClose(yc, yg, 1e-4, "conv2d");
        NDArray g = rand(8, yc.shape());
        NDArray[] gc = g.conv2dBackward(x, w, p, true, true, true);
        NDArray[] gg = g.to(GPU).conv2dBackward(x.to(GPU), w.to(GPU), p, true, true, true);
        for (int i = 0; i < 3; i++) {
            assertClose(gc[i], gg[i], 1e-3, "conv2d gradient " + i);
        }
        NDArray[] mc = yc.maxPool2dWithIndices(Pool2dParams.of(2));
        NDArray[] mg = yg.maxPool2dWithIndices(Pool2dParams.of(2));
        assertClose(mc[0], mg[0], 1e-4, "maxPool2d");
        assertArrayEquals(mc[1].toLongArray(), mg[1].toLongArray(), "maxPool2d indices");
    }

    @Test
    void reduceAndSoftmax_largeRowsMatchTheCpu() {
        NDArray x = rand(9, 64, 10000);
        assertClose(x.reduce(ReduceOp.SUM, new int[] {1}, false), x.to(GPU).reduce(ReduceOp.SUM, new int[] {1}, false), 1e-4, "sum");
        assertClose(x.reduce(ReduceOp.MAX, new int[0], false), x.to(GPU).reduce(ReduceOp.MAX, new int[0], false), 0, "max");
        assertClose(x.logSoftmax(1), x.to(GPU).logSoftmax(1), 1e-5, "logSoftmax");
        assertArrayEquals(x.argMax(1, false).toLongArray(), x.to(GPU).argMax(1, false).toLongArray(), "argmax");
        assertClose(x.unary(UnaryOp.TANH), x.to(GPU).unary(UnaryOp.TANH), 1e-6, "tanh");
    }

    @Test
    void mixedDevices_cpuScalarsMoveOtherwiseAClearError() {
        NDArray g = rand(10, 4).to(GPU);
        assertEquals(GPU, g.binary(io.torus.tensor.op.BinaryOp.MUL, 2.0).device());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> g.add(rand(11, 4)));
        assertTrue(e.getMessage().contains("cuda:0") && e.getMessage().contains("cpu"), e.getMessage());
    }

    @Test
    void allocator_aReleasedBlockIsReusedWithoutCudaMalloc() {
        DeviceMemory mem = CudaDevice.get(GPU).memory;
        CachingAllocator.Block<jcuda.driver.CUdeviceptr> a = mem.block(3_000_000);
        long mallocs = mem.stats().heapMallocs();
        mem.release(a);
        CachingAllocator.Block<jcuda.driver.CUdeviceptr> b = mem.block(3_500_000); // the same 4 MiB class
        assertEquals(mallocs, mem.stats().heapMallocs(), "no cudaMalloc for a cached class");
        assertEquals(a.ptr(), b.ptr());
        mem.release(b);
        NDArray x = NDArray.empty(GPU, DType.FLOAT32, 1000, 1000).fill_(3); // an array's storage comes from the same cache
        assertEquals(3, x.reduce(ReduceOp.MIN, new int[0], false).item(), 0);
    }
}
