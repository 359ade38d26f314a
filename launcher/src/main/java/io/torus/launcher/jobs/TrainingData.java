package io.torus.launcher.jobs;

import io.torus.autograd.Tensor;
import io.torus.comm.HostedData;
import io.torus.comm.JobContext;
import io.torus.data.DataLoader;
import io.torus.data.DistributedSampler;
import io.torus.data.Mnist;
import io.torus.data.RandomSampler;
import io.torus.data.TensorDataset;
import io.torus.tensor.Generator;
import io.torus.tensor.NDArray;
import io.torus.tensor.op.BinaryOp;

import java.nio.file.Path;
import java.util.function.UnaryOperator;

/**
 * A built-in job's examples: this rank's training batches for each epoch, and the test set.
 * Training rows come from the MNIST files through a {@link DistributedSampler} (seeded, so every
 * epoch's order is the same in every run, which is what makes {@code --resume} exact), or, under
 * Spark, from the host's shard of the epoch in a seeded random order. Each job passes a
 * {@code prepare} step (reshape, filter, relabel) applied to every dataset it sees.
 */
final class TrainingData {
    /** MNIST's pixel mean and standard deviation (of the training set, pixels in [0, 1]). */
    static final float MNIST_MEAN = 0.1307f;
    static final float MNIST_STD = 0.3081f;

    private final JobContext ctx;
    private final HostedData hosted;
    private final TensorDataset train;
    private final TensorDataset test;
    private final DistributedSampler sampler;
    private final UnaryOperator<TensorDataset> prepare;
    private final long seed;
    private final Path dir;

    private TrainingData(JobContext ctx, HostedData hosted, TensorDataset train, TensorDataset test,
                         UnaryOperator<TensorDataset> prepare, long seed, Path dir) {
        this.ctx = ctx;
        this.hosted = hosted;
        this.train = train;
        this.test = test;
        this.prepare = prepare;
        this.seed = seed;
        this.dir = dir;
        this.sampler = train == null ? null
                : new DistributedSampler(train.size(), ctx.worldSize(), ctx.rank(), true, seed, false);
    }

    /**
     * MNIST from {@code dir} (the test set always; the training set unless the host provides it),
     * normalized with MNIST's mean and standard deviation, then {@code prepare}d.
     */
    static TrainingData mnist(JobContext ctx, Path dir, long seed, UnaryOperator<TensorDataset> prepare) {
        HostedData hosted = ctx.hostedData().orElse(null);
        // Files just read belong to nobody else: normalize them in place (a second copy of the
        // training set would be another 188 MB of heap); the host's shards are left as they are.
        TensorDataset train = hosted == null ? prepare.apply(normalizeInPlace(Mnist.load(dir, Mnist.Split.TRAIN))) : null;
        TensorDataset test = prepare.apply(normalizeInPlace(Mnist.load(dir, Mnist.Split.TEST)));
        return new TrainingData(ctx, hosted, train, test, d -> prepare.apply(normalized(d)), seed, dir);
    }

    /** This rank's batches for {@code epoch}; the same order for the same (seed, epoch, rank). */
    DataLoader loader(int epoch, int batchSize) {
        if (hosted != null) {
            TensorDataset shard = prepare.apply(hosted.shard(epoch));
            Generator g = new Generator(seed * 1_000_003L + epoch * 31L + ctx.rank());
            return new DataLoader(shard, batchSize, new RandomSampler(shard.size(), g), false, 2);
        }
        sampler.setEpoch(epoch);
        return new DataLoader(train, batchSize, sampler, false, 2);
    }

    TensorDataset test() {
        return test;
    }

    /** For the log: where the training rows come from and how many there are. */
    String describe() {
        return hosted != null ? hosted.totalRows() + " hosted rows (before the job's selection)"
                : train.size() + " training rows from " + dir;
    }

    /** Scales pixels from [0, 1] to zero mean and unit variance with MNIST's statistics, in a new array. */
    static TensorDataset normalized(TensorDataset d) {
        NDArray x = d.inputs().data().binary(BinaryOp.SUB, MNIST_MEAN).binary_(BinaryOp.DIV, MNIST_STD);
        return new TensorDataset(Tensor.wrap(x), d.targets());
    }

    /** As {@link #normalized}, overwriting {@code d}'s inputs. */
    static TensorDataset normalizeInPlace(TensorDataset d) {
        d.inputs().data().binary_(BinaryOp.SUB, MNIST_MEAN).binary_(BinaryOp.DIV, MNIST_STD);
        return d;
    }
}
