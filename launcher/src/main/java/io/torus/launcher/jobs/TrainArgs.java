package io.torus.launcher.jobs;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * The arguments every built-in training job takes, validated: {@code --data DIR} (default
 * $TORUS_MNIST_DIR, else data/mnist), {@code --epochs N}, {@code --batch-size N} per rank,
 * {@code --lr X}, {@code --momentum X}, {@code --schedule constant|cosine} (the learning rate per
 * epoch), {@code --seed N} (42), {@code --resume} (continue from the
 * run directory's training checkpoint), {@code --save-all-ranks} (every rank also writes
 * model-rank{r}.safetensors), {@code --bucket-kb N} (DDP's gradient bucket capacity in KiB, like
 * PyTorch's bucket_cap_mb; 0, the default, leaves it to {@code DistributedDataParallel}). A job's
 * defaults come from {@link Defaults}.
 */
record TrainArgs(Path data, int epochs, int batchSize, double lr, double momentum, Schedule schedule, int seed,
                 boolean resume, boolean saveAllRanks, int bucketKb) {
    /** {@code --bucket-kb} when not given: DDP's own default. */
    static final int DEFAULT_BUCKET_KB = 0;

    /** How the learning rate changes from epoch to epoch. */
    enum Schedule {
        /** {@code --lr} throughout. */
        CONSTANT,
        /** Half a cosine from {@code --lr} at the first epoch towards 0 after the last ({@code CosineAnnealingLR}, T_max = epochs). */
        COSINE;

        static Schedule parse(String job, String s) {
            for (Schedule v : values()) {
                if (v.name().equalsIgnoreCase(s)) {
                    return v;
                }
            }
            throw new IllegalArgumentException(job + ": --schedule " + s + ": expected constant or cosine");
        }
    }

    /** A job's own defaults for the arguments whose best value depends on the model. */
    record Defaults(int epochs, int batchSize, double lr, double momentum, Schedule schedule) {
    }

    static final Set<String> KEYS = Set.of("data", "epochs", "batch-size", "lr", "momentum", "schedule", "seed", "bucket-kb");
    static final Set<String> FLAGS = Set.of("resume", "save-all-ranks");

    /** Reads {@code args} as these arguments plus a job's own {@code extraKeys} (which take a value). */
    static JobArgs read(String job, String[] args, String... extraKeys) {
        Set<String> keys = new HashSet<>(KEYS);
        keys.addAll(Set.of(extraKeys));
        return new JobArgs(job, args, keys, FLAGS);
    }

    static TrainArgs from(JobArgs a, Defaults d) {
        String envDir = System.getenv("TORUS_MNIST_DIR");
        return new TrainArgs(a.pathArg("data", envDir != null ? Path.of(envDir) : Path.of("data", "mnist")),
                a.intArg("epochs", d.epochs(), 1), a.intArg("batch-size", d.batchSize(), 1), a.doubleArg("lr", d.lr()),
                a.doubleArg("momentum", d.momentum()), Schedule.parse(a.job(), a.stringArg("schedule", d.schedule().name())),
                a.intArg("seed", 42, 0), a.flag("resume"), a.flag("save-all-ranks"),
                a.intArg("bucket-kb", DEFAULT_BUCKET_KB, 0));
    }

    static TrainArgs parse(String job, String[] args, Defaults d) {
        return from(read(job, args), d);
    }
}
