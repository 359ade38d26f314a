package io.torus.launcher.jobs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MetricsPlotTest {
    /** The eight bytes every PNG file starts with. */
    static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    @TempDir
    Path tmp;

    @Test
    void ticks_stepOneTwoOrFiveTimesAPowerOfTen_coveringTheRange() {
        assertArrayEquals(new double[] {0, 0.5, 1, 1.5, 2, 2.5}, MetricsPlot.ticks(0.1, 2.3, 6, 0), 1e-12);
        assertArrayEquals(new double[] {90, 92, 94, 96, 98, 100}, MetricsPlot.ticks(90.5, 99.2, 6, 0), 1e-9);
        assertArrayEquals(new double[] {1, 2}, MetricsPlot.ticks(1, 2, 8, 1), 0);
        assertArrayEquals(new double[] {0, 5, 10, 15, 20}, MetricsPlot.ticks(1, 20, 8, 1), 0);
    }

    @Test
    void write_oneOrManyEpochs_givesAReadablePng() throws Exception {
        for (int epochs : new int[] {1, 12}) {
            List<EpochMetrics> rows = java.util.stream.IntStream.rangeClosed(1, epochs)
                    .mapToObj(e -> new EpochMetrics(e, 0.1, 1.0 / e, 1 - 0.1 / e, 1.1 / e, 1 - 0.12 / e, 1, 100)).toList();
            Path png = tmp.resolve("m" + epochs + ".png");
            MetricsPlot.write(png, "test", rows);
            byte[] bytes = Files.readAllBytes(png);
            assertArrayEquals(PNG_SIGNATURE, Arrays.copyOf(bytes, 8));
            BufferedImage image = ImageIO.read(png.toFile());
            assertEquals(960, image.getWidth());
            assertEquals(400, image.getHeight());
            assertTrue(Files.notExists(tmp.resolve("m" + epochs + ".png.tmp")));
        }
    }
}
