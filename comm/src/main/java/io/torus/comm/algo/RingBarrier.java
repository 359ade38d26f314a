package io.torus.comm.algo;

import io.torus.comm.transport.Tag;
import io.torus.comm.transport.Transport;

/*
 * Ring barrier: N - 1 rounds of "send an empty message right, receive one from the left".
 *
 * Why that suffices: a rank sends in round s only after it has received in round s - 1. So when
 * rank r receives in round s, rank r - 1 has received in round s - 1, rank r - 2 in round s - 2,
 * ..., and rank r - 1 - s has sent in round 0, i.e. entered the barrier. After rounds 0 .. N - 2,
 * ranks r - 1, ..., r - (N - 1), all the others, have entered. N - 1 latencies.
 * Message tags: round k is chunk id k.
 */
final class RingBarrier {
    private static final boolean[] NOTHING = new boolean[0];

    private RingBarrier() {
    }

    static void run(Transport transport, long seq) {
        Ring ring = Ring.of(transport);
        for (int round = 0; round < ring.size() - 1; round++) {
            transport.send(ring.right(), new Tag(seq, round), NOTHING, 0, 0);
            transport.receive(ring.left(), new Tag(seq, round), NOTHING, 0, 0);
        }
    }
}
