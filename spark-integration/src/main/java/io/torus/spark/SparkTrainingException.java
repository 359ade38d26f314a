package io.torus.spark;

/**
 * A Spark training run failed. {@link #rank()} is the rank whose job failed first, or -1 when
 * the run failed outside the ranks (Spark could not schedule them, or the data could not be read).
 */
public class SparkTrainingException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int rank;

    public SparkTrainingException(int rank, String message, Throwable cause) {
        super(message, cause);
        this.rank = rank;
    }

    public int rank() {
        return rank;
    }
}
