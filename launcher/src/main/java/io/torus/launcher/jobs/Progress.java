package io.torus.launcher.jobs;

import io.torus.launcher.agent.Agent;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A progress bar for the epoch in progress, redrawn in place (text ended by {@code \r}) at most
 * every 200 ms, on a terminal only: this JVM's own ({@code System.console() != null}) or the
 * agent's, which a worker learns from {@link Agent#TERMINAL} and which shows the bar under the
 * workers' lines. Off a terminal it draws nothing: the per-epoch lines are the whole report.
 *
 * <pre>
 * epoch 2/5 [##########..............]   391/938  loss 0.1032  acc 96.9%  15.2k samples/s  eta 0:03
 * </pre>
 */
final class Progress {
    private static final long REDRAW_NANOS = 200_000_000L;
    private static final int BAR = 24;

    private final PrintStream out;
    private final boolean enabled;
    private int epoch;
    private int epochs;
    private int steps;
    private long startNanos;
    private long lastDraw;
    private int lastLength;

    Progress(PrintStream out, boolean enabled) {
        this.out = out;
        this.enabled = enabled;
    }

    /** A bar on {@code System.out} when {@code show} (rank 0) and the output is a terminal. */
    static Progress forRank(boolean show) {
        return new Progress(System.out, show && onTerminal());
    }

    static boolean onTerminal() {
        return System.console() != null || "1".equals(System.getenv(Agent.TERMINAL));
    }

    void start(int epochIndex, int epochCount, int stepCount) {
        this.epoch = epochIndex;
        this.epochs = epochCount;
        this.steps = stepCount;
        this.startNanos = System.nanoTime();
        this.lastDraw = 0;
    }

    /** After step {@code done} of the epoch: the running mean loss and accuracy, and rows trained on. */
    void step(int done, double meanLoss, double accuracy, long samples) {
        if (!enabled) {
            return;
        }
        long now = System.nanoTime();
        if (done < steps && now - lastDraw < REDRAW_NANOS) {
            return;
        }
        lastDraw = now;
        double seconds = (now - startNanos) / 1e9;
        double rate = samples / Math.max(seconds, 1e-9);
        long eta = done == 0 ? 0 : Math.round(seconds / done * (steps - done));
        draw(line(epoch, epochs, done, steps, meanLoss, accuracy, rate, eta));
    }

    /** Removes the bar, so that the next line starts on a clean line. */
    void clear() {
        if (enabled && lastLength > 0) {
            out.print(" ".repeat(lastLength) + "\r");
            out.flush();
            lastLength = 0;
        }
    }

    private void draw(String text) {
        out.print(text + " ".repeat(Math.max(0, lastLength - text.length())) + "\r");
        out.flush();
        lastLength = text.length();
    }

    static String line(int epoch, int epochs, int done, int steps, double loss, double accuracy, double rate, long etaSeconds) {
        int filled = steps == 0 ? BAR : (int) ((long) BAR * done / steps);
        String width = Integer.toString(Integer.toString(steps).length());
        return String.format(Locale.ROOT, "epoch %d/%d [%s%s] %" + width + "d/%d  loss %.4f  acc %.1f%%  %s samples/s  eta %d:%02d",
                epoch + 1, epochs, "#".repeat(filled), ".".repeat(BAR - filled), done, steps, loss, 100 * accuracy,
                rate >= 1e4 ? String.format(Locale.ROOT, "%.1fk", rate / 1e3) : String.format(Locale.ROOT, "%.0f", rate),
                etaSeconds / 60, etaSeconds % 60);
    }
}
