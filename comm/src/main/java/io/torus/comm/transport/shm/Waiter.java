package io.torus.comm.transport.shm;

import java.util.concurrent.locks.LockSupport;

/*
 * How a shm endpoint waits for the other process: a short spin (the answer often comes within
 * microseconds when both processes have a core), then parking with exponential backoff. Parking
 * gives the core away, which matters on a 2-vCPU machine running 3 or 4 ranks: a waiter that spun
 * hot would starve the very producer it waits for. The cap grows with the wait so an idle wait
 * (a peer still computing) costs a few hundred wake-ups per second at most, not thousands.
 *
 *   spins 0..SPINS          Thread.onSpinWait()
 *   then                    parkNanos(10 us, 20 us, 40 us, ... up to 200 us)
 *   after 50 ms of waiting  cap 1 ms;  after 1 s: cap 5 ms
 *
 * (Linux's default timer slack of 50 us makes the shortest parks ~60 us in practice.)
 */
final class Waiter {
    private static final int SPINS = 200;
    private static final long FIRST_PARK_NANOS = 10_000;
    private static final long YIELD_NANOS = 50_000;
    private final long start = System.nanoTime();
    private int spins;
    private long park = FIRST_PARK_NANOS;

    /** Waits a little; call in a loop that re-checks its condition. */
    void pause() {
        if (spins < SPINS) {
            spins++;
            Thread.onSpinWait();
            return;
        }
        long waited = System.nanoTime() - start;
        long cap = waited < 50_000_000L ? 200_000 : waited < 1_000_000_000L ? 1_000_000 : 5_000_000;
        LockSupport.parkNanos(park);
        park = Math.min(cap, park * 2);
    }

    /**
     * For waits on a peer known to be in the same collective and close behind (the shm windows):
     * true while the caller should keep polling: the spins, then {@link Thread#yield()} until
     * {@value #YIELD_NANOS} ns have passed (a park or a sleep costs 60 us or more, more than such
     * a wait, while yielding still gives the core to that peer when the two share it); false once
     * the caller should block on its bell instead.
     */
    boolean spinOrYield() {
        if (spins < SPINS) {
            spins++;
            Thread.onSpinWait();
            return true;
        }
        if (System.nanoTime() - start < YIELD_NANOS) {
            Thread.yield();
            return true;
        }
        return false;
    }

    /** Spins once and returns true while in the spin phase; false once the caller should block instead. */
    boolean spin() {
        if (spins < SPINS) {
            spins++;
            Thread.onSpinWait();
            return true;
        }
        return false;
    }

    /** Nanoseconds since this waiter was created. */
    long waitedNanos() {
        return System.nanoTime() - start;
    }
}
