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
    void bucketOverlap_countsOnlyTheTimeBeforeTheLastBucketsLaunch() {
        List<Timelines.Span> spans = List.of(
                span(0, "compute", "backward", 0, 100),
                new Timelines.Span(0, "comm", "allReduce bucket 0", 50, 40, 5),   // launched at 45, runs 50..90
                new Timelines.Span(0, "comm", "allReduce bucket 1", 90, 5, 10),   // launched at 80: gradients done
                span(0, "compute", "backward", 200, 300),
                new Timelines.Span(0, "comm", "allReduce bucket 0", 240, 20, 0),  // launched at 240
                new Timelines.Span(0, "comm", "allReduce bucket 1", 270, 10, 0),  // launched at 270
                span(1, "comm", "allReduce bucket 0", 500, 510));                 // no backward on rank 1
        List<Timelines.BucketOverlap> b = Timelines.bucketOverlap(spans);
        assertEquals(2, b.size());
        // bucket 0: 30 of 40 (until 80), 20 of 20 (until 270), 0 of 10 (outside)
        assertEquals(new Timelines.BucketOverlap("allReduce bucket 0", 3, (40 + 20 + 10) / 3.0, (30 + 20) / 3.0, 1), b.get(0));
        assertEquals(new Timelines.BucketOverlap("allReduce bucket 1", 2, 7.5, 0, 0), b.get(1));
    }

    @Test
    void parse_eventLine_readsTheSpanAndSkipsMetadata() {
        assertEquals(new Timelines.Span(1, "comm", "allReduce \\\"b\\\" 0", 1795449674234921.5, 134184.241, 4),
                Timelines.parse("{\"name\": \"allReduce \\\"b\\\" 0\", \"cat\": \"comm\", \"ph\": \"X\", \"ts\": 1795449674234921.500, "
                        + "\"dur\": 134184.241, \"pid\": 1, \"tid\": 2, \"args\": {\"seq\": 7, \"queued_us\": 4}}"));
        assertNull(Timelines.parse("{\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 0, \"tid\": 1, \"args\": {\"name\": \"compute\"}}"));
    }
}
