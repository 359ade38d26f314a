package io.torus.tensor.backend;

import io.torus.tensor.Device;

/** The CPU backend against the backend contract. */
class CpuBackendContractTest extends BackendContractTest {
    @Override
    protected Backend backend() {
        return Backends.forDevice(Device.CPU);
    }
}
