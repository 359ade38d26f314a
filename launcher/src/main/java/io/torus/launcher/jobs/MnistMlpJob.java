package io.torus.launcher.jobs;

import io.torus.autograd.GradMode;
import io.torus.autograd.Tensor;
import io.torus.comm.HostedData;
import io.torus.comm.JobContext;
import io.torus.comm.ProcessGroup;
import io.torus.comm.ReduceOp;
import io.torus.comm.TrainingJob;
import io.torus.comm.ddp.DistributedDataParallel;
import io.torus.data.Batch;
import io.torus.data.DataLoader;
import io.torus.data.DistributedSampler;
import io.torus.data.Mnist;
import io.torus.data.RandomSampler;
import io.torus.data.Sampler;
import io.torus.data.TensorDataset;
import io.torus.io.Checkpoint;
import io.torus.nn.CrossEntropyLoss;
import io.torus.nn.Linear;
import io.torus.nn.ReLU;
import io.torus.nn.Sequential;
import io.torus.optim.SGD;
import io.torus.tensor.Generator;
import io.torus.tensor.NDArray;
import io.torus.tensor.op.BinaryOp;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Set;

/**
 * The built-in {@code mnist-mlp} job: a 784-256-128-10 MLP trained data-parallel with SGD and
 * momentum on MNIST. Each rank reads its share of the training set — from the MNIST files through
 * a {@link DistributedSampler} under the launcher, or from the host's per-epoch shard under
 * Spark — and evaluates its slice of the test set; losses and accuracy are all-reduced so rank 0
 * reports global figures. Rank 0 writes {@code model.safetensors} and {@code metrics.csv} to the
 * run directory.
 *
 * <p>Arguments: {@code --data DIR} (default $TORUS_MNIST_DIR, else data/mnist), {@code --epochs N} (3),
 * {@code --batch-size N} per rank (64), {@code --lr X} (0.05), {@code --momentum X} (0.9),
 * {@code --seed N} (42), {@code --save-all-ranks} (every rank also writes model-rank{r}.safetensors).
 */
public final class MnistMlpJob implements TrainingJob {
    private static final float MEAN = 0.1307f;
    private static final float STD = 0.3081f;

