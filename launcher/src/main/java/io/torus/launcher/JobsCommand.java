package io.torus.launcher;

import io.torus.comm.TrainingJob;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** {@code torus jobs}: the built-in jobs, one line each. */
@Command(name = "jobs", mixinStandardHelpOptions = true, versionProvider = TorusCli.Version.class,
        description = "Lists the built-in jobs.")
final class JobsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        int width = BuiltinJobs.all().stream().mapToInt(b -> b.name().length()).max().orElse(0);
        out.println("Built-in jobs (torus run JOB [ARGS...]):");
        for (BuiltinJobs.Builtin b : BuiltinJobs.all()) {
            String missing = BuiltinJobs.isAvailable(b) ? "" : " [not built: " + b.className() + " is missing]";
            out.printf("  %-" + width + "s  %s%s%n", b.name(), b.description(), missing);
        }
        out.println();
        out.println("Arguments of the built-in jobs (after JOB):");
        StringBuilder line = new StringBuilder(" ");
        for (String arg : BuiltinJobs.COMMON_ARGS.split(" {2}")) {
            if (line.length() + arg.length() > 98) {
                out.println(line);
                line = new StringBuilder(" ");
            }
            line.append(' ').append(arg);
        }
        out.println(line);
        out.println("Each writes metrics.csv, metrics.png, a checkpoint per epoch and model.safetensors to the run directory.");
        out.println();
        out.println("Any other JOB is the fully qualified name of a class implementing " + TrainingJob.class.getName()
                + ", on the classpath or in --jar.");
        out.flush();
        return 0;
    }
}
