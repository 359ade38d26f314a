package io.torus.comm;

/**
 * {@link RealProcessFailureTest} over the shared-memory transport: the three worker JVMs run on
 * this machine, so {@code torus.comm.transport=shm} connects them through /dev/shm. Besides the
 * failures, every step of the kill and freeze tests checks the all-reduced sums.
 */
class ShmRealProcessFailureTest extends RealProcessFailureTest {
    @Override
    String transport() {
        return "shm";
    }

    @Override
    String transportClass() {
        return "ShmTransport";
    }
}
