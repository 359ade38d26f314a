package io.torus.launcher.jobs;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProgressTest {
    @Test
    void line_showsBarCountsLossAccuracyRateAndEta() {
        assertEquals("epoch 2/5 [######..................] 235/938  loss 0.1032  acc 96.9%  15.2k samples/s  eta 1:05",
                Progress.line(1, 5, 235, 938, 0.10321, 0.9687, 15_234, 65));
        assertEquals("epoch 1/1 [########################] 4/4  loss 2.0000  acc 10.0%  640 samples/s  eta 0:00",
                Progress.line(0, 1, 4, 4, 2, 0.1, 640.2, 0));
    }

    @Test
    void enabled_drawsInPlaceWithCarriageReturns_andClears() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Progress p = new Progress(new PrintStream(bytes, true, StandardCharsets.UTF_8), true);
        p.start(0, 1, 2);
        p.step(1, 1.0, 0.5, 64);
        p.step(2, 0.5, 0.75, 128);
        p.clear();
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(!out.contains("\n") && out.endsWith("\r"), out);
        assertEquals(3, out.chars().filter(c -> c == '\r').count(), out);
        assertTrue(out.contains("2/2  loss 0.5000  acc 75.0%"), out);
    }

    @Test
    void disabled_printsNothing() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Progress p = new Progress(new PrintStream(bytes, true, StandardCharsets.UTF_8), false);
        p.start(0, 1, 1);
        p.step(1, 1.0, 0.5, 64);
        p.clear();
        assertEquals(0, bytes.size());
    }
}
