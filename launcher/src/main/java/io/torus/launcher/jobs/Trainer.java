package io.torus.launcher.jobs;

import io.torus.autograd.GradMode;
import io.torus.autograd.Tensor;
import io.torus.comm.JobContext;
import io.torus.comm.ProcessGroup;
import io.torus.comm.ReduceOp;
import io.torus.comm.ddp.DistributedDataParallel;
import io.torus.comm.trace.Timeline;
import io.torus.data.Batch;
import io.torus.data.DataLoader;
import io.torus.data.TensorDataset;
import io.torus.io.Checkpoint;
import io.torus.io.TrainingCheckpoint;
import io.torus.launcher.agent.Agent;
import io.torus.nn.Module;
import io.torus.optim.SGD;
import io.torus.optim.lr.CosineAnnealingLR;
import io.torus.optim.lr.LRScheduler;
import io.torus.tensor.Generator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The training run that every built-in job is: a model from the job, SGD with momentum and an
 * optional learning-rate schedule, one {@link Objective}, data-parallel through
 * {@link DistributedDataParallel} when there is more than one worker. Per epoch each rank trains
 * on its share of the data (every rank takes the same number of steps), evaluates its slice of the
 * test set, and the figures are summed over all ranks. Then
 * <ul>
 *   <li>rank 0 prints one line and rewrites {@code metrics.csv} and {@code metrics.png} in the run
 *       directory ({@link EpochMetrics}, {@link MetricsPlot}); on a terminal it also shows a
 *       progress bar during the epoch ({@link Progress});</li>
 *   <li>local rank 0 of each machine writes the training checkpoint (model, optimizer and
 *       scheduler state, epoch, step, RNG state) to the run directory ({@link TrainingCheckpoint}).</li>
 * </ul>
 * At the end rank 0 writes {@code model.safetensors}.
 *
 * <p>Note [Exact resume]: {@code --resume} (or a restart by the agent after a failure, when a
 * checkpoint exists) loads the checkpoint and goes on with the next epoch. The result is the same
 * as a run that was never stopped: the parameters and momentum buffers come back bit for bit,
 * every epoch's data order is a function of (seed, epoch, rank) alone, and the global RNG state
 * is restored. (With the Vector API on, an {@code exp} or {@code log} can still differ by one ulp
 * while the JIT warms up, see {@code VectorKernels}; {@code -Dtorus.vector.disable=true} makes
 * the two runs identical to the bit.)
 */
final class Trainer {
    static final String METRICS_CSV = "metrics.csv";
    static final String METRICS_PNG = "metrics.png";
    static final String MODEL = "model.safetensors";
    /** The training checkpoint ({@link TrainingCheckpoint}), rewritten after every epoch. */
    static final String CHECKPOINT = "checkpoint.safetensors";

    /** Rows per forward pass when evaluating: bounds the memory of the test pass. */
    private static final int EVAL_CHUNK = 1000;

    private final JobContext ctx;
    private final String job;
    private final TrainArgs args;
    private final Objective objective;
    private final TrainingData data;
    private final ProcessGroup pg;
    private boolean firstStepReported;

    private Trainer(JobContext ctx, String job, TrainArgs args, Objective objective, TrainingData data) {
        this.ctx = ctx;
        this.job = job;
        this.args = args;
        this.objective = objective;
        this.data = data;
        this.pg = ctx.processGroup();
    }

    /**
     * Trains the model that {@code model} builds (called once, right after the global RNG is seeded
     * with {@code --seed}, so every rank builds the same initial model) on {@code data}.
     */
    static void run(JobContext ctx, String job, TrainArgs args, Supplier<Module> model, Objective objective,
                    TrainingData data) throws IOException {
        new Trainer(ctx, job, args, objective, data).run(model);
    }

