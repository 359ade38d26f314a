package io.torus.launcher.agent;

import io.torus.launcher.config.TorusConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HugePagesTest {

    @TempDir
    Path dir;

    private Path mode(String text) throws IOException {
        Path f = dir.resolve("enabled");
        Files.writeString(f, text + "\n");
        return f;
    }

    @Test
    void jvmFlags_autoFollowsTheKernelsMode() throws IOException {
        assertEquals(List.of(HugePages.FLAG), HugePages.jvmFlags("auto", mode("always [madvise] never")));
        assertEquals(List.of(HugePages.FLAG), HugePages.jvmFlags("auto", mode("[always] madvise never")));
        assertEquals(List.of(), HugePages.jvmFlags("auto", mode("always madvise [never]")));
        assertEquals(List.of(), HugePages.jvmFlags("auto", dir.resolve("missing")));
    }

    @Test
    void jvmFlags_onAndOffIgnoreTheKernel() throws IOException {
        assertEquals(List.of(HugePages.FLAG), HugePages.jvmFlags("on", mode("always madvise [never]")));
        assertEquals(List.of(), HugePages.jvmFlags("off", mode("[always] madvise never")));
    }

    @Test
    void from_workerFlagsCarryTheSettingBeforeTheUsersOptions() {
        TorusConfig off = TorusConfig.standard().withOverride("torus.worker.huge-pages", "off", "flag --test");
        assertFalse(AgentSettings.from(off).jvmFlags().contains(HugePages.FLAG));
        TorusConfig on = TorusConfig.standard().withOverride("torus.worker.huge-pages", "on", "flag --test")
                .withOverride("torus.worker.jvm-opts", "-XX:-UseTransparentHugePages", "flag --test");
        List<String> flags = AgentSettings.from(on).jvmFlags();
        assertTrue(flags.indexOf(HugePages.FLAG) >= 0, flags.toString());
        assertTrue(flags.indexOf(HugePages.FLAG) < flags.indexOf("-XX:-UseTransparentHugePages"),
                "the user's jvm-opts come last and win: " + flags);
    }
}
