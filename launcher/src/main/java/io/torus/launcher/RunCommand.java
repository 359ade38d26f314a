package io.torus.launcher;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code torus run}: start this machine's workers of a data-parallel job and wait for them. */
@Command(name = "run", mixinStandardHelpOptions = true, versionProvider = TorusCli.Version.class,
        sortOptions = false,
        description = {"Runs JOB data-parallel: starts --nproc-per-node worker JVMs on this machine, one rank each, "
                + "joins them into one process group with the workers of the other nodes, and waits for all of them."},
        footer = {"",
            "Each worker's output is printed with a '[rank N] ' prefix and saved as DIR/rank-N.log.",
            "Workers get the TORUS_* environment (rank, world size, local rank, rendezvous",
            "endpoint, job id, run dir, device, restart count; see docs/launcher.md).",
            "Settings: conf/torus-defaults.properties < --config FILE < TORUS_* environment",
            "variables < -D system properties (TORUS_JAVA_OPTS) < flags.",
            "",
            "Exit status: 0 when every worker's job returned normally; 1 when a worker failed",
            "(the others are stopped); 2 for a usage error; 130 after SIGINT (Ctrl-C), 143 after SIGTERM.",
            "",
            "Examples:",
            "  torus run --nproc-per-node 2 mnist-mlp --epochs 3",
            "  torus run --jar my-jobs.jar com.example.MyJob --lr 0.1",
            "  Two machines; on node R (0 or 1):",
            "  torus run --nnodes 2 --node-rank R --rdzv-endpoint node0:29400 mnist-mlp"})
final class RunCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--nproc-per-node", paramLabel = "N",
            description = "Worker processes on this machine (default: ${DEFAULT-VALUE}).")
    int nprocPerNode;

    @Option(names = "--nnodes", paramLabel = "M", description = "Machines taking part (default: ${DEFAULT-VALUE}).")
    int nnodes;

    @Option(names = "--node-rank", paramLabel = "R",
            description = "This machine's index, 0..M-1 (default: ${DEFAULT-VALUE}).")
    int nodeRank;

    @Option(names = "--rdzv-endpoint", paramLabel = "HOST:PORT",
            description = "Where rank 0's rendezvous listens; required with --nnodes > 1 "
                    + "(default: 127.0.0.1 and a free port).")
    String rdzvEndpoint;

    @Option(names = "--job-id", paramLabel = "ID",
            description = "Unique id of the run, the same on every node (default: JOB, time and a random "
                    + "suffix; with --nnodes > 1 derived from JOB and the endpoint).")
    String jobId;

    @Option(names = "--run-dir", paramLabel = "DIR",
            description = "Directory for rank logs and the job's files (default: runs/JOB-yyyyMMdd-HHmmss).")
    Path runDir;

    @Option(names = "--jar", paramLabel = "PATH", description = "A jar to add to the workers' classpath, holding JOB.")
    Path jar;

    @Option(names = "--device", paramLabel = "cpu|cuda[:N]",
            description = "Device of every worker; 'cuda' gives local rank i cuda:i (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--config", paramLabel = "FILE",
            description = "A settings file (HOCON .conf, .json or .properties) over conf/torus-defaults.properties; "
                    + "environment variables (TORUS_RUN_NPROC_PER_NODE, ...) and flags override it.")
    Path configFile;

    @Option(names = "--max-restarts", paramLabel = "K",
            description = "Restart all local workers up to K times after a failure; single node only "
                    + "(default: ${DEFAULT-VALUE}).")
    int maxRestarts;

    @Option(names = "--timeline", paramLabel = "FILE",
            description = "Record each rank's forward, backward, optimizer steps and collectives (every DDP bucket's "
                    + "all-reduce) and write them to FILE as a Chrome trace (open in https://ui.perfetto.dev); "
                    + "with --nnodes > 1, each machine writes its own ranks.")
    Path timeline;

    @Parameters(index = "0", paramLabel = "JOB",
            description = "A built-in job (see 'torus jobs') or the fully qualified name of a class implementing "
                    + "io.torus.comm.TrainingJob.")
    String job;

    @Parameters(index = "1..*", paramLabel = "ARGS", description = "The job's own arguments, passed verbatim.")
    List<String> jobArgs = new ArrayList<>();

    private final Launcher launcher;

    RunCommand(Launcher launcher) {
        this.launcher = launcher;
    }

    @Override
    public Integer call() throws Exception {
        LaunchConfig config;
        try {
            // --nproc-per-node, --nnodes, --node-rank, --device, --max-restarts: the top settings layer.
            config = LaunchConfig.builder(job).settings(CommandSettings.resolve(spec, configFile)).jobArgs(jobArgs)
                    .rdzvEndpoint(rdzvEndpoint).jobId(jobId).runDir(runDir).jar(jar).timeline(timeline).build();
        } catch (IllegalArgumentException e) {
            throw TorusCli.usage(spec, e);
        }
        return launcher.run(config);
    }
}
