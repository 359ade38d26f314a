package io.torus.io;

import io.torus.autograd.Tensor;
import io.torus.data.Batch;
import io.torus.data.DataLoader;
import io.torus.data.DistributedSampler;
import io.torus.data.TensorDataset;
import io.torus.nn.F;
import io.torus.nn.Linear;
import io.torus.nn.Module;
import io.torus.nn.ReLU;
import io.torus.nn.Sequential;
import io.torus.optim.Adam;
import io.torus.optim.Optimizer;
import io.torus.optim.ParamGroup;
import io.torus.optim.lr.CosineAnnealingLR;
import io.torus.optim.lr.LRScheduler;
import io.torus.optim.lr.LinearWarmup;
import io.torus.tensor.Generator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainingCheckpointTest {
    private static final int EPOCHS = 2;
    private static final int BATCH = 8;
    private static final int SAMPLES = 40; // 5 batches per epoch, 10 steps in all

    /** Model, optimiser (two groups), warmup-then-cosine schedule and data of one run. */
    private static final class Run {
        final Sequential model;
        final Optimizer opt;
        final LRScheduler sched;
        final DistributedSampler sampler = new DistributedSampler(SAMPLES, 1, 0, true, 3, false);
        final DataLoader loader;

        Run(long initSeed) {
            Tensor.manualSeed(initSeed);
            Linear first = new Linear(4, 8);
            Linear last = new Linear(8, 3);
            model = new Sequential(first, new ReLU(), last);
            opt = new Adam(List.of(new ParamGroup(first.parameters()), new ParamGroup(last.parameters(), 0.02)),
                    0.01, 0.9, 0.999, 1e-8, 1e-4, false);
            sched = new LinearWarmup(opt, 3, 0.1).then(new CosineAnnealingLR(opt, 7, 1e-4));
            Generator data = new Generator(7);
            Tensor x = Tensor.randn(data, SAMPLES, 4);
            Tensor y = Tensor.randint(0, 3, data, SAMPLES);
            loader = new DataLoader(new TensorDataset(x, y), BATCH, sampler, false, 2);
        }

        /** Trains from (epoch, batch) to the end, calling {@code atStep} before each step with the step number. */
        void train(int startEpoch, int startBatch, long startStep, java.util.function.LongConsumer atStep) {
            long step = startStep;
            for (int epoch = startEpoch; epoch < EPOCHS; epoch++) {
                sampler.setEpoch(epoch);
                int batch = epoch == startEpoch ? startBatch : 0;
                for (Batch b : loader.fromBatch(batch)) {
                    atStep.accept(step);
                    Tensor noisy = b.input().add(Tensor.randn(b.input().shape()).mul(0.01)); // draws from the global generator
                    opt.zeroGrad();
                    F.crossEntropy(model.forward(noisy), b.target()).backward();
                    opt.step();
                    sched.step();
                    step++;
                    batch++;
                }
            }
        }

        List<float[]> params() {
            List<float[]> out = new ArrayList<>();
            model.parameters().forEach(p -> out.add(p.toFloatArray()));
            return out;
        }
    }

    @Test
    void resume_fromCheckpointIsBitIdenticalToUninterruptedTraining(@TempDir Path dir) {
        Path file = dir.resolve("ck.safetensors");
        long checkpointStep = 7; // epoch 1, batch 2: mid-epoch, past the warmup
        Run uninterrupted = new Run(42);
        uninterrupted.train(0, 0, 0, step -> {
            if (step == checkpointStep) {
                int epoch = (int) (step / 5);
                TrainingCheckpoint.capture(uninterrupted.model, uninterrupted.opt, uninterrupted.sched, epoch, step, step % 5)
                        .withMetadata("run", "resume-test").save(file);
            }
        });
        long[] rngAfter = Generator.global().state();

        Run resumed = new Run(99); // different initial weights: everything must come from the file
        Generator.global().manualSeed(12345);
        TrainingCheckpoint ck = TrainingCheckpoint.load(file);
        assertEquals(1, ck.epoch());
        assertEquals(7, ck.step());
        assertEquals(2, ck.samplerPosition());
        assertEquals(Map.of("run", "resume-test"), ck.metadata());
        ck.restore(resumed.model, resumed.opt, resumed.sched, Generator.global());
        assertEquals(uninterrupted.sched.lastLr().size(), resumed.sched.lastLr().size());
        resumed.train(ck.epoch(), (int) ck.samplerPosition(), ck.step(), step -> { });

        List<float[]> a = uninterrupted.params();
        List<float[]> b = resumed.params();
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i), b.get(i), "parameter " + i);
        }
        assertArrayEquals(rngAfter, Generator.global().state());
        assertEquals(uninterrupted.sched.lastLr(), resumed.sched.lastLr());
        assertEquals(uninterrupted.opt.paramGroups().get(1).lr(), resumed.opt.paramGroups().get(1).lr());
    }

    @Test
    void save_writesOneSafetensorsFileWithPrefixesAndScalarsInMetadata(@TempDir Path dir) {
        Run run = new Run(1);
        run.train(0, 0, 0, step -> { });
        Path file = dir.resolve("ck.safetensors");
        TrainingCheckpoint.capture(run.model, run.opt, run.sched, 2, 10, 0).save(file);
        Checkpoint.Contents c = Checkpoint.read(file);
        assertTrue(c.tensors().containsKey("model.0.weight"), c.tensors().keySet().toString());
        assertTrue(c.tensors().containsKey("optimizer.param_groups.1.lr"));
        assertTrue(c.tensors().containsKey("optimizer.state.3.exp_avg_sq"));
        assertTrue(c.tensors().containsKey("scheduler.last_epoch"));
        assertEquals("10", c.metadata().get("torus.step"));
        assertEquals("2", c.metadata().get("torus.epoch"));
        assertEquals(Long.toString(Generator.global().state()[1]), c.metadata().get("torus.rng_counter"));
        try (var files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "no temporary file is left behind");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void load_truncatedFileNamesTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("ck.safetensors");
        Run run = new Run(1);
        TrainingCheckpoint.capture(run.model, run.opt, 0, 0, 0).save(file);
        byte[] b = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(b, b.length - 3));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> TrainingCheckpoint.load(file));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void load_flippedDataByteNamesTheFileAndBothChecksums(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("ck.safetensors");
        Run run = new Run(1);
        TrainingCheckpoint.capture(run.model, run.opt, 0, 0, 0).save(file);
        byte[] b = Files.readAllBytes(file);
        long headerLength = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong();
        b[(int) (8 + headerLength + 5)] ^= 0x10;
        Files.write(file, b);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> TrainingCheckpoint.load(file));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("data section CRC-32"), e.getMessage());
    }

    @Test
    void load_plainTensorFileSaysItIsNotATrainingCheckpoint(@TempDir Path dir) {
        Path file = dir.resolve("weights.safetensors");
        Checkpoint.save(file, Map.of("w", Tensor.zeros(2)));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> TrainingCheckpoint.load(file));
        assertTrue(e.getMessage().contains("not a Torus training checkpoint"), e.getMessage());
    }

    @Test
    void restore_intoDifferentModelNamesTheMismatch(@TempDir Path dir) {
        Path file = dir.resolve("ck.safetensors");
        Run run = new Run(1);
        TrainingCheckpoint.capture(run.model, run.opt, 0, 0, 0).save(file);
        Module other = new Sequential(new Linear(4, 9), new ReLU(), new Linear(9, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainingCheckpoint.load(file).restore(other, new Adam(other.parameters(), 0.1), Generator.global()));
        assertTrue(e.getMessage().contains("0.weight"), e.getMessage());
    }
}
