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
 * @param hostId      this worker's machine identity for the shared-memory transport (see
 *                    {@code ShmTransport.hostIdentity()}), or "" when shared memory is not possible
 * @param nonce       a fresh random hex string; rank 0's names the group's shared-memory files
 */
public record RendezvousSpec(String jobId, Endpoint endpoint, int rank, int worldSize, String host,
                             InetSocketAddress dataAddress, String hostId, String nonce) {
    /** A spec without a host identity (shared memory off) and with a fresh nonce. */
    public RendezvousSpec(String jobId, Endpoint endpoint, int rank, int worldSize, String host,
                          InetSocketAddress dataAddress) {
        this(jobId, endpoint, rank, worldSize, host, dataAddress, "", newNonce());
    }

    /** 128 random bits from {@link java.security.SecureRandom}, as hex. */
    public static String newNonce() {
        byte[] b = new byte[16];
        new java.security.SecureRandom().nextBytes(b);
        return java.util.HexFormat.of().formatHex(b);
    }

    public RendezvousSpec {
        Objects.requireNonNull(hostId, "hostId");
        if (nonce == null || !nonce.matches("[0-9a-f]{16,64}")) {
            throw new IllegalArgumentException("rendezvous: nonce '" + nonce + "': expected 16..64 lowercase hex digits");
        }
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
