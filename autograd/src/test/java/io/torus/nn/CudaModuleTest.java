package io.torus.nn;

import io.torus.autograd.Tensor;
import io.torus.optim.SGD;
import io.torus.tensor.Device;
import io.torus.tensor.backend.cuda.CudaAvailability;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Tensor.to(Device) and Module.to(Device) with CUDA: clear failures without a GPU, CPU-equal training with one. */
class CudaModuleTest {
    private static final Device GPU = Device.cuda(0);

    private static Sequential cnn() {
        Tensor.manualSeed(11);
        return new Sequential(new Conv2d(1, 4, 3, 1, 1), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(4 * 14 * 14, 10));
    }

    @Test
    void to_cudaWithoutAGpuFailsAtOnceSayingWhatIsMissing() {
        CudaAvailability.Status s = CudaAvailability.status();
        assumeFalse(s.available(), "this machine has a usable GPU");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Tensor.ones(2, 3).to(GPU));
        assertTrue(e.getMessage().contains("CUDA is not available") && e.getMessage().contains(s.missing()), e.getMessage());
    }

    @Test
    void moduleTo_cudaWithoutAGpuFailsBeforeMovingAnything() {
        assumeFalse(CudaAvailability.status().available(), "this machine has a usable GPU");
        Sequential m = cnn();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.to(GPU));
        assertTrue(e.getMessage().startsWith("cuda:0: CUDA is not available"), e.getMessage());
        m.parameters().forEach(p -> assertEquals(Device.CPU, p.device()));
    }

    @Test
    void moduleTo_cpuKeepsTheParameterObjects() {
        Sequential m = cnn();
        List<Parameter> before = new ArrayList<>(m.parameters());
        m.to(Device.CPU);
        for (int i = 0; i < before.size(); i++) {
            assertSame(before.get(i), m.parameters().get(i));
        }
    }

    @Tag("gpu")
    @Test
    void trainingStep_onCudaMatchesTheCpu() {
        CudaAvailability.Status s = CudaAvailability.status();
        assumeTrue(s.available(), s.message());
        Sequential onCpu = cnn();
        Sequential onGpu = cnn();
        List<Parameter> gpuParams = new ArrayList<>(onGpu.parameters());
        onGpu.to(GPU);
        for (int i = 0; i < gpuParams.size(); i++) {
            assertSame(gpuParams.get(i), onGpu.parameters().get(i), "Module.to keeps the Parameter objects");
            assertEquals(GPU, gpuParams.get(i).device());
        }
        SGD cpuOpt = new SGD(onCpu.parameters(), 0.1, 0.9);
        SGD gpuOpt = new SGD(onGpu.parameters(), 0.1, 0.9);
        Tensor.manualSeed(5);
        Tensor x = Tensor.randn(16, 1, 28, 28);
        Tensor y = Tensor.randint(0, 10, 16);
        for (int step = 0; step < 3; step++) {
            Tensor lc = F.crossEntropy(onCpu.forward(x), y);
            Tensor lg = F.crossEntropy(onGpu.forward(x.to(GPU)), y.to(GPU));
            assertEquals(lc.item(), lg.item(), 1e-4 * Math.max(1, Math.abs(lc.item())), "loss at step " + step);
            cpuOpt.zeroGrad();
            gpuOpt.zeroGrad();
            lc.backward();
            lg.backward();
            cpuOpt.step();
            gpuOpt.step();
        }
        Map<String, Tensor> c = onCpu.stateDict();
        Map<String, Tensor> g = onGpu.stateDict();
        for (String k : c.keySet()) {
            float[] a = c.get(k).toFloatArray();
            float[] b = g.get(k).toFloatArray();
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i], b[i], 1e-3 * Math.max(1, Math.abs(a[i])), k + "[" + i + "]");
            }
        }
        Tensor leaf = Tensor.ones(3).requiresGrad_(true);
        leaf.to(GPU).mul(Tensor.full(new int[] {3}, 2).to(GPU)).sum().backward();
        assertEquals(Device.CPU, leaf.grad().device(), "the gradient of to(cuda) comes back to the CPU");
        assertEquals(2.0, leaf.grad().toFloatArray()[0], 0);
    }
}
