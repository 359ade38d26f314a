package io.torus.tensor.backend.cuda;

import io.torus.tensor.DType;
import io.torus.tensor.Device;
import io.torus.tensor.NDArray;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** On a machine without a usable GPU (CI, and this project's build machines): clear, immediate failures. */
class CudaAvailabilityTest {

    @Test
    void status_isProbedOnceAndCached() {
        assertSame(CudaAvailability.status(), CudaAvailability.status());
    }

    @Test
    void status_withoutAGpuSaysWhatIsMissing() {
        CudaAvailability.Status s = CudaAvailability.status();
        assumeFalse(s.available(), "this machine has a usable GPU: " + s.message());
        String m = s.message();
        assertTrue(m.startsWith("CUDA is not available: "), m);
        assertTrue(m.contains("libcuda.so.1") || m.contains("no CUDA device") || m.contains("driver") || m.contains("NVRTC"),
                "the message names the missing piece: " + m);
    }

    @Test
    void cudaArray_withoutAGpuFailsAtOnceWithTheProbeMessage() {
        CudaAvailability.Status s = CudaAvailability.status();
        assumeFalse(s.available(), "this machine has a usable GPU: " + s.message());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> NDArray.zeros(Device.cuda(0), DType.FLOAT32, 2, 3));
        assertTrue(e.getMessage().startsWith("cuda:0: CUDA is not available: "), e.getMessage());
        IllegalStateException moved = assertThrows(IllegalStateException.class,
                () -> NDArray.of(new float[] {1, 2}, 2).to(Device.cuda(1)));
        assertTrue(moved.getMessage().contains("cuda:1") && moved.getMessage().contains(s.missing()), moved.getMessage());
    }

    @Test
    void require_cpuArraysAreUnaffected() {
        NDArray a = NDArray.of(new float[] {1, 2}, 2);
        assertSame(a, a.to(Device.CPU));
    }
}
