package io.torus.launcher;

import io.torus.comm.TrainingJob;

import java.io.IOException;
import java.lang.reflect.Modifier;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The jobs that ship with Torus, by short name, and the rule that turns a command line's JOB into
 * the class a worker runs: a built-in name maps to its class; anything else is the fully qualified
 * name of a class implementing {@link TrainingJob}, found on Torus's classpath or in {@code --jar}.
 */
public final class BuiltinJobs {

    /** A job that ships with Torus. Classes are named by string: they may live in any module. */
    public record Builtin(String name, String className, String description) {
    }

    private static final List<Builtin> ALL = List.of(
            new Builtin("mnist-mlp", "io.torus.launcher.jobs.MnistMlpJob",
                    "784-256-128-10 MLP on MNIST, SGD with momentum, cross-entropy (3 epochs, lr 0.05)"),
            new Builtin("mnist-cnn", "io.torus.launcher.jobs.MnistCnnJob",
                    "LeNet-5 CNN on MNIST, SGD with momentum, cross-entropy (3 epochs, lr 0.02, cosine schedule)"),
            new Builtin("logreg", "io.torus.launcher.jobs.LogRegJob",
                    "logistic regression on MNIST digits 3 vs 8 (--digits A,B), binary cross-entropy (3 epochs, lr 0.01)"));

    /** The arguments every built-in job takes ({@code io.torus.launcher.jobs.TrainArgs}). */
    public static final String COMMON_ARGS = "--epochs N  --batch-size N (per rank, 64)  --lr X  --momentum X (0.9)"
            + "  --schedule constant|cosine  --seed N (42)  --data DIR (MNIST; $TORUS_MNIST_DIR)"
            + "  --resume (from the run directory's checkpoint)  --save-all-ranks";

    private BuiltinJobs() {
    }

    public static List<Builtin> all() {
        return ALL;
    }

    public static Optional<Builtin> byName(String name) {
        return ALL.stream().filter(b -> b.name().equals(name)).findFirst();
    }

    /** Whether the built-in's class is on Torus's own classpath. */
    public static boolean isAvailable(Builtin builtin) {
        try {
            Class.forName(builtin.className(), false, BuiltinJobs.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** The class name for {@code job}, without loading anything: a built-in's class, else {@code job} itself. */
    public static String className(String job) {
        return byName(job).map(Builtin::className).orElse(job);
    }

    /** A short name for {@code job}, for run directories and job ids: the built-in name or the simple class name. */
    public static String shortName(String job) {
        if (byName(job).isPresent()) {
            return job;
        }
        String simple = job.substring(job.lastIndexOf('.') + 1);
        simple = simple.substring(simple.lastIndexOf('$') + 1);
        return simple.isEmpty() ? "job" : simple;
    }

    /**
     * Resolves {@code job} to the name of a class that a worker can instantiate: it must load (from
     * the classpath, or from {@code jar} when given), implement {@link TrainingJob}, be public and
     * concrete, and have a public no-arg constructor. The class is not initialized.
     *
     * @throws IllegalArgumentException naming the job and what was expected
     */
    public static String resolve(String job, Path jar) {
        if (job == null || job.isBlank()) {
            throw new IllegalArgumentException("JOB is missing: expected " + expectation());
        }
        String className = className(job);
        try (URLClassLoader loader = jar == null ? null : jarLoader(jar)) {
            ClassLoader cl = loader != null ? loader : BuiltinJobs.class.getClassLoader();
            check(job, Class.forName(className, false, cl));
            return className;
        } catch (ClassNotFoundException | NoClassDefFoundError e) {
            if (byName(job).isPresent()) {
                throw new IllegalArgumentException("built-in job '" + job + "': its class " + className
                        + " is not on the classpath (is the launcher built?)");
            }
            String where = jar == null ? "on the classpath" : "on the classpath or in " + jar;
            String hint = className.contains(".") ? "class " + className + " not found " + where
                    : "not a built-in job";
            throw new IllegalArgumentException("unknown job '" + job + "' (" + hint + "): expected " + expectation());
        } catch (IOException e) {
            throw new IllegalArgumentException("--jar " + jar + ": cannot be read (" + e.getMessage() + ")");
        }
    }

    private static String expectation() {
        return "a built-in job (" + ALL.stream().map(Builtin::name).collect(Collectors.joining(", "))
                + ") or the fully qualified name of a class implementing " + TrainingJob.class.getName()
                + " (see `torus jobs`)";
    }

    private static void check(String job, Class<?> c) {
        String what = "job '" + job + "' (" + c.getName() + ")";
        if (!TrainingJob.class.isAssignableFrom(c)) {
            throw new IllegalArgumentException(what + " does not implement " + TrainingJob.class.getName());
        }
        if (c.isInterface() || Modifier.isAbstract(c.getModifiers())) {
            throw new IllegalArgumentException(what + " is abstract: expected a concrete class");
        }
        if (!Modifier.isPublic(c.getModifiers())) {
            throw new IllegalArgumentException(what + " is not public: expected a public class");
        }
        try {
            c.getConstructor();
        } catch (NoSuchMethodException e) {
            throw new IllegalArgumentException(what + " has no public no-arg constructor");
        }
    }

    private static URLClassLoader jarLoader(Path jar) throws MalformedURLException {
        return new URLClassLoader(new URL[] {jar.toUri().toURL()}, BuiltinJobs.class.getClassLoader());
    }
}
