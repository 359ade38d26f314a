package io.torus.comm;

/**
 * {@link RealProcessFailureTest} over the shared-memory transport: the three worker JVMs run on
 * this machine, so {@code torus.comm.transport=shm} connects them through /dev/shm. Besides the
 * failures, every step of the kill test checks the all-reduced sums.
 *
 * <p>The freeze test is not repeated here (it is not annotated in this subclass): a frozen rank is
 * found by the Hazelcast heartbeat alone, which aborts the shm transport exactly as it aborts
 * Netty's, and {@code ProcessGroupsJoinTest.join_aRankThatStopsHeartbeatingFailsTheOthersCollectivesNamingIt}
 * covers that over shared memory; it saves ~10 s of CI time.
 */
class ShmRealProcessFailureTest extends RealProcessFailureTest {
    @Override
    String transport() {
        return "shm";
    }

    @Override
    void frozenWorker_othersFailWithinTenSecondsNamingIt() {
        // not a test here: see the class comment
    }

    @Override
    String transportClass() {
        return "ShmTransport";
    }
}
