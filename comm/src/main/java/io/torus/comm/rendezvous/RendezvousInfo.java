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
 * @param hostIds    every rank's machine identity ("" where unknown), in rank order: ranks with
 *                   the same non-empty identity can share memory
 * @param groupNonce rank 0's random nonce: with the job id and the generation, names the group's
 *                   shared-memory files
 */
public record RendezvousInfo(int rank, int worldSize, int generation, List<InetSocketAddress> peers,
                             List<String> hostIds, String groupNonce) {
    /** Without host identities (shared memory off). */
    public RendezvousInfo(int rank, int worldSize, int generation, List<InetSocketAddress> peers) {
        this(rank, worldSize, generation, peers, java.util.Collections.nCopies(peers.size(), ""), "");
    }

    /** True when every rank published the same non-empty host identity. */
    public boolean allOnOneHost() {
        return !hostIds.get(0).isEmpty() && hostIds.stream().allMatch(hostIds.get(0)::equals);
    }

    public RendezvousInfo {
        peers = List.copyOf(peers);
        hostIds = List.copyOf(hostIds);
        java.util.Objects.requireNonNull(groupNonce, "groupNonce");
        if (hostIds.size() != peers.size()) {
            throw new IllegalArgumentException("RendezvousInfo: " + hostIds.size() + " host ids for " + peers.size()
                    + " peers: expected one per rank");
        }
        if (peers.size() != worldSize || rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("RendezvousInfo: rank " + rank + ", world size " + worldSize + ", "
                    + peers.size() + " peer addresses: expected one address per rank and 0 <= rank < worldSize");
        }
    }
}