    private void run(Supplier<Module> factory) throws IOException {
        int rank = ctx.rank();
        Path runDir = ctx.runDir();
        Files.createDirectories(runDir);
        Tensor.manualSeed(args.seed());
        Module model = factory.get();
        SGD opt = new SGD(model.parameters(), args.lr(), args.momentum());
        LRScheduler schedule = args.schedule() == TrainArgs.Schedule.COSINE ? new CosineAnnealingLR(opt, args.epochs()) : null;

        List<EpochMetrics> history = new ArrayList<>();
        Path checkpoint = runDir.resolve(CHECKPOINT);
        int start = 0;
        long step = 0;
        boolean restarted = !"0".equals(System.getenv().getOrDefault(Agent.RESTART_COUNT, "0"));
        if (args.resume() || (restarted && Files.exists(checkpoint))) {
            TrainingCheckpoint ck = resume(checkpoint, model, opt, schedule);
            start = ck.epoch();
            step = ck.step();
            int done = start;
            history.addAll(EpochMetrics.readCsv(runDir.resolve(METRICS_CSV)).stream().filter(m -> m.epoch() <= done).toList());
            log("resuming from " + checkpoint + ": " + done + " epochs (" + step + " steps) done", false);
        }
        if (allReduce(ReduceOp.MAX, start)[0] != start || allReduce(ReduceOp.MIN, start)[0] != start) {
            throw new IllegalStateException(job + ": ranks disagree on the epoch to resume from (rank " + rank + " has "
                    + start + " epochs done): every machine's run directory needs the same checkpoint");
        }
        // One worker has nothing to average: without the wrapper a step saves a copy of every
        // gradient into the bucket and back.
        Module net = ctx.worldSize() == 1 ? model : args.bucketKb() > 0
                ? new DistributedDataParallel(model, pg, args.bucketKb() * 1024L) : new DistributedDataParallel(model, pg);
        log("rank " + rank + "/" + ctx.worldSize() + ": " + model.numParameters() + " parameters, " + data.describe()
                + ", batch " + args.batchSize() + " per rank", true);

        Progress progress = Progress.forRank(rank == 0);
        for (int epoch = start; epoch < args.epochs(); epoch++) {
            double lr = opt.lr();
            long t0 = System.nanoTime();
            double[] train = train(net, opt, epoch, progress);
            double seconds = (System.nanoTime() - t0) / 1e9;
            double[] test = evaluate(model);
            step += (long) train[3];
            double[] global = allReduce(ReduceOp.SUM, train[0], train[1], train[2], test[0], test[1], test[2]);
            if (schedule != null) {
                schedule.step();
            }
            EpochMetrics m = new EpochMetrics(epoch + 1, lr, global[0] / global[2], global[1] / global[2], global[3] / global[5],
                    global[4] / global[5], seconds, global[2] / seconds);
            history.add(m);
            log(String.format(Locale.ROOT, "epoch %d/%d  loss %.4f  accuracy %.2f%%  test loss %.4f  test accuracy %.2f%%"
                            + "  time %.1fs  (%.0f samples/s)", m.epoch(), args.epochs(), m.trainLoss(), 100 * m.trainAccuracy(),
                    m.testLoss(), 100 * m.testAccuracy(), m.seconds(), m.samplesPerSecond()), false);
            if (rank == 0) {
                EpochMetrics.writeCsv(runDir.resolve(METRICS_CSV), history);
                plot(runDir.resolve(METRICS_PNG), history);
            }
            if (ctx.localRank() == 0) {
                // "epoch" is the one to train next, from its first batch
                TrainingCheckpoint.capture(model, opt, schedule, epoch + 1, step, 0).save(checkpoint);
            }
        }
        if (rank == 0) {
            Path out = runDir.resolve(MODEL);
            Checkpoint.save(out, model.stateDict());
            log("saved final parameters to " + out, false);
        }
        if (args.saveAllRanks()) {
            Checkpoint.save(runDir.resolve("model-rank" + rank + ".safetensors"), model.stateDict());
        }
    }

    /** Loads {@code file} into the fresh {@code model} and {@code opt}, and the global RNG. */
    private TrainingCheckpoint resume(Path file, Module model, SGD opt, LRScheduler schedule) {
        if (!Files.exists(file)) {
            throw new IllegalArgumentException(job + ": --resume: no checkpoint " + file
                    + " (pass the run directory of the run to continue with torus run --run-dir DIR)");
        }
        TrainingCheckpoint ck = TrainingCheckpoint.load(file);
        if (ck.samplerPosition() != 0) {
            throw new IllegalArgumentException(job + ": --resume: " + file + " was taken in the middle of epoch " + (ck.epoch() + 1)
                    + " (batch " + ck.samplerPosition() + "); the built-in jobs resume at epoch boundaries only");
        }
        if (ck.epoch() > args.epochs()) {
            throw new IllegalArgumentException(job + ": --resume: " + file + " holds " + ck.epoch()
                    + " epochs, more than --epochs " + args.epochs());
        }
        if (schedule != null && ck.scheduler().isEmpty()) {
            throw new IllegalArgumentException(job + ": --resume: " + file + " comes from a run without a schedule: "
                    + "resume it with --schedule constant");
        }
        ck.restore(model, opt, schedule, Generator.global());
        return ck;
    }

