package io.torus.launcher;

import io.torus.launcher.config.TorusConfig;
import io.torus.launcher.config.Tunables;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

import java.nio.file.Path;

/**
 * The top layer of a subcommand's settings: the flags the user typed. Option {@code --nnodes} of
 * {@code torus run} is key {@code torus.run.nnodes}; only options that were given on the command
 * line count (picocli's displayed defaults come from the lower layers, see
 * {@link TorusCli.DefaultsProvider}).
 */
final class CommandSettings {
    private CommandSettings() {
    }

    /** The key an option of {@code command} sets, e.g. {@code torus.run.nproc-per-node}. */
    static String key(String command, OptionSpec option) {
        return "torus." + command + "." + option.longestName().replaceFirst("^-+", "");
    }

    /**
     * Defaults, {@code configFile} (may be null), environment, system properties, then every option
     * of {@code spec} that was given and names a tunable.
     *
     * @throws IllegalArgumentException naming the key, value, source and what was expected
     */
    static TorusConfig resolve(CommandSpec spec, Path configFile) {
        TorusConfig cfg = TorusConfig.load(configFile);
        ParseResult parsed = spec.commandLine().getParseResult();
        for (OptionSpec option : spec.options()) {
            String key = key(spec.name(), option);
            if (parsed.hasMatchedOption(option) && Tunables.get(key) != null) {
                cfg = cfg.withOverride(key, String.valueOf((Object) option.getValue()), "flag " + option.longestName());
            }
        }
        return cfg;
    }
}
