package io.torus.launcher.agent;

import io.torus.launcher.config.TorusConfig;
import io.torus.launcher.config.Tunables;
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
    void workerProperties_workerKeysForwardedAndUnknownTorusPropertiesPassThrough() {
        System.setProperty("torus.test.override", "7");
        try {
            TorusConfig settings = TorusConfig.standard().withOverride("torus.comm.io.threads", "3", "flag --test");
            List<String> props = AgentSettings.workerProperties(settings);
            assertTrue(props.contains("-Dtorus.test.override=7"), props.toString());
            assertTrue(props.contains("-Dtorus.comm.io.threads=3"), props.toString());
            for (String key : Tunables.keys()) {
                assertEquals(!Tunables.launcherOnly(key), props.contains("-D" + key + "=" + settings.get(key)), key);
            }
            assertFalse(props.stream().anyMatch(p -> p.startsWith("-Dtorus.project.root=")), props.toString());
        } finally {
            System.clearProperty("torus.test.override");
        }
    }

    @Test
    void from_settings_giveHeapGraceAndTail() {
        TorusConfig settings = TorusConfig.standard().withOverride("torus.worker.heap", "3g", "flag --test")
                .withOverride("torus.agent.kill-grace-ms", "1500", "flag --test")
                .withOverride("torus.worker.jvm-opts", "-XX:+UseSerialGC -Dx=1", "flag --test");
        AgentSettings s = AgentSettings.from(settings);
        assertEquals("3g", s.heapFor(2));
        assertEquals(1500, s.killGrace().toMillis());
        assertTrue(s.jvmFlags().containsAll(List.of("-XX:+UseSerialGC", "-Dx=1")), s.jvmFlags().toString());
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

    @Test
    void youngGeneration_autoIsSmallForOneWorkerOnly_g1AndSizesAsSaid() {
        AgentSettings standard = AgentSettings.fromDefaults();
        assertEquals(List.of("-Xmn" + AgentSettings.SOLO_YOUNG_GEN), standard.youngGenFlags(1));
        assertEquals(List.of(), standard.youngGenFlags(2));
        TorusConfig g1 = TorusConfig.standard().withOverride("torus.worker.young-gen", "g1", "flag --test");
        assertEquals(List.of(), AgentSettings.from(g1).youngGenFlags(1));
        TorusConfig sized = TorusConfig.standard().withOverride("torus.worker.young-gen", "64m", "flag --test");
        assertEquals(List.of("-Xmn64m"), AgentSettings.from(sized).youngGenFlags(4));
    }

    @Test
    void youngGeneration_malformed_rejectedNamingKey() {
        String msg = assertThrows(IllegalArgumentException.class,
                () -> TorusConfig.standard().withOverride("torus.worker.young-gen", "small", "flag --test")).getMessage();
        assertEquals("torus.worker.young-gen=small (from flag --test): expected auto, g1 or a size such as 16m", msg);
    }
}
