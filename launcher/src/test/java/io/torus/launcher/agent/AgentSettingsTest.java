package io.torus.launcher.agent;

import io.torus.launcher.Defaults;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AgentSettingsTest {

    @Test
    void requiredJvmFlags_areTheParentPomOpens() {
        List<String> flags = AgentSettings.requiredJvmFlags();
        assertTrue(flags.contains("--add-opens=java.base/sun.nio.ch=ALL-UNNAMED"), flags.toString());
        assertTrue(flags.contains("-Dio.netty.tryReflectionSetAccessible=true"), flags.toString());
        assertTrue(flags.stream().noneMatch(f -> f.contains("${")), "unfiltered: " + flags);
    }

    @Test
    void workerProperties_workerKeysOfFileForwardedAndOverridesWin() {
        System.setProperty("torus.test.override", "7");
        try {
            List<String> props = AgentSettings.workerProperties();
            assertTrue(props.contains("-Dtorus.test.override=7"), props.toString());
            for (String key : Defaults.file().stringPropertyNames()) {
                boolean launcherOnly = AgentSettings.LAUNCHER_SECTIONS.stream().anyMatch(key::startsWith);
                assertEquals(!launcherOnly, props.contains("-D" + key + "=" + Defaults.get(key)), key);
            }
            assertFalse(props.stream().anyMatch(p -> p.startsWith("-Dtorus.project.root=")), props.toString());
        } finally {
            System.clearProperty("torus.test.override");
        }
    }

    @Test
    void heapFor_auto_isBetween512mAnd8g() {
        AgentSettings s = AgentSettings.fromDefaults().withWorkerHeap("auto");
        for (int nproc : new int[] {1, 2, 64}) {
            String heap = s.heapFor(nproc);
            long mib = Long.parseLong(heap.substring(0, heap.length() - 1));
            assertTrue(heap.endsWith("m") && mib >= 512 && mib <= 8192, heap);
        }
        assertEquals("3g", s.withWorkerHeap("3g").heapFor(2));
    }

    @Test
    void workerHeap_malformed_rejectedNamingKey() {
        String msg = assertThrows(IllegalArgumentException.class,
                () -> AgentSettings.fromDefaults().withWorkerHeap("lots")).getMessage();
        assertEquals("torus.worker.heap=lots: expected auto or a size such as 2g or 768m", msg);
    }
}
