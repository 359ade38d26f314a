package io.torus.comm;

import io.torus.comm.testing.Ranks;
import io.torus.comm.transport.Transport;
import io.torus.comm.transport.shm.ShmTransport;

import java.util.List;
import java.util.UUID;

/**
 * {@link CollectiveMatrixContract} over {@link ShmTransport} with its shared windows (the default): real mapped files in /dev/shm,
 * every rank a thread of this JVM; all-reduces of MEDIUM elements run on the windows, LARGE ones on the ring.
 */
class ShmCollectiveMatrixTest extends CollectiveMatrixContract {
    @Override
    List<? extends Transport> transports(int n) {
        String key = UUID.randomUUID().toString().replace("-", "");
        // With the shared windows on, so that MEDIUM all-reduces take SharedMemoryAllReduce.
        ShmTransport.Options options = ShmTransport.Options.defaults().withWindowBytes(4 << 20);
        return Ranks.run(n, rank -> ShmTransport.connect(rank, n, key, options));
    }
}
