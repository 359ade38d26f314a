package io.torus.spark.task;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Thrown by a rank's task when its job (or its setup) failed. Its message starts with
 * {@code "Torus rank R of W failed"}: Spark carries only the text of a barrier task's failure to
 * the driver, which reads the rank back from it ({@link #parseRank(String)}).
 */
public final class RankFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private static final Pattern RANK = Pattern.compile("Torus rank (\\d+) of \\d+ failed");

    private final int rank;

    public RankFailure(int rank, int worldSize, String jobClass, String phase, Throwable cause) {
        super("Torus rank " + rank + " of " + worldSize + " failed " + phase + " " + jobClass + ": " + cause, cause);
        this.rank = rank;
    }

    public int rank() {
        return rank;
    }

    /** The rank named by the first {@code RankFailure} message inside {@code text}, or -1. */
    public static int parseRank(String text) {
        if (text == null) {
            return -1;
        }
        Matcher m = RANK.matcher(text);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }
}
