package io.torus.comm.trace;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TimelineTest {
    @TempDir
    Path tmp;

    @AfterEach
    void off() {
        Timeline.disable();
    }

    @Test
    void write_whenOff_recordsAndWritesNothing() throws Exception {
        try (Timeline.Span s = Timeline.span(Timeline.COMPUTE, "forward").args("step", 1);
             Timeline.Scope l = Timeline.label("allReduce bucket 0")) {
            assertNull(Timeline.currentLabel());
        }
        Path f = tmp.resolve("t.json");
        assertEquals(0, Timeline.write(f));
        assertFalse(Files.exists(f));
    }

    @Test
    void write_whenOn_oneEventPerLineWithLanesAsThreads() throws Exception {
        Timeline.enable(3);
        try (Timeline.Span s = Timeline.span(Timeline.COMPUTE, "for\"ward").args("step", 7, "note", "a\\b")) {
            try (Timeline.Scope l = Timeline.label("allReduce bucket 1")) {
                assertEquals("allReduce bucket 1", Timeline.currentLabel());
            }
            assertNull(Timeline.currentLabel());
        }
        long t = Timeline.now();
        Timeline.record(Timeline.COMM, "allReduce bucket 1", t, t + 2_500, "seq", 4);
        Timeline.record("io", "read", t, t + 1_000);
        Path f = tmp.resolve("t.json");
        assertEquals(3, Timeline.write(f));
        List<String> lines = Files.readAllLines(f);
        assertEquals("{\"traceEvents\": [", lines.get(0));
        assertTrue(lines.contains("{\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 3, \"tid\": 2, \"args\": {\"name\": \"comm\"}},"),
                String.join("\n", lines));
        assertTrue(lines.contains("{\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 3, \"tid\": 3, \"args\": {\"name\": \"io\"}},"),
                String.join("\n", lines));
        String forward = lines.stream().filter(l -> l.startsWith("{\"name\": \"for\\\"ward\"")).findFirst().orElseThrow();
        assertTrue(forward.contains("\"ph\": \"X\"") && forward.contains("\"pid\": 3, \"tid\": 1")
                && forward.endsWith("\"args\": {\"step\": 7, \"note\": \"a\\\\b\"}},"), forward);
        String comm = lines.stream().filter(l -> l.startsWith("{\"name\": \"allReduce bucket 1\"")).findFirst().orElseThrow();
        assertTrue(comm.contains("\"dur\": 2.500, \"pid\": 3, \"tid\": 2, \"args\": {\"seq\": 4}}"), comm);
        assertTrue(lines.get(lines.size() - 1).contains("\"dropped\": 0"), lines.toString());
    }
}
