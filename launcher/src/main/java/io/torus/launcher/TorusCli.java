package io.torus.launcher;

import io.torus.launcher.config.TorusConfig;
import io.torus.launcher.config.Tunables;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Properties;
import java.util.concurrent.Callable;

/**
 * The {@code torus} command: {@code run}, {@code spark-submit}, {@code jobs}, {@code bench}.
 *
 * <p>Flow: picocli parses the flags, the subcommand layers them over the settings
 * ({@link TorusConfig}: {@code conf/torus-defaults.properties}, {@code --config FILE}, environment,
 * system properties; key {@code torus.<subcommand>.<option>}), validates them into a {@link LaunchConfig}
 * or {@link SparkSubmitConfig}, and hands that to a {@link Launcher}.
 *
 * <p>Exit status: what the launcher returns (0 when every worker's job returned normally, 1 when
 * one failed, 130 after SIGINT, 143 after SIGTERM), 2 for a usage error, 1 for any other error.
 */
@Command(name = "torus", mixinStandardHelpOptions = true, versionProvider = TorusCli.Version.class,
        synopsisSubcommandLabel = "COMMAND",
        description = "Distributed data-parallel deep learning for the JVM.",
        footer = {"", "Run 'torus COMMAND --help' for a command's options."})
public final class TorusCli implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine(Launcher.standard()).execute(args));
    }

    /** The command tree, wired to {@code launcher}; set its out/err to capture output. */
    public static CommandLine commandLine(Launcher launcher) {
        CommandLine cl = new CommandLine(new TorusCli());
        cl.addSubcommand(new RunCommand(launcher));
        cl.addSubcommand(new SparkSubmitCommand(launcher));
        cl.addSubcommand(new JobsCommand());
        CommandLine bench = new CommandLine(new BenchCommand());
        bench.addSubcommand(new BenchTensorCommand(launcher));
        bench.addSubcommand(new BenchAutogradCommand());
        bench.addSubcommand(new BenchCommCommand());
        bench.addSubcommand(new BenchDdpCommand());
        bench.addSubcommand(new BenchTrainCommand());
        cl.addSubcommand(bench);
        cl.addSubcommand(new CommandLine.HelpCommand());
        cl.setDefaultValueProvider(new DefaultsProvider());
        // Everything after JOB belongs to the job, even when it looks like one of our options.
        cl.getSubcommands().get("run").setStopAtPositional(true);
        cl.getSubcommands().get("spark-submit").setStopAtPositional(true);
        cl.setParameterExceptionHandler(TorusCli::usageError);
        cl.setExecutionExceptionHandler((ex, c, parseResult) -> {
            c.getErr().println(c.getCommandSpec().qualifiedName() + ": error: " + ex.getMessage());
            if (System.getenv("TORUS_DEBUG") != null) {
                ex.printStackTrace(c.getErr());
            }
            return 1;
        });
        return cl;
    }

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing COMMAND: expected one of run, spark-submit, jobs, bench");
    }

    private static int usageError(ParameterException ex, String[] args) {
        CommandLine c = ex.getCommandLine();
        PrintWriter err = c.getErr();
        String name = c.getCommandSpec().qualifiedName();
        err.println(name + ": " + ex.getMessage());
        UnmatchedArgumentException.printSuggestions(ex, err);
        err.println("Try '" + name + " --help' for more information.");
        return c.getCommandSpec().exitCodeOnInvalidInput();
    }

    /** An {@link IllegalArgumentException} from validation, as a usage error of {@code spec}'s command. */
    static ParameterException usage(CommandSpec spec, IllegalArgumentException e) {
        return new ParameterException(spec.commandLine(), e.getMessage(), e);
    }

    /**
     * Option defaults shown by {@code --help}: {@code --nproc-per-node} of {@code run} is
     * {@code torus.run.nproc-per-node} of {@link TorusConfig#standard()}.
     */
    static final class DefaultsProvider implements IDefaultValueProvider {
        @Override
        public String defaultValue(ArgSpec arg) {
            if (!(arg instanceof OptionSpec option) || option.command() == null) {
                return null;
            }
            String key = CommandSettings.key(option.command().name(), option);
            if (Tunables.get(key) == null) {
                return null;
            }
            try {
                return TorusConfig.standard().get(key);
            } catch (IllegalArgumentException e) {
                return null;   // reported with its source when the command resolves its settings
            }
        }
    }

    /** {@code torus --version}: the build's version (from the jar) and the Java runtime. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = TorusCli.class.getResourceAsStream("launcher.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[] {
                "torus " + p.getProperty("version", "(unknown version)"),
                "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"};
        }
    }
}
