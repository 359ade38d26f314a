package io.torus.comm;

import io.torus.comm.transport.InMemoryTransport;
import io.torus.comm.transport.Transport;

import java.util.List;

/** {@link CollectiveMatrixContract} over {@link InMemoryTransport}. */
class InMemoryCollectiveMatrixTest extends CollectiveMatrixContract {
    @Override
    List<? extends Transport> transports(int n) {
        return InMemoryTransport.group(n);
    }
}
