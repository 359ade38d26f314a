package io.torus.launcher.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How every number in {@code torus bench} is taken (and, line for line, in
 * {@code scripts/bench/torch_reference.py}): one untimed call, then untimed calls for a tenth of
 * {@code minSampleNanos}, size a sample to enough calls to last {@code minSampleNanos};
 * {@code warmup} samples run untimed; then the median of {@code reps} timed samples,
 * {@link System#nanoTime()}, divided by the calls per sample. Ops
 * that will be compared take their samples in turn ({@link #measureInterleaved}).
 *
 * @param warmup         untimed samples after the sizing calls
 * @param reps           timed samples; the result is their median
 * @param minSampleNanos the shortest a sample may be, so that timer resolution does not matter
 */
public record Timing(int warmup, int reps, long minSampleNanos) {

    public Timing {
        if (warmup < 0) {
            throw new IllegalArgumentException("warm-up repetitions " + warmup + ": expected >= 0");
        }
        if (reps < 1) {
            throw new IllegalArgumentException("timed repetitions " + reps + ": expected >= 1");
        }
        if (minSampleNanos < 0) {
            throw new IllegalArgumentException("minimum sample time " + minSampleNanos + " ns: expected >= 0");
        }
    }

    /** Nanoseconds per call: the median of the timed samples, their min and max, and the calls per sample. */
    public record Result(double medianNanos, double minNanos, double maxNanos, int callsPerSample) {
    }

    public Result measure(Runnable op) {
        return measureInterleaved(List.of(op)).get(0);
    }

    /**
     * Measures several ops that will be compared, taking their samples in turn (op 0's, op 1's,
     * ..., then op 0's next) so that a change in machine load during the run hits all of them
     * alike instead of whichever happened to run at the time.
     */
    public List<Result> measureInterleaved(List<Runnable> ops) {
        int k = ops.size();
        int[] inner = new int[k];
        for (int o = 0; o < k; o++) {
            // Size the samples on calls after the first, which may pay one-time costs (code or
            // buffers a library sets up on its first call for a shape; not profiled). Measured: the
            // first Torus sgemm n = 256 call took 27 ms against 160 us for the next ones, so its
            // samples were 4 calls long, each starting from a cold cache; the ratio to oneDNN read
            // 0.81-0.84x sized that way and 0.92-0.98x sized on warm calls.
            Runnable op = ops.get(o);
            op.run();
            long t0 = System.nanoTime();
            long calls = 0;
            long dt;
            do {
                op.run();
                calls++;
                dt = System.nanoTime() - t0;
            } while (dt < minSampleNanos / 10 && calls < 1_000_000);
            long perCall = Math.max(1, dt / calls);
            inner[o] = (int) Math.max(1, Math.min(1_000_000, (minSampleNanos + perCall - 1) / perCall));
        }
        double[][] samples = new double[k][reps];
        for (int s = 0; s < warmup + reps; s++) {
            for (int o = 0; o < k; o++) {
                Runnable op = ops.get(o);
                long start = System.nanoTime();
                for (int i = 0; i < inner[o]; i++) {
                    op.run();
                }
                long dt = System.nanoTime() - start;
                if (s >= warmup) {
                    samples[o][s - warmup] = (double) dt / inner[o];
                }
            }
        }
        List<Result> results = new ArrayList<>(k);
        for (int o = 0; o < k; o++) {
            double[] x = samples[o];
            Arrays.sort(x);
            double median = reps % 2 == 1 ? x[reps / 2] : (x[reps / 2 - 1] + x[reps / 2]) / 2;
            results.add(new Result(median, x[0], x[reps - 1], inner[o]));
        }
        return results;
    }
}
