package io.torus.launcher;

/**
 * What the CLI hands a validated configuration to. {@link #standard()} runs the agent and Spark;
 * tests substitute their own to check parsing without starting anything.
 */
public interface Launcher {

    /** Runs this machine's workers of a {@code torus run}; returns the process exit status. */
    int run(LaunchConfig config) throws Exception;

    /** Runs a {@code torus spark-submit}; returns the process exit status. */
    int sparkSubmit(SparkSubmitConfig config) throws Exception;

    static Launcher standard() {
        return new StandardLauncher();
    }
}
