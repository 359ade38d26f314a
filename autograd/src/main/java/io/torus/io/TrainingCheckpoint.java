package io.torus.io;

import io.torus.autograd.Tensor;
import io.torus.nn.Module;
import io.torus.optim.Optimizer;
import io.torus.optim.lr.LRScheduler;
import io.torus.tensor.Generator;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Everything a training run needs to go on exactly where it stopped: the model's and the
 * optimiser's state dicts, the scheduler's state (empty when there is none), the epoch, the
 * global step, the sampler position (the index of the next batch within the epoch), the random
 * generator's state and free-form user metadata.
 *
 * <p>{@link #save} writes ONE safetensors file atomically ({@link Checkpoint}): the tensors under
 * {@code model.}, {@code optimizer.} and {@code scheduler.} prefixes, the scalars as
 * {@code __metadata__} strings ({@code torus.checkpoint}, {@code torus.epoch},
 * {@code torus.step}, {@code torus.sampler_position}, {@code torus.rng_seed},
 * {@code torus.rng_counter}) beside the user's
 * own keys, and the checksums of Note [Checkpoint integrity]. PyTorch can read the tensors of such
 * a file with {@code safetensors.torch.load_file}.
 *
 * <pre>{@code
 * // every N steps
 * TrainingCheckpoint.capture(model, opt, sched, epoch, step, batchInEpoch).save(path);
 * // on restart, into freshly built objects
 * TrainingCheckpoint ck = TrainingCheckpoint.load(path);
 * ck.restore(model, opt, sched, Generator.global());
 * sampler.setEpoch(ck.epoch());
 * for (Batch b : loader.fromBatch((int) ck.samplerPosition())) { ... }
 * }</pre>
 * A resumed run repeats an uninterrupted one bit for bit when everything random in it draws from
 * the restored generator or from a sampler whose order depends only on (seed, epoch), such as
 * {@link io.torus.data.DistributedSampler}. A {@link io.torus.data.RandomSampler} on the global
 * generator draws its permutation when an epoch starts, so resume those at epoch boundaries.
 *
 * @param model the model's state dict (copies)
 * @param optimizer the optimiser's state dict (Note [Optimizer state dict])
 * @param scheduler the scheduler's state dict, empty without a scheduler
 * @param epoch the epoch being trained (0-based)
 * @param step optimiser steps taken since the start of training
 * @param samplerPosition the index within the epoch of the next batch to train on
 * @param rng the generator's (seed, counter)
 * @param metadata the user's own string metadata (keys must not start with {@code torus.})
 */
public record TrainingCheckpoint(
        Map<String, Tensor> model,
        Map<String, Tensor> optimizer,
        Map<String, Tensor> scheduler,
        int epoch,
        long step,
        long samplerPosition,
        RngState rng,
        Map<String, String> metadata) {

    private static final String KIND = "torus.checkpoint";
    private static final String VERSION = "training/1";
    private static final String PREFIX = "torus.";

    /** A {@link Generator}'s state, as {@link Generator#state()}. */
    public record RngState(long seed, long counter) {
        public static RngState of(Generator g) {
            long[] s = g.state();
            return new RngState(s[0], s[1]);
        }

        public void restore(Generator g) {
            g.setState(new long[] {seed, counter});
        }
    }

    public TrainingCheckpoint {
        Objects.requireNonNull(rng, "rng");
        if (epoch < 0 || step < 0 || samplerPosition < 0) {
            throw new IllegalArgumentException("TrainingCheckpoint: epoch " + epoch + ", step " + step + " and samplerPosition "
                    + samplerPosition + " must all be >= 0");
        }
        for (String key : metadata.keySet()) {
            if (key.startsWith(PREFIX) || key.equals("format")) {
                throw new IllegalArgumentException("TrainingCheckpoint: metadata key '" + key
                        + "' is reserved (keys starting with torus. and 'format' are Torus's own)");
            }
        }
        model = frozen(model);
        optimizer = frozen(optimizer);
        scheduler = frozen(scheduler);
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    private static <V> Map<String, V> frozen(Map<String, V> m) {
        return Collections.unmodifiableMap(new LinkedHashMap<>(m));
    }

    /** A snapshot of {@code model}, {@code optimizer} and the global generator, without a scheduler. */
    public static TrainingCheckpoint capture(Module model, Optimizer optimizer, int epoch, long step, long samplerPosition) {
        return capture(model, optimizer, null, epoch, step, samplerPosition);
    }

    /**
     * A snapshot (copies of every tensor) of {@code model}, {@code optimizer}, {@code scheduler}
     * (may be null) and the global generator ({@link #withRng} picks another), with no metadata.
     */
    public static TrainingCheckpoint capture(Module model, Optimizer optimizer, LRScheduler scheduler, int epoch, long step,
            long samplerPosition) {
        Map<String, Tensor> modelState = new LinkedHashMap<>();
        model.stateDict().forEach((k, v) -> modelState.put(k, Tensor.wrap(v.data().copy())));
        return new TrainingCheckpoint(modelState, optimizer.stateDict(), scheduler == null ? Map.of() : scheduler.stateDict(),
                epoch, step, samplerPosition, RngState.of(Generator.global()), Map.of());
    }

    /** This checkpoint with the state of {@code generator} instead. */
    public TrainingCheckpoint withRng(Generator generator) {
        return new TrainingCheckpoint(model, optimizer, scheduler, epoch, step, samplerPosition, RngState.of(generator), metadata);
    }

    /** This checkpoint with {@code key = value} added to the user metadata. */
    public TrainingCheckpoint withMetadata(String key, String value) {
        Map<String, String> m = new LinkedHashMap<>(metadata);
        m.put(key, value);
        return new TrainingCheckpoint(model, optimizer, scheduler, epoch, step, samplerPosition, rng, m);
    }

    /** Writes this checkpoint atomically into one safetensors file (see the class comment for the layout). */
    public void save(Path file) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        model.forEach((k, v) -> tensors.put("model." + k, v));
        optimizer.forEach((k, v) -> tensors.put("optimizer." + k, v));
        scheduler.forEach((k, v) -> tensors.put("scheduler." + k, v));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(KIND, VERSION);
        meta.put("torus.epoch", Integer.toString(epoch));
        meta.put("torus.step", Long.toString(step));
        meta.put("torus.sampler_position", Long.toString(samplerPosition));
        meta.put("torus.rng_seed", Long.toString(rng.seed()));
        meta.put("torus.rng_counter", Long.toString(rng.counter()));
        meta.putAll(metadata);
        Checkpoint.save(file, tensors, meta);
    }

    /**
     * Reads a file written by {@link #save}.
     *
     * @throws IllegalStateException naming the file when it is truncated or corrupt, is a plain
     *     tensor file rather than a training checkpoint, or holds a value that does not parse
     */
    public static TrainingCheckpoint load(Path file) {
        Checkpoint.Contents c = Checkpoint.read(file);
        Map<String, String> meta = new LinkedHashMap<>(c.metadata());
        String kind = meta.remove(KIND);
        if (!VERSION.equals(kind)) {
            throw new IllegalStateException("checkpoint " + file + " is not a Torus training checkpoint: metadata " + KIND + " is "
                    + (kind == null ? "absent (a plain tensor file? read it with Checkpoint.load)" : "'" + kind + "'")
                    + ", expected '" + VERSION + "'");
        }
        meta.remove("format");
        int epoch = (int) number(file, meta, "torus.epoch");
        long step = number(file, meta, "torus.step");
        long position = number(file, meta, "torus.sampler_position");
        RngState rng = new RngState(number(file, meta, "torus.rng_seed"), number(file, meta, "torus.rng_counter"));
        meta.keySet().removeIf(k -> k.startsWith(PREFIX));
        Map<String, Tensor> model = new LinkedHashMap<>();
        Map<String, Tensor> optimizer = new LinkedHashMap<>();
        Map<String, Tensor> scheduler = new LinkedHashMap<>();
        c.tensors().forEach((k, v) -> {
            int dot = k.indexOf('.');
            Map<String, Tensor> into = dot < 0 ? null : switch (k.substring(0, dot)) {
                case "model" -> model;
                case "optimizer" -> optimizer;
                case "scheduler" -> scheduler;
                default -> null;
            };
            if (into == null) {
                throw new IllegalStateException("checkpoint " + file + " is corrupt: tensor '" + k
                        + "' has none of the prefixes model., optimizer., scheduler.");
            }
            into.put(k.substring(dot + 1), v);
        });
        return new TrainingCheckpoint(model, optimizer, scheduler, epoch, step, position, rng, meta);
    }

    private static long number(Path file, Map<String, String> meta, String key) {
        String v = meta.remove(key);
        if (v == null) {
            throw new IllegalStateException("checkpoint " + file + " is corrupt: metadata " + key + " is missing");
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalStateException("checkpoint " + file + " is corrupt: metadata " + key + " is '" + v
                    + "', expected an integer");
        }
    }

    /**
     * Loads the model (strictly), the optimiser and the generator; scheduler state in the
     * checkpoint, if any, is left unused. The objects must be built as in the run that saved it
     * (same architecture, same parameter groups, same kind of optimiser).
     *
     * @throws IllegalArgumentException naming the first key or shape that does not fit; the
     *     objects may then be partly restored, so build fresh ones before retrying
     */
    public void restore(Module model, Optimizer optimizer, Generator generator) {
        model.loadStateDict(this.model, true);
        optimizer.loadStateDict(this.optimizer);
        rng.restore(generator);
    }

    /** As {@link #restore(Module, Optimizer, Generator)}, and the scheduler too (the checkpoint must hold its state). */
    public void restore(Module model, Optimizer optimizer, LRScheduler scheduler, Generator generator) {
        if (scheduler != null && this.scheduler.isEmpty()) {
            throw new IllegalArgumentException("TrainingCheckpoint.restore: a " + scheduler.getClass().getSimpleName()
                    + " was passed but the checkpoint holds no scheduler state");
        }
        restore(model, optimizer, generator);
        if (scheduler != null) {
            scheduler.loadStateDict(this.scheduler);
        }
    }
}
