package io.torus.comm;

import io.torus.comm.testing.Ranks;
import io.torus.comm.transport.Transport;
import io.torus.comm.transport.shm.ShmTransport;

import java.util.List;
import java.util.UUID;

/**
 * {@link CollectiveMatrixContract} over {@link ShmTransport} without shared windows, so that every
 * all-reduce, small ones too, runs the ring over the mapped rings (ShmCollectiveMatrixTest covers the windows).
 */
class ShmRingCollectiveMatrixTest extends CollectiveMatrixContract {
    @Override
    List<? extends Transport> transports(int n) {
        String key = UUID.randomUUID().toString().replace("-", "");
        ShmTransport.Options options = ShmTransport.Options.defaults().withWindowBytes(0);
        return Ranks.run(n, rank -> ShmTransport.connect(rank, n, key, options));
    }
}
