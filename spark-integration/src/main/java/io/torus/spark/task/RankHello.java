package io.torus.spark.task;

/**
 * What a rank tells the others in the barrier stage's one {@code allGather}: its Netty address,
 * its machine identity (equal identities can share memory, see
 * {@code ProcessGroups.localHostIdentity()}; empty when shared memory is off) and a random nonce
 * (rank 0's names the group's shared-memory files). Encoded as three lines.
 */
record RankHello(RankAddress address, String hostId, String nonce) {

    RankHello {
        if (hostId.contains("\n") || nonce.contains("\n")) {
            throw new IllegalArgumentException("rank hello: host id '" + hostId + "' or nonce '" + nonce
                    + "' contains a line break: expected one line each");
        }
    }

    String encode() {
        return address.encode() + "\n" + hostId + "\n" + nonce;
    }

    static RankHello decode(String s) {
        String[] parts = s.split("\n", -1);
        if (parts.length != 3) {
            throw new IllegalArgumentException("rank hello '" + s + "': expected host:port, host id and nonce on three lines");
        }
        return new RankHello(RankAddress.decode(parts[0]), parts[1], parts[2]);
    }
}
