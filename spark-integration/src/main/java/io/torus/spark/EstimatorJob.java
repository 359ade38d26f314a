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
import io.torus.data.TensorDataset;
import io.torus.io.Checkpoint;
import io.torus.io.TrainingCheckpoint;
import io.torus.nn.CrossEntropyLoss;
import io.torus.nn.Module;
import io.torus.optim.SGD;
import io.torus.tensor.Device;
import io.torus.tensor.Generator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The training loop behind {@link TorusEstimator#fit}: one rank of a data-parallel run on the
 * host's per-epoch shards ({@code ctx.hostedData()}), the model from a {@link TorusModelSpec},
 * cross-entropy, SGD with momentum, gradients averaged by {@link DistributedDataParallel}.
 *
 * <h2>Note [Epoch commit]</h2>
 * After every epoch rank 0 writes the training checkpoint (model, optimizer state, next epoch;
 * atomically) to {@code --checkpoint-dir}, appends {@code attempt=A epoch=E committed ...} to
 * {@value #EPOCH_LOG} there, and then every rank waits in a barrier: no rank starts epoch
 * {@code E+1} before epoch {@code E} is on disk. A run that starts and finds a checkpoint (a retry
 * of a failed barrier stage, Note [Stage retries] in {@link TorusEstimator}) loads it on every rank
 * and goes on with the epoch it names. So a failure anywhere in epoch {@code E} costs that
 * epoch's work and nothing else: epochs before it are not trained twice, and none is skipped.
 * The checkpoint directory must be readable by every rank (a shared file system on a cluster).
 *
 * <p>Arguments (all {@code --key value}): {@code --model SPEC --epochs N --batch-size B --lr X
 * --momentum M --seed S --checkpoint-dir DIR --out FILE --attempt A}. At the end rank 0 writes the
 * final weights as safetensors to {@code --out}.
 *
 * <p>Subclasses may override {@link #beforeEpoch} (e.g. to inject a fault in a test); they need a
 * public no-arg constructor and must be on the executors' classpath.
 */
public class EstimatorJob implements TrainingJob {
    private static final Logger LOG = LoggerFactory.getLogger(EstimatorJob.class);

    /** The training checkpoint in the checkpoint directory. */
    public static final String CHECKPOINT = "checkpoint.safetensors";
    /** One line per committed epoch (Note [Epoch commit]). */
    public static final String EPOCH_LOG = "epochs.log";

    /** The job's arguments, parsed. */
    public record Args(TorusModelSpec model, int epochs, int batchSize, double lr, double momentum, long seed,
                       Path checkpointDir, Path out, int attempt) {

        public static Args parse(String[] args) {
            Map<String, String> m = new HashMap<>();
            for (int i = 0; i < args.length; i += 2) {
                if (!args[i].startsWith("--") || i + 1 >= args.length) {
                    throw new IllegalArgumentException("estimator job: argument '" + args[i]
                            + "' is not followed by a value, expected --key value pairs");
                }
                m.put(args[i].substring(2), args[i + 1]);
            }
            return new Args(TorusModelSpec.parse(required(m, "model")), Integer.parseInt(required(m, "epochs")),
                    Integer.parseInt(required(m, "batch-size")), Double.parseDouble(required(m, "lr")),
                    Double.parseDouble(m.getOrDefault("momentum", "0.9")), Long.parseLong(m.getOrDefault("seed", "0")),
                    Path.of(required(m, "checkpoint-dir")), Path.of(required(m, "out")),
                    Integer.parseInt(m.getOrDefault("attempt", "0")));
        }

        private static String required(Map<String, String> m, String key) {
            String v = m.get(key);
            if (v == null) {
                throw new IllegalArgumentException("estimator job: missing --" + key);
            }
            return v;
        }

        public String[] toArgs() {
            return new String[] {"--model", model.text(), "--epochs", Integer.toString(epochs), "--batch-size",
                Integer.toString(batchSize), "--lr", Double.toString(lr), "--momentum", Double.toString(momentum),
                "--seed", Long.toString(seed), "--checkpoint-dir", checkpointDir.toString(), "--out", out.toString(),
                "--attempt", Integer.toString(attempt)};
        }

        public Args withAttempt(int a) {
            return new Args(model, epochs, batchSize, lr, momentum, seed, checkpointDir, out, a);
        }
    }

    @Override
    public void run(JobContext ctx) throws Exception {
        Args a = Args.parse(ctx.args());
        HostedData data = ctx.hostedData().orElseThrow(() -> new IllegalStateException(
                "estimator job: no hosted data (it runs under TorusEstimator.fit, which provides the DataFrame)"));
        ProcessGroup pg = ctx.processGroup();
        int rank = ctx.rank();
        Device device = ctx.device();
        Files.createDirectories(a.checkpointDir());

        Tensor.manualSeed(a.seed());
        Module model = a.model().build();
        if (device.isCuda()) {
            model.to(device);
        }
        SGD opt = new SGD(model.parameters(), a.lr(), a.momentum());
        Path ckFile = a.checkpointDir().resolve(CHECKPOINT);
        int start = 0;
        long step = 0;
        if (Files.exists(ckFile)) {
            TrainingCheckpoint ck = TrainingCheckpoint.load(ckFile);
            ck.restore(model, opt, Generator.global());
            start = ck.epoch();
            step = ck.step();
            LOG.info("rank {} attempt {}: resuming from {} at epoch {} ({} steps done)", rank, a.attempt(), ckFile,
                    start, step);
        }
        float[] agree = allReduce(pg, ReduceOp.MAX, start, -start);
        if (agree[0] != start || -agree[1] != start) {
            throw new IllegalStateException("estimator job: ranks disagree on the epoch to resume from (rank " + rank
                    + " has " + start + "): every rank must see the same checkpoint directory " + a.checkpointDir());
        }
        Module net = ctx.worldSize() == 1 ? model : new DistributedDataParallel(model, pg);
        CrossEntropyLoss lossFn = new CrossEntropyLoss();
        // Shards differ by at most one row (Note [Epoch shards]): every rank takes the same number of steps.
        int rowsPerRank = (int) (data.totalRows() / ctx.worldSize());
        int stepsPerEpoch = rowsPerRank / a.batchSize();
        if (stepsPerEpoch < 1) {
            throw new IllegalArgumentException("estimator job: " + data.totalRows() + " rows over " + ctx.worldSize()
                    + " workers give " + rowsPerRank + " rows per worker, fewer than batchSize=" + a.batchSize());
        }

        for (int epoch = start; epoch < a.epochs(); epoch++) {
            beforeEpoch(ctx, epoch, a.attempt());
            long t0 = System.nanoTime();
            TensorDataset shard = data.shard(epoch).slice(0, rowsPerRank);
            double lossSum = 0;
            int steps = 0;
            net.train();
            for (Batch b : new DataLoader(shard, a.batchSize(), true)) {
                if (steps == stepsPerEpoch) {
                    break;
                }
                Tensor x = device.isCuda() ? b.input().to(device) : b.input();
                Tensor y = device.isCuda() ? b.target().to(device) : b.target();
                opt.zeroGrad();
                Tensor loss = lossFn.forward(net.forward(x), y);
                loss.backward();
                opt.step();
                lossSum += loss.item();
                steps++;
            }
            step += steps;
            double seconds = (System.nanoTime() - t0) / 1e9;
            float[] mean = allReduce(pg, ReduceOp.AVG, (float) (lossSum / steps));
            if (rank == 0) {
                TrainingCheckpoint.capture(model, opt, epoch + 1, step, 0).save(ckFile);
                String line = String.format(Locale.ROOT, "attempt=%d epoch=%d committed loss=%.5f rows=%d seconds=%.3f "
                        + "samples_per_s=%.0f%n", a.attempt(), epoch, mean[0], (long) rowsPerRank * ctx.worldSize(),
                        seconds, steps * (double) a.batchSize() * ctx.worldSize() / seconds);
                Files.writeString(a.checkpointDir().resolve(EPOCH_LOG), line, StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                LOG.info("epoch {}/{}: {}", epoch + 1, a.epochs(), line.strip());
            }
            pg.barrier();  // Note [Epoch commit]
        }
        if (rank == 0) {
            model.eval();
            try (GradMode.Scope s = GradMode.noGrad()) {
                Checkpoint.save(a.out(), model.to(Device.CPU).stateDict());
            }
        }
    }

    /**
     * Called on every rank before epoch {@code epoch} of attempt {@code attempt} (0 for the first
     * run of the barrier stage, 1 for its first retry, ...). Does nothing here.
     */
    protected void beforeEpoch(JobContext ctx, int epoch, int attempt) throws IOException {
    }

    private static float[] allReduce(ProcessGroup pg, ReduceOp op, float... values) {
        Tensor t = Tensor.of(values.clone(), values.length);
        pg.allReduce(t, op);
        return t.toFloatArray();
    }
}
