package io.torus.launcher.agent;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The overlap arithmetic of {@link Timelines} on hand-made spans. */
class TimelinesTest {
    private static Timelines.Span span(int rank, String lane, String name, double start, double end) {
        return new Timelines.Span(rank, lane, name, start, end - start);
    }

    @Test
    void bucketOverlap_countsBackwardComputeButNotItsFinalWait() {
        List<Timelines.Span> spans = List.of(
                span(0, "compute", "backward", 0, 100), span(0, "compute", "ddp wait", 80, 100),
                span(0, "comm", "allReduce bucket 0", 50, 90),     // 30 of 40 before the wait
                span(0, "comm", "allReduce bucket 1", 85, 95),     // all inside the wait
                span(0, "compute", "backward", 200, 300), span(0, "compute", "ddp wait", 290, 300),
                span(0, "comm", "allReduce bucket 0", 240, 260),   // all before the wait
                span(1, "comm", "allReduce bucket 0", 500, 510));  // no backward on rank 1
        List<Timelines.BucketOverlap> b = Timelines.bucketOverlap(spans);
        assertEquals(2, b.size());
        assertEquals(new Timelines.BucketOverlap("allReduce bucket 0", 3, (40 + 20 + 10) / 3.0, (30 + 20) / 3.0, 1), b.get(0));
        assertEquals(new Timelines.BucketOverlap("allReduce bucket 1", 1, 10, 0, 0), b.get(1));
    }

    @Test
    void parse_eventLine_readsTheSpanAndSkipsMetadata() {
        assertEquals(new Timelines.Span(1, "comm", "allReduce \\\"b\\\" 0", 1795449674234921.5, 134184.241),
                Timelines.parse("{\"name\": \"allReduce \\\"b\\\" 0\", \"cat\": \"comm\", \"ph\": \"X\", \"ts\": 1795449674234921.500, "
                        + "\"dur\": 134184.241, \"pid\": 1, \"tid\": 2, \"args\": {\"seq\": 4}}"));
        assertNull(Timelines.parse("{\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 0, \"tid\": 1, \"args\": {\"name\": \"compute\"}}"));
    }
}
