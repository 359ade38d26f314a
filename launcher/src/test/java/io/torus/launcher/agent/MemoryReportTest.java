package io.torus.launcher.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MemoryReportTest {
    @TempDir
    Path tmp;

    @Test
    void fromSystemProperty_rankInTheName_writesTheHeapFigures() throws Exception {
        assertNull(MemoryReport.fromSystemProperty(0), "off without the property");
        System.setProperty(WorkerMain.MEMORY_REPORT, tmp.resolve("memory-{rank}.properties").toString());
        try {
            MemoryReport report = MemoryReport.fromSystemProperty(3);
            byte[][] garbage = new byte[64][];
            for (int i = 0; i < garbage.length; i++) {
                garbage[i] = new byte[1 << 20];
            }
            report.write();
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(tmp.resolve("memory-3.properties"))) {
                p.load(r);
            }
            assertTrue(Long.parseLong(p.getProperty("heap_peak_used")) >= 64L << 20, p.toString());
            assertEquals(Runtime.getRuntime().maxMemory(), Long.parseLong(p.getProperty("heap_max")));
            assertTrue(Long.parseLong(p.getProperty("heap_peak_live")) >= 0 && Long.parseLong(p.getProperty("gc_count")) >= 0);
            assertEquals(64, garbage.length);
        } finally {
            System.clearProperty(WorkerMain.MEMORY_REPORT);
        }
    }
}
