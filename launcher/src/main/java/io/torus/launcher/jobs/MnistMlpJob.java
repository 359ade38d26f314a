package io.torus.launcher.jobs;

import io.torus.comm.JobContext;
import io.torus.comm.TrainingJob;
import io.torus.nn.Linear;
import io.torus.nn.ReLU;
import io.torus.nn.Sequential;

/**
 * The built-in {@code mnist-mlp} job: a 784-256-128-10 MLP trained data-parallel with SGD and
 * momentum on MNIST, cross-entropy loss. Each rank reads its share of the training set — from the
 * MNIST files through a {@link io.torus.data.DistributedSampler} under the launcher, or from the
 * host's per-epoch shard under Spark — and evaluates its slice of the test set; the run's files
 * and the shared arguments are {@link Trainer}'s and {@link TrainArgs}'.
 */
public final class MnistMlpJob implements TrainingJob {
    static final String NAME = "mnist-mlp";
    static final TrainArgs.Defaults DEFAULTS = new TrainArgs.Defaults(3, 64, 0.05, 0.9, TrainArgs.Schedule.CONSTANT);

    @Override
    public void run(JobContext ctx) throws Exception {
        TrainArgs args = TrainArgs.parse(NAME, ctx.args(), DEFAULTS);
        TrainingData data = TrainingData.mnist(ctx, args.data(), args.seed(), d -> d);
        Trainer.run(ctx, NAME, args, () -> new Sequential(new Linear(784, 256), new ReLU(), new Linear(256, 128), new ReLU(),
                new Linear(128, 10)), Objective.CROSS_ENTROPY, data);
    }
}
