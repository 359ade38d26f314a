package io.torus.launcher.agent;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The agent's side of {@code torus run --timeline FILE}: each worker writes its spans to
 * {@code timeline-rank-R.json} in the run directory ({@code io.torus.comm.trace.Timeline}); the
 * agent merges them into FILE, one Chrome trace with a process per rank, and sums up how much of
 * each DDP bucket's all-reduce overlapped backward.
 *
 * <p>The rank files are read line by line: {@code Timeline} writes one event per line, so the
 * merge needs no JSON library, only the few fields the summary uses (read by pattern).
 */
public final class Timelines {
    /** Environment variable: the file a worker writes its timeline to (set only with --timeline). */
    public static final String ENV = "TORUS_TIMELINE";

    private static final Pattern NAME = Pattern.compile("\"name\": \"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final Pattern CAT = Pattern.compile("\"cat\": \"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final Pattern TS = Pattern.compile("\"ts\": ([0-9.eE+-]+)");
    private static final Pattern DUR = Pattern.compile("\"dur\": ([0-9.eE+-]+)");
    private static final Pattern PID = Pattern.compile("\"pid\": (\\d+)");
    private static final Pattern QUEUED = Pattern.compile("\"queued_us\": ([0-9.eE+-]+)");

    private Timelines() {
    }

    /** Where rank {@code rank} writes its part. */
    public static Path rankFile(Path runDir, int rank) {
        return runDir.resolve("timeline-rank-" + rank + ".json");
    }

    /**
     * One "X" span, times in microseconds; {@code queued}: a collective's wait between its launch
     * and its start on the communication thread (its "queued_us" argument), else 0.
     */
    public record Span(int rank, String lane, String name, double start, double duration, double queued) {
        public Span(int rank, String lane, String name, double start, double duration) {
            this(rank, lane, name, start, duration, 0);
        }

        /** When the collective was launched (its start for other spans). */
        double launched() {
            return start - queued;
        }

        double end() {
            return start + duration;
        }

        double overlap(double from, double to) {
            return Math.max(0, Math.min(end(), to) - Math.max(start, from));
        }
    }

    /** What {@link #merge} wrote. */
    public record Merged(Path file, List<Integer> ranks, List<Integer> missingRanks, List<Span> spans) {
    }

