package io.torus.launcher;

import io.torus.comm.TrainingJob;
import io.torus.launcher.testjobs.AllReduceJob;
import io.torus.launcher.testjobs.NoDefaultConstructorJob;
import io.torus.launcher.testjobs.NotAJob;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BuiltinJobsTest {

    @TempDir
    Path tmp;

    private static String error(String job, Path jar) {
        return assertThrows(IllegalArgumentException.class, () -> BuiltinJobs.resolve(job, jar)).getMessage();
    }

    @Test
    void className_builtinName_mapsToItsClass() {
        assertEquals("io.torus.launcher.jobs.MnistMlpJob", BuiltinJobs.className("mnist-mlp"));
        assertEquals("com.example.Job", BuiltinJobs.className("com.example.Job"));
    }

    @Test
    void all_namesAreUniqueAndDescribed() {
        assertEquals(BuiltinJobs.all().size(),
                BuiltinJobs.all().stream().map(BuiltinJobs.Builtin::name).distinct().count());
        BuiltinJobs.all().forEach(b -> assertTrue(!b.description().isBlank() && b.name().matches("[a-z0-9-]+"), b.name()));
    }

    @Test
    void resolve_classOnClasspath_returnsClassName() {
        assertEquals(AllReduceJob.class.getName(), BuiltinJobs.resolve(AllReduceJob.class.getName(), null));
    }

    @Test
    void resolve_unknownName_listsBuiltins() {
        String msg = error("mnist-mpl", null);
        assertTrue(msg.startsWith("unknown job 'mnist-mpl' (not a built-in job): expected a built-in job (mnist-mlp"), msg);
        assertTrue(msg.contains(TrainingJob.class.getName()), msg);
    }

    @Test
    void resolve_missingClass_namesClassAndWhereItLooked() {
        String msg = error("com.example.Missing", null);
        assertTrue(msg.startsWith("unknown job 'com.example.Missing' (class com.example.Missing not found on the classpath)"),
                msg);
    }

    @Test
    void resolve_notATrainingJob_rejected() {
        assertEquals("job '" + NotAJob.class.getName() + "' (" + NotAJob.class.getName() + ") does not implement "
                + TrainingJob.class.getName(), error(NotAJob.class.getName(), null));
    }

    @Test
    void resolve_noPublicNoArgConstructor_rejected() {
        String job = NoDefaultConstructorJob.class.getName();
        assertEquals("job '" + job + "' (" + job + ") has no public no-arg constructor", error(job, null));
    }

    @Test
    void resolve_classInJar_foundOnlyWithTheJar() throws Exception {
        Path src = tmp.resolve("src/com/example/JarJob.java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, """
                package com.example;
                public class JarJob implements io.torus.comm.TrainingJob {
                    public void run(io.torus.comm.JobContext ctx) { }
                }
                """);
        Path classes = Files.createDirectories(tmp.resolve("classes"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int rc = javac.run(null, null, null, "-d", classes.toString(), "-classpath",
                System.getProperty("java.class.path"), src.toString());
        assertEquals(0, rc);
        Path jar = tmp.resolve("jobs.jar");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out)) {
            j.putNextEntry(new JarEntry("com/example/JarJob.class"));
            j.write(Files.readAllBytes(classes.resolve("com/example/JarJob.class")));
            j.closeEntry();
        }
        assertEquals("com.example.JarJob", BuiltinJobs.resolve("com.example.JarJob", jar));
        assertTrue(error("com.example.JarJob", null).contains("not found on the classpath"));
    }

    @Test
    void shortName_className_isSimpleName() {
        assertEquals("AllReduceJob", BuiltinJobs.shortName(AllReduceJob.class.getName()));
        assertEquals("mnist-mlp", BuiltinJobs.shortName("mnist-mlp"));
        assertEquals("Inner", BuiltinJobs.shortName("a.b.Outer$Inner"));
    }
}
