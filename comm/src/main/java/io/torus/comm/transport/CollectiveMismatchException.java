package io.torus.comm.transport;

import io.torus.tensor.DType;

/**
 * A rank received something other than what its collective expects: the ranks issued different
 * collectives, in a different order, or on tensors of different sizes. This is a usage error
 * (see {@link io.torus.comm.ProcessGroup}'s contract); the group cannot continue after it.
 */
public class CollectiveMismatchException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public CollectiveMismatchException(String message) {
        super(message);
    }

    /**
     * Checks one arrival against what the receiver expects.
     *
     * @throws CollectiveMismatchException naming both sides when the tag, the dtype or the length differ
     */
    public static void check(int receiver, int sender, Tag expected, DType expectedType, int expectedLength,
                             Tag actual, DType actualType, int actualLength) {
        if (!expected.equals(actual)) {
            throw new CollectiveMismatchException("rank " + receiver + " expected " + expected + " from rank " + sender
                    + " but received " + actual + ": every rank must issue the same collectives in the same order");
        }
        if (expectedType != actualType) {
            throw new CollectiveMismatchException("rank " + receiver + " expected " + expectedType + " elements for "
                    + expected + " from rank " + sender + " but received " + actualType
                    + ": every rank must pass tensors of the same dtype");
        }
        if (expectedLength != actualLength) {
            throw new CollectiveMismatchException("rank " + receiver + " expected " + expectedLength + " elements for "
                    + expected + " from rank " + sender + " but received " + actualLength
                    + ": every rank must issue the same collectives, in the same order, on tensors with the same number of elements");
        }
    }
}
