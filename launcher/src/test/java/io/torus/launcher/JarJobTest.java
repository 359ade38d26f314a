package io.torus.launcher;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * A user's job from a jar: a TrainingJob compiled at test time (javax.tools) into a jar that is
 * not on Torus's classpath, run by {@code torus run --jar JAR CLASS} with two real workers and a
 * {@code --config} file for their JVMs.
 */
class JarJobTest {
    private static final String SOURCE = """
            package com.example;

            import io.torus.autograd.Tensor;
            import io.torus.comm.JobContext;
            import io.torus.comm.ReduceOp;
            import io.torus.comm.TrainingJob;
            import java.nio.file.Files;

            public class HelloJob implements TrainingJob {
                @Override
                public void run(JobContext ctx) throws Exception {
                    Tensor t = Tensor.of(new float[] {ctx.rank() + 1}, 1);
                    ctx.processGroup().allReduce(t, ReduceOp.SUM);
                    Files.writeString(ctx.runDir().resolve("hello-" + ctx.rank() + ".txt"),
                            "rank " + ctx.rank() + " of " + ctx.worldSize() + " sum " + t.item() + " args "
                                    + String.join(",", ctx.args()));
                }
            }
            """;

    @TempDir
    Path tmp;

    /** The job in docs/launcher.md's "Writing a job", which must compile too. */
    private static String docsExample() throws Exception {
        String md = Files.readString(TestSupport.projectRoot().resolve("docs/launcher.md"));
        int start = md.indexOf("```java\n") + "```java\n".length();
        return md.substring(start, md.indexOf("```", start));
    }

    private Path compileJar() throws Exception {
        Path src = tmp.resolve("src/com/example/HelloJob.java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, SOURCE);
        Path doc = src.resolveSibling("RegressionJob.java");
        Files.writeString(doc, docsExample());
        Path classes = Files.createDirectories(tmp.resolve("classes"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertNotNull(javac, "a JDK's compiler");
        int rc = javac.run(null, null, null, "-d", classes.toString(), "-cp", System.getProperty("java.class.path"),
                src.toString(), doc.toString());
        assertEquals(0, rc, "javac");
        Path jar = tmp.resolve("my-jobs.jar");
        try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file);
             Stream<Path> files = Files.walk(classes)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                out.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
                Files.copy(f, out);
                out.closeEntry();
            }
        }
        return jar;
    }

    @Test
    void run_jobClassFromJar_runsOnTwoWorkers() throws Exception {
        Path jar = compileJar();
        Path conf = tmp.resolve("small-workers.conf");
        Files.writeString(conf, "torus.worker { heap = 256m, jvm-opts = \"-XX:+UseSerialGC -XX:TieredStopAtLevel=1\" }\n");
        Path runDir = tmp.resolve("run");
        int code = assertTimeoutPreemptively(Duration.ofSeconds(120), () -> TorusCli.commandLine(Launcher.standard())
                .execute("run", "--config", conf.toString(), "--nproc-per-node", "2", "--run-dir", runDir.toString(),
                        "--jar", jar.toString(), "com.example.HelloJob", "a", "b c"));
        assertEquals(0, code);
        for (int r = 0; r < 2; r++) {
            assertEquals("rank " + r + " of 2 sum 3.0 args a,b c", Files.readString(runDir.resolve("hello-" + r + ".txt")));
        }
    }

    @Test
    void run_classNotInJar_usageErrorNamesTheJar() throws Exception {
        Path jar = compileJar();
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine cl = TorusCli.commandLine(Launcher.standard());
        cl.setErr(new java.io.PrintWriter(err, true));
        assertEquals(2, cl.execute("run", "--jar", jar.toString(), "--run-dir", tmp.resolve("r").toString(),
                "com.example.NoSuchJob"));
        org.junit.jupiter.api.Assertions.assertTrue(err.toString().contains("com.example.NoSuchJob"), err.toString());
        org.junit.jupiter.api.Assertions.assertTrue(err.toString().contains(jar.getFileName().toString()), err.toString());
    }
}
