package io.torus.spark.task;

import io.torus.spark.data.DataManifest;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ControlCodecTest {

    @Test
    void roundTrip_taskSpecWithManifest() {
        TaskSpec spec = new TaskSpec("a.Job", new String[] {"--epochs", "3"}, 2, "/tmp/run", "cpu", null,
                new DataManifest("/tmp/run/data", 784, new long[] {5, 0, 7}), 11, 500);
        TaskSpec back = ControlCodec.decode(ControlCodec.encode(spec), TaskSpec.class);
        assertEquals(spec.toString(), back.toString());
        assertArrayEquals(spec.jobArgs(), back.jobArgs());
        assertEquals(spec.data(), back.data());
    }

    @Test
    void roundTrip_rankReport() {
        RankReport r = new RankReport(1, "127.0.0.1:4000", 12, 3400);
        assertEquals(r, ControlCodec.decode(ControlCodec.encode(r), RankReport.class));
    }

    @Test
    void decode_wrongTypeOrUnregisteredClassIsRefused() {
        byte[] report = ControlCodec.encode(new RankReport(0, "h:1", 0, 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ControlCodec.decode(report, TaskSpec.class));
        assertTrue(e.getMessage().contains("expected io.torus.spark.task.TaskSpec"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ControlCodec.encode(List.of(1)));
        e = assertThrows(IllegalArgumentException.class, () -> ControlCodec.decode(new byte[] {9, 9, 9}, RankReport.class));
        assertTrue(e.getMessage().contains("left over"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ControlCodec.decode(new byte[] {100}, RankReport.class));
        assertTrue(e.getMessage().contains("cannot decode 1 bytes"), e.getMessage());
    }
}
