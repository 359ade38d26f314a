package io.torus.launcher;

import io.torus.launcher.config.TorusConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code torus spark-submit}: run a job as one Spark barrier stage, this JVM being the driver. */
@Command(name = "spark-submit", mixinStandardHelpOptions = true, versionProvider = TorusCli.Version.class,
        sortOptions = false,
        description = {"Runs JOB data-parallel on a Spark cluster: --num-workers barrier tasks, one rank each, "
                + "with this JVM as the Spark driver and MNIST's training set as the hosted data."},
        footer = {"",
            "Exit status: 0 when the job succeeded on every worker; 1 when it failed;",
            "2 for a usage error.",
            "",
            "Examples:",
            "  torus spark-submit mnist-mlp --epochs 1",
            "  torus spark-submit --master spark://127.0.0.1:7077 --num-workers 4 mnist-mlp"})
final class SparkSubmitCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--master", paramLabel = "URL", description = "Spark master URL (default: ${DEFAULT-VALUE}).")
    String master;

    @Option(names = "--num-workers", paramLabel = "N",
            description = "Data-parallel workers, one Spark task each (default: ${DEFAULT-VALUE}).")
    int numWorkers;

    @Option(names = "--run-dir", paramLabel = "DIR",
            description = "Directory for the job's files (default: runs/JOB-spark-yyyyMMdd-HHmmss).")
    Path runDir;

    @Option(names = "--data", paramLabel = "DIR",
            description = "Directory of the MNIST IDX files, the hosted training data (default: $TORUS_MNIST_DIR, "
                    + "else data/mnist).")
    Path dataDir;

    @Option(names = "--config", paramLabel = "FILE",
            description = "A Torus settings file (HOCON .conf, .json or .properties) over conf/torus-defaults.properties.")
    Path configFile;

    @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "A Spark setting; repeatable.")
    List<String> conf = new ArrayList<>();

    @Parameters(index = "0", paramLabel = "JOB",
            description = "A built-in job (see 'torus jobs') or the fully qualified name of a class implementing "
                    + "io.torus.comm.TrainingJob on the classpath.")
    String job;

    @Parameters(index = "1..*", paramLabel = "ARGS", description = "The job's own arguments, passed verbatim.")
    List<String> jobArgs = new ArrayList<>();

    private final Launcher launcher;

    SparkSubmitCommand(Launcher launcher) {
        this.launcher = launcher;
    }

    @Override
    public Integer call() throws Exception {
        SparkSubmitConfig config;
        try {
            TorusConfig settings = CommandSettings.resolve(spec, configFile);
            config = SparkSubmitConfig.of(settings.get("torus.spark-submit.master"),
                    settings.getInt("torus.spark-submit.num-workers"), runDir, dataDir, conf, job, jobArgs, settings);
        } catch (IllegalArgumentException e) {
            throw TorusCli.usage(spec, e);
        }
        return launcher.sparkSubmit(config);
    }
}
