package io.torus.launcher.agent;

import io.torus.launcher.LaunchConfig;
import io.torus.launcher.TestSupport.Lines;
import io.torus.launcher.config.TorusConfig;
import io.torus.launcher.testjobs.AllReduceJob;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * torus.worker.cds=auto: the first successful run leaves a class-data archive that the next run's workers map.
 * The JVM archives classes from jars only, so the test's class directories are packed into jars first.
 */
class AgentCdsTest {
    @TempDir
    Path tmp;

    /** The test classpath with every class directory packed into a jar in {@code tmp}. */
    private String jarredClasspath() throws Exception {
        List<String> entries = new java.util.ArrayList<>();
        int n = 0;
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path p = Path.of(entry);
            if (!Files.isDirectory(p)) {
                entries.add(entry);
                continue;
            }
            Path jar = tmp.resolve("dir" + (n++) + ".jar");
            try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar));
                 Stream<Path> files = Files.walk(p)) {
                for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                    out.putNextEntry(new java.util.jar.JarEntry(p.relativize(f).toString().replace('\\', '/')));
                    Files.copy(f, out);
                    out.closeEntry();
                }
            }
            entries.add(jar.toString());
        }
        return String.join(java.io.File.pathSeparator, entries);
    }

    @Test
    void run_cdsAuto_firstRunWritesArchiveSecondRunUsesIt() throws Exception {
        Path cdsDir = tmp.resolve("cds");
        TorusConfig settings = TorusConfig.standard().withOverride("torus.worker.cds", "auto", "test")
                .withOverride("torus.worker.cds-dir", cdsDir.toString(), "test");
        Lines console = new Lines(null);
        Lines messages = new Lines(null);
        AgentSettings s = AgentSettings.from(settings).withWorkerHeap("256m")
                .withExtraJvmFlags("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1")
                .withOutput(console.stream, messages.stream).withClasspath(jarredClasspath());
        assertEquals(null, ClassDataArchive.in(cdsDir, s.javaCommand(), s.jvmFlags(),
                System.getProperty("java.class.path")), "class directories cannot be archived: no CDS");

        for (int run = 1; run <= 2; run++) {
            LaunchConfig c = LaunchConfig.builder(AllReduceJob.class.getName()).jobClass(AllReduceJob.class.getName())
                    .settings(settings).runDir(tmp.resolve("run" + run)).build();
            int code = assertTimeoutPreemptively(Duration.ofSeconds(120), () -> new Agent(s).run(c));
            assertEquals(0, code, messages.text() + console.text());
            List<Path> archives;
            try (Stream<Path> files = Files.list(cdsDir)) {
                archives = files.toList();
            }
            assertEquals(1, archives.size(), "one archive, no temporary files left: " + archives);
            assertTrue(archives.get(0).getFileName().toString().matches("worker-[0-9a-f]{20}\\.jsa"), archives.toString());
            assertTrue(Files.size(archives.get(0)) > 1_000_000, "an archive of the loaded classes");
        }
        // Without CDS logging a JVM that rejected the archive would still run: check it ran clean.
        assertTrue(console.text().contains("[rank 0] allReduce ok"), console.text());
        assertTrue(!console.text().contains("[cds]") && !console.text().contains("sharing"), console.text());
    }
}
