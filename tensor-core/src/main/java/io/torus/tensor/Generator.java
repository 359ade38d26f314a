package io.torus.tensor;

/**
 * A counter-based random number generator: element {@code i} of a draw is a pure function of
 * (seed, counter + i), so results never depend on how many threads fill a tensor or on which
 * device runs the fill (the CUDA kernels in generator.cuh transcribe this class). The mixing function is SplitMix64's finaliser applied to a Weyl sequence
 * keyed by the seed; every draw advances the counter by the number of values it used.
 */
public final class Generator {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    private static final Generator GLOBAL = new Generator(0x5eed);

    private long seed;
    private long counter;

    public Generator(long seed) {
        manualSeed(seed);
    }

    /** The process-wide generator behind the random functions without a Generator argument. */
    public static Generator global() {
        return GLOBAL;
    }

    public synchronized Generator manualSeed(long seed) {
        this.seed = seed;
        this.counter = 0;
        return this;
    }

    public synchronized long seed() {
        return seed;
    }

    /** Reserves {@code n} consecutive counter values and returns the first. */
    public synchronized long reserve(long n) {
        long start = counter;
        counter += n;
        return start;
    }

    /** The state as (seed, counter), for checkpoints. */
    public synchronized long[] state() {
        return new long[] {seed, counter};
    }

    public synchronized void setState(long[] state) {
        this.seed = state[0];
        this.counter = state[1];
    }

    /** 64 random bits for counter value {@code c}. */
    public long bits(long c) {
        long z = seed * GOLDEN + (c + 1) * 0xD1B54A32D192ED03L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** A double uniform in [0, 1) for counter value {@code c}. */
    public double uniform(long c) {
        return (bits(c) >>> 11) * 0x1.0p-53;
    }

    /**
     * A standard normal for counter value {@code c} (Box-Muller on two derived uniforms). StrictMath,
     * not Math: {@code Math.log} and {@code Math.cos} are JIT intrinsics whose last bit may differ
     * between JVMs and CPUs (6% of these draws differed on a Zen 5), while StrictMath is fdlibm,
     * which the CUDA backend reproduces bit for bit (fdlibm.cuh, generator.cuh).
     */
    public double normal(long c) {
        long b = bits(c);
        double u1 = ((b >>> 32) + 1) * 0x1.0p-32; // (0, 1]
        double u2 = (b & 0xFFFFFFFFL) * 0x1.0p-32;
        return StrictMath.sqrt(-2 * StrictMath.log(u1)) * StrictMath.cos(2 * Math.PI * u2);
    }
}
