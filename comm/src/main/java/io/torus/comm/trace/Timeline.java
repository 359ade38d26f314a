package io.torus.comm.trace;

import io.torus.io.Json;


import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/*
 * Note [Timeline]. The spans of one worker (one rank) for `torus run --timeline FILE`: forward,
 * backward and optimizer step on the "compute" lane (the training thread), each collective on
 * the "comm" lane (the process group's communication thread), written at the end as Chrome's
 * Trace Event Format ("X" complete events, pid = rank, tid = lane), which Perfetto and
 * chrome://tracing open. The agent merges the ranks' files into FILE.
 *
 * Cost when off: every entry point first reads one static volatile field and returns (span()
 * hands back a shared no-op). When on: one small record per span in a lock-free queue, bounded
 * by torus.timeline.maxEvents (default 1,000,000, ~100 MB at worst); later spans are counted
 * and dropped. Times are System.nanoTime(), shifted onto the wall clock (microseconds since the
 * epoch) once, when recording starts, so the ranks of several JVMs and machines line up as well
 * as their clocks do.
 *
 * A span has no parent pointer: nesting is by time on one lane, as the viewers draw it. Spans on
 * one lane must therefore nest or follow each other, never overlap partially; the comm lane holds
 * the collectives as the communication thread runs them, one after another, and the time a
 * collective waited in its queue since its launch goes into its args ("queued_us").
 */
/**
 * A per-process recorder of timed spans, off unless {@link #enable(int)} was called; see Note
 * [Timeline] in the source.
 *
 * <pre>{@code
 * try (Timeline.Span s = Timeline.span(Timeline.COMPUTE, "forward")) {
 *     out = model.forward(x);
 * }
 * Timeline.write(runDir.resolve("timeline-rank-0.json"));
 * }</pre>
 */
public final class Timeline {
    /** The training thread's lane. */
    public static final String COMPUTE = "compute";
    /** The communication thread's lane: collectives as they run. */
    public static final String COMM = "comm";

    private static volatile Recorder recorder;
    private static final ThreadLocal<String> LABEL = new ThreadLocal<>();
    private static final Span NOOP = new Span(null, null, null, 0);
    private static final Scope NO_SCOPE = () -> { };

    private Timeline() {
    }

    /** Starts recording (again, empty) for {@code rank}. */
    public static synchronized void enable(int rank) {
        recorder = new Recorder(rank, Integer.getInteger("torus.timeline.maxEvents", 1_000_000));
    }

    /** Stops recording and forgets what was recorded. */
    public static synchronized void disable() {
        recorder = null;
    }

    public static boolean enabled() {
        return recorder != null;
    }

    /** A timestamp for {@link #record}: {@link System#nanoTime()}. */
    public static long now() {
        return System.nanoTime();
    }

    /**
     * Opens a span on {@code lane} that ends when the returned span is closed; a shared no-op when
     * recording is off.
     */
    public static Span span(String lane, String name) {
        Recorder r = recorder;
        return r == null ? NOOP : new Span(r, lane, name, System.nanoTime());
    }

    /** Records a span that ran from {@code startNanos} to {@code endNanos}; {@code args} as key, value, key, value... */
    public static void record(String lane, String name, long startNanos, long endNanos, Object... args) {
        Recorder r = recorder;
        if (r != null) {
            r.add(new Event(lane, name, startNanos, endNanos, args));
        }
    }

    /**
     * Names the collectives this thread launches inside the scope (e.g. "allReduce bucket 0"),
     * so that the comm lane says what they were for. A no-op when recording is off.
     */
    public static Scope label(String name) {
        if (recorder == null) {
            return NO_SCOPE;
        }
        String previous = LABEL.get();
        LABEL.set(name);
        return () -> LABEL.set(previous);
    }

    /** The label set by {@link #label} on this thread, or null. */
    public static String currentLabel() {
        return recorder == null ? null : LABEL.get();
    }

