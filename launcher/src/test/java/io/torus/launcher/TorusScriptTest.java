package io.torus.launcher;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** scripts/torus, run through a symlink from another directory, on the test classpath (no build). */
class TorusScriptTest {
    @TempDir
    Path tmp;

    private String torus(String... args) throws Exception {
        Path link = Files.createSymbolicLink(tmp.resolve("torus-" + args.length),
                TestSupport.projectRoot().resolve("scripts/torus"));
        String[] cmd = new String[args.length + 2];
        cmd[0] = "bash";
        cmd[1] = link.toString();
        System.arraycopy(args, 0, cmd, 2, args.length);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile()).redirectErrorStream(true);
        pb.environment().put("TORUS_CLASSPATH", System.getProperty("java.class.path"));
        try {
            return assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                Process p = pb.start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertEquals(0, p.waitFor(), out);
                return out;
            });
        } finally {
            Files.delete(link);
        }
    }

    @Test
    void help_fromAnotherDirectory_printsUsage() throws Exception {
        String out = torus("--help");
        assertTrue(out.startsWith("Usage: torus [-hV] COMMAND"), out);
        assertTrue(out.contains("spark-submit"), out);
    }

    @Test
    void runHelp_forMnistJob_doesNotFetchData() throws Exception {
        String out = torus("run", "--help", "mnist-mlp");
        assertTrue(out.startsWith("Usage: torus run"), out);
        assertTrue(!out.contains("fetch-mnist"), out);
    }
}
