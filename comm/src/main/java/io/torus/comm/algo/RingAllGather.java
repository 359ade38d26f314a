package io.torus.comm.algo;

import io.torus.comm.transport.Tag;
import io.torus.comm.transport.Transport;

/*
 * Ring all-gather: N blocks, rank r's at index r, and after N - 1 steps every rank has all of
 * them. At step s rank r sends block (r - s) (its own, then the one it has just received) to its
 * right and stores block (r - s - 1) from its left. Each rank sends (N - 1) blocks; every link is
 * busy at every step. Blocks are only copied, so every rank ends with identical bits.
 * Message tags: block b travels as chunk id b.
 */
final class RingAllGather {
    private RingAllGather() {
    }

    /**
     * Gathers in place: block {@code b} is {@code buf[offset + b * blockLength, ... + blockLength)};
     * this rank's block must already be there, the others are overwritten.
     */
    static void inPlace(Transport transport, long seq, Object buf, int offset, int blockLength) {
        Ring ring = Ring.of(transport);
        for (int step = 0; step < ring.size() - 1; step++) {
            int outgoing = ring.minus(step);
            int incoming = ring.minus(step + 1);
            transport.send(ring.right(), new Tag(seq, outgoing), buf, offset + outgoing * blockLength, blockLength);
            transport.receive(ring.left(), new Tag(seq, incoming), buf, offset + incoming * blockLength, blockLength);
        }
    }
}
