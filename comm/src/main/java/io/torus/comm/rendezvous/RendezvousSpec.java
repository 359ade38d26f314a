package io.torus.comm.rendezvous;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * What one worker brings to the rendezvous.
 *
 * @param jobId       the job's id, used as the Hazelcast cluster name (so jobs never mix)
 * @param endpoint    where rank 0's member listens
 * @param rank        this worker's rank
 * @param worldSize   number of workers expected
 * @param host        the local IP address this worker's member binds to
 * @param dataAddress this worker's data-plane (Netty) address, published to the others
 */
public record RendezvousSpec(String jobId, Endpoint endpoint, int rank, int worldSize, String host,
                             InetSocketAddress dataAddress) {
    public RendezvousSpec {
        if (jobId == null || jobId.isBlank()) {
            throw new IllegalArgumentException("rendezvous: job id '" + jobId + "': expected a non-empty name");
        }
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(dataAddress, "dataAddress");
        if (worldSize < 1 || rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("rendezvous: rank " + rank + " of world size " + worldSize
                    + ": expected 0 <= rank < worldSize");
        }
    }
}