    @Override
    public void run(JobContext ctx) throws Exception {
        JobArgs args = new JobArgs("mnist-mlp", ctx.args(),
                Set.of("data", "epochs", "batch-size", "lr", "momentum", "seed", "save-all-ranks"));
        String envDir = System.getenv("TORUS_MNIST_DIR");
        Path dataDir = args.pathArg("data", envDir != null ? Path.of(envDir) : Path.of("data", "mnist"));
        int epochs = args.intArg("epochs", 3, 1);
        int batchSize = args.intArg("batch-size", 64, 1);
        double lr = args.doubleArg("lr", 0.05);
        double momentum = args.doubleArg("momentum", 0.9);
        int seed = args.intArg("seed", 42, 0);
        ProcessGroup pg = ctx.processGroup();
        int rank = ctx.rank();
        int world = ctx.worldSize();

        Tensor.manualSeed(seed);
        Sequential mlp = new Sequential(new Linear(784, 256), new ReLU(), new Linear(256, 128), new ReLU(), new Linear(128, 10));
        DistributedDataParallel model = new DistributedDataParallel(mlp, pg);
        SGD opt = new SGD(mlp.parameters(), lr, momentum);
        CrossEntropyLoss lossFn = new CrossEntropyLoss();

        HostedData hosted = ctx.hostedData().orElse(null);
        TensorDataset train = hosted == null ? normalized(Mnist.load(dataDir, Mnist.Split.TRAIN)) : null;
        TensorDataset test = normalized(Mnist.load(dataDir, Mnist.Split.TEST));
        DistributedSampler sampler = train == null ? null : new DistributedSampler(train.size(), world, rank, true, seed, false);
        log(ctx, "rank " + rank + "/" + world + ": " + mlp.numParameters() + " parameters, "
                + (hosted != null ? hosted.totalRows() + " hosted rows" : train.size() + " training rows from " + dataDir)
                + ", batch " + batchSize + " per rank", true);

        Path metrics = ctx.runDir().resolve("metrics.csv");
        if (rank == 0) {
            Files.createDirectories(ctx.runDir());
            Files.writeString(metrics, "epoch,train_loss,test_accuracy,seconds,samples_per_second\n");
        }
        for (int epoch = 0; epoch < epochs; epoch++) {
            long t0 = System.nanoTime();
            DataLoader loader;
            if (hosted != null) {
                TensorDataset shard = normalized(hosted.shard(epoch));
                Sampler order = new RandomSampler(shard.size(), new Generator(seed * 1_000_003L + epoch * 31L + rank));
                loader = new DataLoader(shard, batchSize, order, false, 2);
            } else {
                sampler.setEpoch(epoch);
                loader = new DataLoader(train, batchSize, sampler, false, 2);
            }
            // every rank must take the same number of steps: agree on the smallest count
            int steps = (int) allReduceScalar(pg, loader.size(), ReduceOp.MIN);
            double lossSum = 0;
            long samples = 0;
            int step = 0;
            model.train();
            for (Batch b : loader) {
                if (step++ == steps) {
                    break;
                }
                opt.zeroGrad();
                Tensor loss = lossFn.forward(model.forward(b.input()), b.target());
                loss.backward();
                opt.step();
                lossSum += loss.item() * b.size();
                samples += b.size();
            }
            double globalLoss = allReduceScalar(pg, lossSum, ReduceOp.SUM) / allReduceScalar(pg, samples, ReduceOp.SUM);
            double seconds = (System.nanoTime() - t0) / 1e9;
            double accuracy = evaluate(mlp, test, pg, rank, world);
            long globalSamples = (long) allReduceScalar(pg, samples, ReduceOp.SUM);
            String line = String.format(Locale.ROOT, "epoch %d/%d  loss %.4f  test accuracy %.2f%%  time %.1fs  (%.0f samples/s)",
                    epoch + 1, epochs, globalLoss, 100 * accuracy, seconds, globalSamples / seconds);
            log(ctx, line, false);
            if (rank == 0) {
                Files.writeString(metrics, String.format(Locale.ROOT, "%d,%.6f,%.6f,%.3f,%.1f%n", epoch + 1, globalLoss, accuracy,
                        seconds, globalSamples / seconds), StandardOpenOption.APPEND);
            }
        }
        if (rank == 0) {
            Path out = ctx.runDir().resolve("model.safetensors");
            Checkpoint.save(out, mlp.stateDict());
            log(ctx, "saved final parameters to " + out, false);
        }
        if (args.flag("save-all-ranks")) {
            Checkpoint.save(ctx.runDir().resolve("model-rank" + rank + ".safetensors"), mlp.stateDict());
        }
    }

    /** Scales pixels from [0, 1] to zero mean and unit variance with MNIST's statistics. */
    private static TensorDataset normalized(TensorDataset d) {
        NDArray x = d.inputs().data().binary(BinaryOp.SUB, MEAN).binary_(BinaryOp.DIV, STD);
        return new TensorDataset(Tensor.wrap(x), d.targets());
    }

    /** Accuracy on the whole test set, each rank scoring a contiguous slice. */
    private static double evaluate(Sequential model, TensorDataset test, ProcessGroup pg, int rank, int world) {
        int n = test.size();
        int from = (int) ((long) n * rank / world);
        int to = (int) ((long) n * (rank + 1) / world);
        long correct = 0;
        model.eval();
        try (GradMode.Scope s = GradMode.noGrad()) {
            for (int i = from; i < to; i += 1000) {
                TensorDataset part = test.slice(i, Math.min(to, i + 1000));
                Tensor pred = model.forward(part.inputs()).argmax(1);
                correct += (long) pred.eq(part.targets()).data().sum().item();
            }
        }
        return allReduceScalar(pg, correct, ReduceOp.SUM) / n;
    }

    private static double allReduceScalar(ProcessGroup pg, double v, ReduceOp op) {
        Tensor t = Tensor.of(new float[] {(float) v}, 1);
        pg.allReduce(t, op);
        return t.toFloatArray()[0];
    }

    private static void log(JobContext ctx, String line, boolean everyRank) {
        if (everyRank || ctx.rank() == 0) {
            System.out.println(line);
            System.out.flush();
        }
    }
}
