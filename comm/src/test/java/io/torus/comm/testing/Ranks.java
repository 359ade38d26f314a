package io.torus.comm.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Plays the ranks of a group as threads of the test JVM. */
public final class Ranks {
    private static final long TIMEOUT_SECONDS = 60;

    private Ranks() {
    }

    @FunctionalInterface
    public interface Body<T> {
        T run(int rank) throws Exception;
    }

    /** What one rank's body did: returned {@code value} or threw {@code error}. */
    public record Outcome<T>(int rank, T value, Throwable error) {
        public boolean failed() {
            return error != null;
        }
    }

    /** Runs {@code body} for ranks 0..n-1 at once; returns their results in rank order, or rethrows the first failure. */
    public static <T> List<T> run(int n, Body<T> body) {
        List<T> values = new ArrayList<>(n);
        List<Outcome<T>> outcomes = runAll(n, body);
        AssertionError first = null;
        for (Outcome<T> o : outcomes) {
            if (o.failed()) {
                if (first == null) {
                    first = new AssertionError("rank " + o.rank() + " failed: " + o.error(), o.error());
                } else {
                    // The first rank often fails only because another one did: keep every rank's story.
                    first.addSuppressed(new AssertionError("rank " + o.rank() + " failed: " + o.error(), o.error()));
                }
            }
            values.add(o.value());
        }
        if (first != null) {
            throw first;
        }
        return values;
    }

    /** Runs {@code body} for ranks 0..n-1 at once and reports each rank's outcome, failures included. */
    public static <T> List<Outcome<T>> runAll(int n, Body<T> body) {
        ExecutorService pool = Executors.newFixedThreadPool(n, r -> {
            Thread t = new Thread(r, "test-rank");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<T>> futures = new ArrayList<>(n);
            for (int r = 0; r < n; r++) {
                int rank = r;
                futures.add(pool.submit(() -> {
                    Thread.currentThread().setName("test-rank-" + rank);
                    return body.run(rank);
                }));
            }
            List<Outcome<T>> outcomes = new ArrayList<>(n);
            for (int r = 0; r < n; r++) {
                try {
                    outcomes.add(new Outcome<>(r, futures.get(r).get(TIMEOUT_SECONDS, TimeUnit.SECONDS), null));
                } catch (ExecutionException e) {
                    outcomes.add(new Outcome<>(r, null, e.getCause()));
                } catch (TimeoutException e) {
                    throw new AssertionError("rank " + r + " did not finish within " + TIMEOUT_SECONDS + " s");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted", e);
                }
            }
            return outcomes;
        } finally {
            pool.shutdownNow();
        }
    }
}
