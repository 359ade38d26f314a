package io.torus.tensor.backend;

import io.torus.tensor.Device;
import io.torus.tensor.backend.cuda.CudaAvailability;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The CUDA backend against the backend contract, on {@code cuda:0}: every op on device arrays,
 * compared with the host reference. Skipped, with the probe's message, where CUDA is unusable.
 * Run only these with {@code mvn -pl tensor-core test -Dgroups=gpu}.
 */
@Tag("gpu")
class CudaBackendContractTest extends BackendContractTest {

    @BeforeEach
    void requireCuda() { // per test, so that each one is reported as skipped
        CudaAvailability.Status s = CudaAvailability.status();
        assumeTrue(s.available(), s.message());
    }

    @Override
    protected Backend backend() {
        return Backends.forDevice(Device.cuda(0));
    }
}
