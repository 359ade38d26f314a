package io.torus.launcher;

import io.torus.tensor.Device;
import io.torus.tensor.backend.cuda.CudaAvailability;

/**
 * {@code torus run --device cuda} fails before any worker starts when this machine cannot give
 * every local rank its device: the message is the CUDA probe's (what is missing: the NVIDIA
 * driver, a device, the kernels) or the number of devices when there are fewer than ranks.
 */
final class DeviceCheck {
    private DeviceCheck() {
    }

    static void requireUsable(LaunchConfig c) {
        for (int r = 0; r < c.nprocPerNode(); r++) {
            Device d = Device.parse(c.deviceFor(r));
            if (!d.isCuda()) {
                continue;
            }
            try {
                CudaAvailability.require(d);
            } catch (IllegalStateException | IllegalArgumentException e) {
                throw new IllegalStateException("--device " + c.device() + " (local rank " + r + " on " + d + "): "
                        + e.getMessage() + "; run with --device cpu", e);
            }
        }
    }
}
