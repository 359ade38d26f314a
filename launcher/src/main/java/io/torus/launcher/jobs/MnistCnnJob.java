package io.torus.launcher.jobs;

import io.torus.autograd.Tensor;
import io.torus.comm.JobContext;
import io.torus.comm.TrainingJob;
import io.torus.data.TensorDataset;

/**
 * The built-in {@code mnist-cnn} job: {@link LeNet} trained data-parallel with SGD and momentum on
 * MNIST images [1, 28, 28], cross-entropy loss; otherwise as {@link MnistMlpJob}.
 */
public final class MnistCnnJob implements TrainingJob {
    static final String NAME = "mnist-cnn";
    static final TrainArgs.Defaults DEFAULTS = new TrainArgs.Defaults(3, 64, 0.02, 0.9, TrainArgs.Schedule.COSINE);

    @Override
    public void run(JobContext ctx) throws Exception {
        TrainArgs args = TrainArgs.parse(NAME, ctx.args(), DEFAULTS);
        TrainingData data = TrainingData.mnist(ctx, args.data(), args.seed(), MnistCnnJob::images);
        Trainer.run(ctx, NAME, args, LeNet::new, Objective.CROSS_ENTROPY, data);
    }

    /** Rows of 784 pixels as single-channel 28×28 images (a view). */
    static TensorDataset images(TensorDataset d) {
        return new TensorDataset(d.inputs().reshape(d.size(), 1, 28, 28), d.targets());
    }
}
