package io.torus.launcher.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClassDataArchiveTest {
    @TempDir
    Path tmp;

    private ClassDataArchive archive(String classpath) {
        return ClassDataArchive.in(tmp.resolve("cds"), "/usr/bin/java", List.of("-Xmx1g", "--add-opens=a"), classpath);
    }

    private List<String> names() throws Exception {
        try (Stream<Path> files = Files.list(tmp.resolve("cds"))) {
            return files.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void in_classDirectoryOnClasspath_noArchive() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("classes"));
        assertNull(archive("a.jar:" + dir));
    }

    @Test
    void in_nameDependsOnClasspathButNotOnHeap() {
        assertEquals(archive("a.jar").path(), ClassDataArchive.in(tmp.resolve("cds"), "/usr/bin/java",
                List.of("-Xmx8g", "--add-opens=a"), "a.jar").path());
        assertNotEquals(archive("a.jar").path(), archive("b.jar").path());
    }

    @Test
    void finish_success_publishesAndKeepsTheNewestFew() throws Exception {
        ClassDataArchive a = archive("a.jar");
        a.createFlags();
        for (int i = 0; i < 6; i++) {
            Path old = tmp.resolve("cds/worker-0000000000000000000" + i + ".jsa");
            Files.writeString(old, "old");
            Files.setLastModifiedTime(old, FileTime.fromMillis(1_000_000L * (i + 1)));
        }
        Files.writeString(a.pendingPath(), "archive");
        a.finish(true);
        assertTrue(a.exists());
        List<String> left = names();
        assertEquals(ClassDataArchive.KEEP, left.size(), left.toString());
        assertTrue(left.contains(a.path().getFileName().toString()), left.toString());
        assertTrue(left.contains("worker-00000000000000000005.jsa"), "the newest old ones stay: " + left);
    }

    @Test
    void finish_failure_discardsThePendingArchive() throws Exception {
        ClassDataArchive a = archive("a.jar");
        a.createFlags();
        Files.writeString(a.pendingPath(), "half");
        a.finish(false);
        assertFalse(a.exists());
        assertEquals(List.of(), names());
    }
}
