package io.torus.launcher;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code torus bench}: the benchmark suites: {@code tensor}, {@code autograd}, {@code comm}, {@code ddp} and {@code train}. */
@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = TorusCli.Version.class,
        synopsisSubcommandLabel = "SUITE",
        description = {"Measures Torus against references run on the same machine in the same run, and prints ratios."},
        footer = {"", "Run 'torus bench SUITE --help' for a suite's options."})
final class BenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing SUITE: expected tensor, autograd, comm, ddp or train");
    }
}