    /**
     * One epoch of training steps on this rank's share.
     *
     * @return this rank's {loss × rows, rows predicted right, rows, steps}
     */
    private double[] train(Module net, SGD opt, int epoch, Progress progress) {
        DataLoader loader = data.loader(epoch, args.batchSize());
        // every rank must take the same number of steps (DDP all-reduces in each): the smallest count
        int steps = (int) allReduce(ReduceOp.MIN, loader.size())[0];
        double lossSum = 0;
        long correct = 0;
        long rows = 0;
        int step = 0;
        net.train();
        progress.start(epoch, args.epochs(), steps);
        for (Batch b : loader) {
            if (step == steps) {
                break;
            }
            Timeline.Span stepSpan = Timeline.span(Timeline.COMPUTE, "step").args("epoch", epoch + 1, "step", step + 1);
            opt.zeroGrad();
            Tensor output;
            Tensor loss;
            try (Timeline.Span s = Timeline.span(Timeline.COMPUTE, "forward")) {
                output = net.forward(b.input());
                loss = objective.loss(output, b.target());
            }
            try (Timeline.Span s = Timeline.span(Timeline.COMPUTE, "backward")) {
                loss.backward();
            }
            try (Timeline.Span s = Timeline.span(Timeline.COMPUTE, "optimizer step")) {
                opt.step();
            }
            stepSpan.close();
            step++;
            if (!firstStepReported) {
                firstStepReported = true;
                reportFirstStep();
            }
            lossSum += loss.item() * b.size();
            rows += b.size();
            try (GradMode.Scope s = GradMode.noGrad()) {
                correct += objective.correct(output, b.target());
            }
            progress.step(step, lossSum / rows, (double) correct / rows, rows * (long) ctx.worldSize());
        }
        progress.clear();
        return new double[] {lossSum, correct, rows, steps};
    }

    /**
     * Scores this rank's contiguous slice of the test set.
     *
     * @return this rank's {loss × rows, rows predicted right, rows}
     */
    private double[] evaluate(Module model) {
        TensorDataset test = data.test();
        int n = test.size();
        int from = (int) ((long) n * ctx.rank() / ctx.worldSize());
        int to = (int) ((long) n * (ctx.rank() + 1) / ctx.worldSize());
        double lossSum = 0;
        long correct = 0;
        model.eval();
        try (GradMode.Scope s = GradMode.noGrad()) {
            for (int i = from; i < to; i += EVAL_CHUNK) {
                TensorDataset part = test.slice(i, Math.min(to, i + EVAL_CHUNK));
                Tensor output = model.forward(part.inputs());
                lossSum += objective.loss(output, part.targets()).item() * part.size();
                correct += objective.correct(output, part.targets());
            }
        }
        return new double[] {lossSum, correct, to - from};
    }

    /** The plot is a convenience: a JVM that cannot draw (no fonts, say) reports it and trains on. */
    private void plot(Path file, List<EpochMetrics> history) {
        try {
            MetricsPlot.write(file, job + " on " + ctx.worldSize() + (ctx.worldSize() == 1 ? " worker" : " workers"), history);
        } catch (IOException | RuntimeException | LinkageError | java.awt.AWTError e) {
            log("could not draw " + file + ": " + e, false);
        }
    }

    /** Element-wise all-reduce of a few numbers (FLOAT32, as the ring carries; exact for counts below 2^24). */
    private double[] allReduce(ReduceOp op, double... values) {
        float[] f = new float[values.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) values[i];
        }
        Tensor t = Tensor.of(f, f.length);
        pg.allReduce(t, op);
        float[] r = t.toFloatArray();
        double[] out = new double[r.length];
        for (int i = 0; i < r.length; i++) {
            out[i] = r[i];
        }
        return out;
    }

    /**
     * Start-up time: rank 0 says when its first training step was done, counted from the moment
     * {@code torus} started ({@link Agent#LAUNCH_MILLIS}), once per worker JVM.
     */
    private void reportFirstStep() {
        long ms = Agent.millisSinceLaunch();
        long jvm = System.currentTimeMillis() - java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime();
        long cpu = ProcessHandle.current().info().totalCpuDuration().map(java.time.Duration::toMillis).orElse(-1L);
        if (ms >= 0) {
            log("first training step done " + ms + " ms after torus started (this worker: " + jvm + " ms since its JVM "
                    + "started, " + cpu + " ms of CPU)", false);
        }
    }

    private void log(String line, boolean everyRank) {
        if (everyRank || ctx.rank() == 0) {
            System.out.println(line);
            System.out.flush();
        }
    }
}
