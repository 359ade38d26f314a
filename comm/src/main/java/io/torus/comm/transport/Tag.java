package io.torus.comm.transport;

/**
 * Names one message of one collective: the collective's sequence number (every rank numbers its
 * collectives 0, 1, 2, ... in issue order) and the algorithm's chunk id within it. A receiver
 * checks that what arrives carries the tag it expects, which catches ranks that issue different
 * collectives or reuse a sequence number.
 */
public record Tag(long seq, int chunk) {
    public Tag {
        if (seq < 0 || chunk < 0) {
            throw new IllegalArgumentException("Tag: seq " + seq + ", chunk " + chunk + ": expected both >= 0");
        }
    }

    @Override
    public String toString() {
        return "chunk " + chunk + " of collective " + seq;
    }
}
