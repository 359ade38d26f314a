package io.torus.comm.algo;

import io.torus.comm.transport.Transport;

/** A rank's place on the ring: who is left and right, and index arithmetic modulo the size. */
record Ring(int rank, int size) {
    static Ring of(Transport transport) {
        return new Ring(transport.rank(), transport.worldSize());
    }

    /** The rank (or chunk index) {@code k} places before this rank, wrapping around. */
    int minus(int k) {
        return Math.floorMod(rank - k, size);
    }

    /** The rank this one receives from. */
    int left() {
        return minus(1);
    }

    /** The rank this one sends to. */
    int right() {
        return minus(-1);
    }
}
