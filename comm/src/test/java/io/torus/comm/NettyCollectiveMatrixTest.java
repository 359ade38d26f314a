package io.torus.comm;

import io.torus.comm.testing.Ranks;
import io.torus.comm.transport.Transport;
import io.torus.comm.transport.netty.NettyTransport;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/** {@link CollectiveMatrixContract} over {@link NettyTransport} on 127.0.0.1, every rank a thread of this JVM. */
class NettyCollectiveMatrixTest extends CollectiveMatrixContract {
    @Override
    List<? extends Transport> transports(int n) {
        NettyTransport.Options options = NettyTransport.Options.defaults().withIoThreads(1);
        List<NettyTransport> ts = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            ts.add(NettyTransport.bind("127.0.0.1", options));
        }
        List<InetSocketAddress> addresses = ts.stream().map(NettyTransport::localAddress).toList();
        Ranks.run(n, rank -> {
            ts.get(rank).connect(rank, addresses);
            return null;
        });
        return ts;
    }
}
