package io.torus.comm.rendezvous;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * The outcome of a rendezvous: who this worker is in the group, and where every rank's data
 * plane listens.
 *
 * @param rank       this worker's rank
 * @param worldSize  number of workers
 * @param generation which incarnation of the group this is (0; restarts will count up)
 * @param peers      every rank's data-plane address, in rank order (immutable)
 */
public record RendezvousInfo(int rank, int worldSize, int generation, List<InetSocketAddress> peers) {
    public RendezvousInfo {
        peers = List.copyOf(peers);
        if (peers.size() != worldSize || rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("RendezvousInfo: rank " + rank + ", world size " + worldSize + ", "
                    + peers.size() + " peer addresses: expected one address per rank and 0 <= rank < worldSize");
        }
    }
}
