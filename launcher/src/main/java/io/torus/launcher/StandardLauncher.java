package io.torus.launcher;

import io.torus.launcher.agent.Agent;
import io.torus.launcher.agent.AgentSettings;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;

/** The real {@link Launcher}: the local agent for {@code run}, Spark's entry point for {@code spark-submit}. */
final class StandardLauncher implements Launcher {
    /** Entry point of spark-integration, called by name so the launcher compiles without it. */
    static final String SPARK_SUBMIT_CLASS = "io.torus.spark.SparkSubmit";

    @Override
    public int run(LaunchConfig c) throws Exception {
        DeviceCheck.requireUsable(c); // --device cuda on a machine without one fails here, before any worker starts
        System.err.printf("torus: job %s (%s), ranks %d..%d of %d on this node, rendezvous %s, job id %s%n",
                c.job(), c.jobClass(), c.globalRank(0), c.globalRank(c.nprocPerNode() - 1), c.worldSize(),
                c.rdzvEndpoint(), c.jobId());
        System.err.println("torus: run dir " + c.runDir());
        int code = new Agent(AgentSettings.from(c.settings())).run(c);
        if (code == 0) {
            System.err.println("torus: all " + c.nprocPerNode() + " workers finished");
        }
        return code;
    }

    @Override
    public int sparkSubmit(SparkSubmitConfig c) throws Exception {
        Method entry;
        try {
            Class<?> submit = Class.forName(SPARK_SUBMIT_CLASS);
            try {
                entry = submit.getMethod("run", String[].class);   // returns the exit status
            } catch (NoSuchMethodException e) {
                entry = submit.getMethod("main", String[].class);
            }
        } catch (ClassNotFoundException | NoSuchMethodException e) {
            throw new IllegalStateException("spark-submit needs " + SPARK_SUBMIT_CLASS
                    + ".run(String[]) or .main(String[]) from the spark-integration module, which is not on the classpath",
                    e);
        }
        Files.createDirectories(c.runDir());
        System.err.printf("torus: job %s (%s) on Spark %s with %d workers, run dir %s%n", c.job(), c.jobClass(),
                c.master(), c.numWorkers(), c.runDir());
        try {
            Object status = entry.invoke(null, (Object) c.toSparkSubmitArgs());
            return status instanceof Integer code ? code : 0;
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        }
    }
}