    /**
     * Merges the rank files of {@code ranks} found in {@code runDir} into {@code out} (atomically);
     * a rank without a file (it died before writing) is listed in {@link Merged#missingRanks()}.
     */
    public static Merged merge(Path runDir, List<Integer> ranks, Path out) throws IOException {
        List<String> lines = new ArrayList<>();
        List<Integer> found = new ArrayList<>();
        List<Integer> missing = new ArrayList<>();
        List<Span> spans = new ArrayList<>();
        for (int rank : ranks) {
            Path f = rankFile(runDir, rank);
            if (!Files.isRegularFile(f)) {
                missing.add(rank);
                continue;
            }
            found.add(rank);
            for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                String event = line.strip();
                if (!event.startsWith("{\"name\"")) {
                    continue;
                }
                if (event.endsWith(",")) {
                    event = event.substring(0, event.length() - 1);
                }
                lines.add(event);
                Span s = parse(event);
                if (s != null) {
                    spans.add(s);
                }
            }
        }
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            w.write("{\"traceEvents\": [\n");
            for (int i = 0; i < lines.size(); i++) {
                w.write(lines.get(i));
                w.write(i + 1 < lines.size() ? ",\n" : "\n");
            }
            w.write("],\n\"displayTimeUnit\": \"ms\"}\n");
        }
        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return new Merged(out, found, missing, spans);
    }

    /** The span of one event line, or null for metadata ("M") events. */
    static Span parse(String event) {
        if (!event.contains("\"ph\": \"X\"")) {
            return null;
        }
        Matcher queued = QUEUED.matcher(event);
        return new Span(Integer.parseInt(group(PID, event)), group(CAT, event), group(NAME, event),
                Double.parseDouble(group(TS, event)), Double.parseDouble(group(DUR, event)),
                queued.find() ? Double.parseDouble(queued.group(1)) : 0);
    }

    private static String group(Pattern p, String s) {
        Matcher m = p.matcher(s);
        if (!m.find()) {
            throw new IllegalArgumentException("timeline event without " + p.pattern() + ": " + s);
        }
        return m.group(1);
    }

    /**
     * Per bucket, over every rank and step: how many all-reduces, their mean time, and how much of
     * it overlapped backward's computation of gradients. That computation ends when the last
     * bucket is launched (its gradients are all there; what follows is bookkeeping and the final
     * "ddp wait"), so the last bucket overlaps nothing by definition and the question is how much
     * of the earlier buckets' reduction ran while later gradients were still being computed. An
     * all-reduce that did not start inside a backward counts as {@code outside}.
     */
    public record BucketOverlap(String bucket, int count, double meanMicros, double meanOverlapMicros, int outside) {
        public double fraction() {
            return meanMicros == 0 ? 0 : meanOverlapMicros / meanMicros;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s: %d all-reduces, mean %.3f ms, %.1f%% of it overlapping the backward "
                    + "computation (mean %.3f ms)%s", bucket, count, meanMicros / 1000, 100 * fraction(), meanOverlapMicros / 1000,
                    outside == 0 ? "" : ", " + outside + " started outside any backward");
        }
    }

    public static List<BucketOverlap> bucketOverlap(List<Span> spans) {
        Map<Integer, List<Span>> backward = byRank(spans, "compute", "backward");
        Map<Span, List<Span>> inBackward = new java.util.IdentityHashMap<>();
        Map<String, double[]> acc = new TreeMap<>(); // count, sum dur, sum overlap, outside
        for (Span s : spans) {
            if (!s.lane().equals("comm") || !s.name().startsWith("allReduce bucket")) {
                continue;
            }
            double[] a = acc.computeIfAbsent(s.name(), k -> new double[4]);
            a[0]++;
            a[1] += s.duration();
            Span bw = containing(backward.getOrDefault(s.rank(), List.of()), s.start());
            if (bw == null) {
                a[3]++;
            } else {
                inBackward.computeIfAbsent(bw, k -> new ArrayList<>()).add(s);
            }
        }
        inBackward.forEach((bw, reductions) -> {
            double computed = reductions.stream().mapToDouble(Span::launched).max().orElse(bw.end());
            for (Span s : reductions) {
                acc.get(s.name())[2] += s.overlap(bw.start(), Math.min(computed, bw.end()));
            }
        });
        List<BucketOverlap> out = new ArrayList<>();
        acc.forEach((name, a) -> out.add(new BucketOverlap(name, (int) a[0], a[1] / a[0], a[2] / a[0], (int) a[3])));
        return out;
    }

    /** The ranks that have spans, in order. */
    public static List<Integer> ranks(List<Span> spans) {
        return List.copyOf(new TreeSet<>(spans.stream().map(Span::rank).toList()));
    }

    private static Map<Integer, List<Span>> byRank(List<Span> spans, String lane, String name) {
        Map<Integer, List<Span>> m = new TreeMap<>();
        for (Span s : spans) {
            if (s.lane().equals(lane) && s.name().equals(name)) {
                m.computeIfAbsent(s.rank(), k -> new ArrayList<>()).add(s);
            }
        }
        m.values().forEach(l -> l.sort(Comparator.comparingDouble(Span::start)));
        return m;
    }

    /** The span of {@code sorted} (by start, not overlapping) that contains time {@code t}, or null. */
    private static Span containing(List<Span> sorted, double t) {
        Span s = lastStartingBy(sorted, t);
        return s != null && t <= s.end() ? s : null;
    }

    private static Span lastStartingBy(List<Span> sorted, double t) {
        int lo = 0;
        int hi = sorted.size() - 1;
        Span best = null;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted.get(mid).start() <= t) {
                best = sorted.get(mid);
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return best;
    }

    /** The lines the agent prints after merging. */
    public static List<String> report(Merged m) {
        List<String> out = new ArrayList<>();
        out.add("timeline of rank" + (m.ranks().size() == 1 ? " " : "s ") + m.ranks() + " (" + m.spans().size()
                + " spans) written to " + m.file() + " (open it in https://ui.perfetto.dev or chrome://tracing)"
                + (m.missingRanks().isEmpty() ? "" : "; no timeline from rank(s) " + m.missingRanks()));
        String steps = stepSummary(m.spans());
        if (!steps.isEmpty()) {
            out.add("timeline: " + steps);
        }
        for (BucketOverlap b : bucketOverlap(m.spans())) {
            out.add("timeline: " + b);
        }
        return out;
    }

    /** Mean milliseconds per step of the compute lane's spans, over every rank; empty without steps. */
    static String stepSummary(List<Span> spans) {
        Map<String, double[]> acc = new TreeMap<>();
        for (Span s : spans) {
            if (s.lane().equals("compute")) {
                double[] a = acc.computeIfAbsent(s.name(), k -> new double[2]);
                a[0]++;
                a[1] += s.duration();
            }
        }
        if (!acc.containsKey("step")) {
            return "";
        }
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%d steps, mean per step:", (int) acc.get("step")[0]));
        for (String name : List.of("step", "forward", "backward", "ddp wait", "optimizer step")) {
            double[] a = acc.get(name);
            if (a != null) {
                sb.append(String.format(Locale.ROOT, " %s %.3f ms%s", name, a[1] / a[0] / 1000,
                        name.equals("ddp wait") ? " (inside backward)," : ","));
            }
        }
        sb.setLength(sb.length() - 1);
        return sb.toString();
    }
}
