package io.torus.spark;

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
import io.torus.data.Mnist;
import io.torus.data.TensorDataset;
import io.torus.nn.CrossEntropyLoss;
import io.torus.nn.Linear;
import io.torus.nn.Module;
import io.torus.nn.Parameter;
import io.torus.nn.ReLU;
import io.torus.nn.Sequential;
import io.torus.optim.SGD;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Test job: a 784-64-10 MLP trained with {@link DistributedDataParallel} on the hosted MNIST
 * shards, SGD with momentum, batch 32 per rank. Args:
 * {@code TEST_DATA_DIR EPOCHS}. Writes {@code loss-epoch<e>.txt} and {@code accuracy.txt} (rank 0)
 * and {@code params-rank<r>.txt} (a checksum of the final weights) to the run directory.
 */
public class MnistMlpJob implements TrainingJob {
    private static final int BATCH = 32;

    @Override
    public void run(JobContext ctx) throws Exception {
        Path testDir = Path.of(ctx.args()[0]);
        int epochs = Integer.parseInt(ctx.args()[1]);
        ProcessGroup pg = ctx.processGroup();
        HostedData data = ctx.hostedData().orElseThrow();

        // DDP starts every rank from rank 0's weights (in local[N] the ranks are threads of one
        // JVM sharing the global generator, so seeding alone would not) and averages gradients.
        Module model = new Sequential(new Linear(784, 64), new ReLU(), new Linear(64, 10));
        DistributedDataParallel ddp = new DistributedDataParallel(model, pg);
        List<Parameter> params = ddp.parameters();
        SGD sgd = new SGD(params, 0.05, 0.9);
        CrossEntropyLoss lossFn = new CrossEntropyLoss();
        // Shards differ by at most one row: every rank takes the same number of steps.
        int rowsPerRank = (int) (data.totalRows() / ctx.worldSize());

        for (int epoch = 0; epoch < epochs; epoch++) {
            TensorDataset shard = data.shard(epoch).slice(0, rowsPerRank);
            double lossSum = 0;
            int steps = 0;
            for (Batch b : new DataLoader(shard, BATCH, true)) {
                if (b.size() < BATCH) {
                    break;
                }
                sgd.zeroGrad();
                Tensor loss = lossFn.forward(ddp.call(b.input()), b.target());
                loss.backward();  // DDP all-reduces the gradients bucket by bucket
                sgd.step();
                lossSum += loss.item();
                steps++;
            }
            Tensor mean = Tensor.of(new float[] {(float) (lossSum / steps)}, 1);
            pg.allReduce(mean, ReduceOp.AVG);
            if (ctx.rank() == 0) {
                Files.writeString(ctx.runDir().resolve("loss-epoch" + epoch + ".txt"),
                        Float.toString(mean.toFloatArray()[0]));
            }
        }

        double checksum = 0;
        for (Parameter p : params) {
            for (float v : p.toFloatArray()) {
                checksum += v;
            }
        }
        Files.writeString(ctx.runDir().resolve("params-rank" + ctx.rank() + ".txt"), Double.toString(checksum));
        if (ctx.rank() == 0) {
            TensorDataset test = Mnist.load(testDir, Mnist.Split.TEST);
            double correct;
            try (GradMode.Scope s = GradMode.noGrad()) {
                correct = model.call(test.inputs()).argmax(1).eq(test.targets()).sum().item();
            }
            Files.writeString(ctx.runDir().resolve("accuracy.txt"), Double.toString(correct / test.size()));
        }
    }
}
