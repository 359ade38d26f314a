package io.torus.launcher.jobs;

import io.torus.autograd.Tensor;
import io.torus.nn.F;

/** What a built-in job's model minimizes, and how its predictions are counted as right. */
enum Objective {
    /** Logits [n, classes] against class indices (INT64 [n]): cross-entropy, right when the arg max is the class. */
    CROSS_ENTROPY {
        @Override
        Tensor loss(Tensor output, Tensor target) {
            return F.crossEntropy(output, target);
        }

        @Override
        long correct(Tensor output, Tensor target) {
            return count(output.argmax(1).eq(target));
        }
    },

    /**
     * One logit per row [n, 1] against a 0/1 label (FLOAT32 [n, 1]): binary cross-entropy on the
     * logit, right when the logit's sign gives the label.
     */
    BINARY_LOGITS {
        @Override
        Tensor loss(Tensor output, Tensor target) {
            return F.binaryCrossEntropyWithLogits(output, target);
        }

        @Override
        long correct(Tensor output, Tensor target) {
            return count(output.gt(0).eq(target.gt(0.5)));
        }
    };

    /** The mean loss over the batch (a scalar that requires grad when the output does). */
    abstract Tensor loss(Tensor output, Tensor target);

    /** How many rows of the batch are predicted right. */
    abstract long correct(Tensor output, Tensor target);

    private static long count(Tensor bool) {
        return (long) bool.data().sum().item();
    }
}