    /**
     * Writes what was recorded as a Chrome trace ({@code {"traceEvents": [...]}}, one event a
     * line), atomically (temp file + rename). Does nothing when recording is off.
     *
     * @return the number of span events written
     */
    public static int write(Path file) throws IOException {
        Recorder r = recorder;
        if (r == null) {
            return 0;
        }
        List<String> lines = r.eventLines();
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            w.write("{\"traceEvents\": [\n");
            for (int i = 0; i < lines.size(); i++) {
                w.write(lines.get(i));
                w.write(i + 1 < lines.size() ? ",\n" : "\n");
            }
            w.write("],\n\"displayTimeUnit\": \"ms\",\n\"otherData\": {\"rank\": " + r.rank + ", \"dropped\": "
                    + r.dropped.get() + "}}\n");
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return r.events.size();
    }

    /** An open span; closing it records it. */
    public static final class Span implements AutoCloseable {
        private final Recorder recorder;
        private final String lane;
        private final String name;
        private final long start;
        private Object[] args = new Object[0];

        private Span(Recorder recorder, String lane, String name, long start) {
            this.recorder = recorder;
            this.lane = lane;
            this.name = name;
            this.start = start;
        }

        /** Adds arguments (key, value, key, value...) shown with the span. */
        public Span args(Object... keyValues) {
            if (recorder != null) {
                args = keyValues;
            }
            return this;
        }

        @Override
        public void close() {
            if (recorder != null) {
                recorder.add(new Event(lane, name, start, System.nanoTime(), args));
            }
        }
    }

    /** A try-with-resources scope that cannot fail to close. */
    @FunctionalInterface
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    private record Event(String lane, String name, long start, long end, Object[] args) {
    }

    private static final class Recorder {
        final int rank;
        final int maxEvents;
        final ConcurrentLinkedQueue<Event> events = new ConcurrentLinkedQueue<>();
        final AtomicInteger count = new AtomicInteger();
        final AtomicInteger dropped = new AtomicInteger();
        final long baseNanos;
        final double baseMicros;

        Recorder(int rank, int maxEvents) {
            this.rank = rank;
            this.maxEvents = maxEvents;
            Instant now = Instant.now();
            this.baseNanos = System.nanoTime();
            this.baseMicros = now.getEpochSecond() * 1e6 + now.getNano() / 1e3;
        }

        void add(Event e) {
            if (count.incrementAndGet() > maxEvents) {
                dropped.incrementAndGet();
                return;
            }
            events.add(e);
        }

        /** Lane metadata first (compute = 1, comm = 2, others in order of first use), then the spans. */
        List<String> eventLines() {
            Map<String, Integer> tids = new LinkedHashMap<>();
            tids.put(COMPUTE, 1);
            tids.put(COMM, 2);
            List<String> spans = new ArrayList<>();
            for (Event e : events) {
                int tid = tids.computeIfAbsent(e.lane(), k -> tids.size() + 1);
                double ts = baseMicros + (e.start() - baseNanos) / 1e3;
                double dur = Math.max(0, e.end() - e.start()) / 1e3;
                StringBuilder sb = new StringBuilder(160);
                sb.append("{\"name\": ").append(Json.quote(e.name())).append(", \"cat\": ").append(Json.quote(e.lane()))
                        .append(", \"ph\": \"X\", \"ts\": ").append(String.format(Locale.ROOT, "%.3f", ts))
                        .append(", \"dur\": ").append(String.format(Locale.ROOT, "%.3f", dur))
                        .append(", \"pid\": ").append(rank).append(", \"tid\": ").append(tid).append(", \"args\": {");
                Object[] a = e.args();
                for (int i = 0; i + 1 < a.length; i += 2) {
                    sb.append(i == 0 ? "" : ", ").append(Json.quote(String.valueOf(a[i]))).append(": ");
                    sb.append(a[i + 1] instanceof Number n ? n.toString() : Json.quote(String.valueOf(a[i + 1])));
                }
                spans.add(sb.append("}}").toString());
            }
            List<String> lines = new ArrayList<>();
            lines.add("{\"name\": \"process_name\", \"ph\": \"M\", \"pid\": " + rank + ", \"args\": {\"name\": \"rank " + rank
                    + "\"}}");
            lines.add("{\"name\": \"process_sort_index\", \"ph\": \"M\", \"pid\": " + rank + ", \"args\": {\"sort_index\": "
                    + rank + "}}");
            tids.forEach((lane, tid) -> lines.add("{\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": " + rank + ", \"tid\": "
                    + tid + ", \"args\": {\"name\": " + Json.quote(lane) + "}}"));
            lines.addAll(spans);
            return lines;
        }
    }
}
