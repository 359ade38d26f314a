package io.torus.comm;

import io.torus.comm.testing.Ranks;
import io.torus.comm.transport.Transport;
import io.torus.comm.transport.shm.ShmTransport;

import java.util.List;
import java.util.UUID;

/** {@link CollectiveMatrixContract} over {@link ShmTransport}: real mapped files in /dev/shm, every rank a thread of this JVM. */
class ShmCollectiveMatrixTest extends CollectiveMatrixContract {
    @Override
    List<? extends Transport> transports(int n) {
        String key = UUID.randomUUID().toString().replace("-", "");
        ShmTransport.Options options = ShmTransport.Options.defaults();
        return Ranks.run(n, rank -> ShmTransport.connect(rank, n, key, options));
    }
}
