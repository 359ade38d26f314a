package io.torus.launcher.jobs;

import io.torus.autograd.Tensor;
import io.torus.comm.JobContext;
import io.torus.comm.TrainingJob;
import io.torus.data.TensorDataset;
import io.torus.nn.Linear;
import io.torus.tensor.NDArray;

import java.util.Arrays;

/**
 * The built-in {@code logreg} job: binary logistic regression, one linear unit on the 784 pixels,
 * telling two MNIST digits apart ({@code --digits A,B}, default 3,8: the pair a linear model finds
 * hard). Rows of other digits are dropped; the label is 1 for B and 0 for A; the loss is binary
 * cross-entropy on the logit ({@link Objective#BINARY_LOGITS}), the accuracy the share of rows
 * whose logit has the label's sign. Otherwise as {@link MnistMlpJob}.
 */
public final class LogRegJob implements TrainingJob {
    static final String NAME = "logreg";
    static final TrainArgs.Defaults DEFAULTS = new TrainArgs.Defaults(3, 64, 0.01, 0.9, TrainArgs.Schedule.CONSTANT);

    @Override
    public void run(JobContext ctx) throws Exception {
        JobArgs raw = TrainArgs.read(NAME, ctx.args(), "digits");
        TrainArgs args = TrainArgs.from(raw, DEFAULTS);
        int[] digits = digits(raw.stringArg("digits", "3,8"));
        TrainingData data = TrainingData.mnist(ctx, args.data(), args.seed(), d -> pair(d, digits[0], digits[1]));
        Trainer.run(ctx, NAME, args, () -> new Linear(784, 1), Objective.BINARY_LOGITS, data);
    }

    static int[] digits(String spec) {
        String[] parts = spec.split(",");
        try {
            if (parts.length == 2) {
                int a = Integer.parseInt(parts[0].trim());
                int b = Integer.parseInt(parts[1].trim());
                if (a >= 0 && a <= 9 && b >= 0 && b <= 9 && a != b) {
                    return new int[] {a, b};
                }
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(NAME + ": --digits " + spec + ": expected two different digits A,B such as 3,8");
    }

    /** The rows of digits {@code a} and {@code b}, labelled 0 and 1 (FLOAT32 [n, 1]). */
    static TensorDataset pair(TensorDataset d, int a, int b) {
        long[] labels = d.targets().toLongArray();
        long[] keep = new long[labels.length];
        int n = 0;
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] == a || labels[i] == b) {
                keep[n++] = i;
            }
        }
        keep = Arrays.copyOf(keep, n);
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            y[i] = labels[(int) keep[i]] == b ? 1f : 0f;
        }
        NDArray x = d.inputs().data().indexSelect(0, NDArray.of(keep, n));
        return new TensorDataset(Tensor.wrap(x), Tensor.of(y, n, 1));
    }
}
