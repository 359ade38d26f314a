package io.torus.comm;

import io.torus.comm.transport.Fold;
import io.torus.comm.transport.SharedWindows;
import io.torus.comm.transport.Tag;
import io.torus.comm.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/*
 * Note [Stall report]. A collective waits as long as its slowest rank: one rank stuck before a
 * collective (a slow data loader, a debugger, a deadlock in user code, a rank that issues a
 * different collective) hangs every other rank inside it, and from the outside all of them look
 * alike. So when a collective has run longer than torus.comm.stall.report.seconds, each waiting
 * rank logs which collective it is in (name, sequence number, size), what it is blocked on (the
 * chunk it has not received, from which neighbour) and which ranks it is still waiting for, and
 * repeats that every period while the wait lasts. It names the culprit; it does not fail anything
 * (the receive timeout and the membership watch do that).
 *
 * Which ranks are late: on a ring, a rank only sees its upstream neighbour, which may itself be
 * waiting for its own neighbour. So the report asks every rank how far it is (PeerProgress: the
 * Hazelcast rendezvous in a real job, answered from each rank's own watch on a Hazelcast thread,
 * so a rank busy in its own code still answers). A rank whose last collective comes before ours
 * has not arrived: that is the one to name. A rank that does not answer is named as such (hung,
 * or stopped). Without PeerProgress (a group over a bare transport) the ring's own knowledge
 * stands in: the upstream neighbour; for a barrier in round k, the ranks k + 1 .. N - 1 places
 * upstream, which are not yet known to have arrived (see RingBarrier).
 *
 * Cost: a collective's start and end each write two volatile fields; the timer looks at them a
 * few times per period (once a second by default). Arming and cancelling a timer task per
 * collective instead, as this did first, either woke the timer thread at every collective or,
 * without removal on cancel, piled cancelled tasks up by the ten thousand in DDP (a thousand
 * collectives a second for 30 s).
 */
/** Watches one rank's collectives and reports those that stall; see Note [Stall report] in the source. */
final class StallWatch implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StallWatch.class);
    /** System property (conf/torus-defaults.properties): seconds before a waiting collective is reported; 0 = never. */
    static final String STALL_SECONDS = "torus.comm.stall.report.seconds";
    static final long DEFAULT_STALL_SECONDS = 30;
    /** How long a report waits for the other ranks' answers. */
    private static final Duration ASK_TIMEOUT = Duration.ofSeconds(2);

    /** How far the other ranks are: rank to {@link #progress()} answer, for the ranks that answered in time. */
    @FunctionalInterface
    interface PeerProgress {
        Map<Integer, String> ask(Duration timeout);
    }

    private record Running(String what, long seq, int elements, long startNanos) {
    }

    private record Receiving(int peer, Tag tag, long sinceNanos) {
    }

    /** A rank's answer: its latest collective, and whether it is still inside it. */
    record Progress(long seq, String what, boolean running) {
        static Progress parse(String s) {
            String[] p = s.split(";", 3);
            return new Progress(Long.parseLong(p[0]), p[2], Boolean.parseBoolean(p[1]));
        }

        String encode() {
            return seq + ";" + running + ";" + what;
        }

        String describe() {
            if (seq < 0) {
                return "it has issued no collective yet";
            }
            return running ? "it is inside collective " + seq + " (" + what + ")"
                    : "its last was collective " + seq + " (" + what + "), finished";
        }
    }

    private final int rank;
    private final int worldSize;
    private final Duration after;
    private final Consumer<String> sink;
    private volatile PeerProgress peers;
    private final ScheduledExecutorService timer;
    private volatile Running running;
    private volatile Receiving receiving;
    private volatile Progress last = new Progress(-1, "none", false);
    /** The collective last reported and when: only the timer thread touches these. */
    private Running reported;
    private long reportedAt;

    /**
     * @param after how long a collective may run before it is reported; zero or negative: never
     * @param sink  where reports go (the log in a job)
     */
    StallWatch(int rank, int worldSize, Duration after, Consumer<String> sink) {
        this.rank = rank;
        this.worldSize = worldSize;
        this.after = after;
        this.sink = sink;
        this.timer = after.isZero() || after.isNegative() || worldSize < 2 ? null : newTimer(rank);
        if (timer != null) {
            long period = checkPeriod(after);
            timer.scheduleWithFixedDelay(this::check, period, period, TimeUnit.NANOSECONDS);
        }
    }

    private static ScheduledExecutorService newTimer(int rank) {
        return java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "torus-stall-watch-rank-" + rank);
            t.setDaemon(true);
            return t;
        });
    }

    /** A watch with the period of {@value #STALL_SECONDS} (default 30 s), reporting to the log. */
    static StallWatch fromSystemProperties(int rank, int worldSize) {
        return new StallWatch(rank, worldSize, Duration.ofSeconds(stallSeconds()), log::warn);
    }

    static long stallSeconds() {
        String v = System.getProperty(STALL_SECONDS);
        if (v == null || v.isBlank()) {
            return DEFAULT_STALL_SECONDS;
        }
        try {
            long s = Long.parseLong(v.strip());
            if (s >= 0) {
                return s;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(STALL_SECONDS + "=" + v + ": expected a whole number of seconds >= 0 (0 = no reports)");
    }

    /** Lets reports ask the other ranks how far they are. */
    void askPeersWith(PeerProgress progress) {
        this.peers = progress;
    }

    /** This rank's answer to a {@link PeerProgress} question. */
    String progress() {
        Running r = running;
        return (r != null ? new Progress(r.seq(), r.what(), true) : last).encode();
    }

    /** {@code transport}, with every receive noted so that a report can say what it waits for. */
    Transport watch(Transport transport) {
        return timer == null ? transport : new WatchedTransport(transport);
    }

    /** Called on the thread that runs collective {@code seq} as it starts. */
    void begin(String what, long seq, int elements) {
        running = new Running(what, seq, elements, System.nanoTime());
    }

    /** Called on the thread that ran the collective as it ends, normally or not. */
    void end() {
        Running r = running;
        if (r != null) {
            last = new Progress(r.seq(), r.what(), false);
        }
        running = null;
        receiving = null;
    }

    /**
     * The timer's periodic look (every {@link #checkPeriod}): reports the running collective once
     * it has run for the period, and again every period while it still runs.
     */
    private void check() {
        Running r = running;
        if (r == null) {
            return;
        }
        long now = System.nanoTime();
        if (now - r.startNanos() < after.toNanos() || r == reported && now - reportedAt < after.toNanos()) {
            return;
        }
        reported = r;
        reportedAt = now;
        try {
            sink.accept(describe(r));
        } catch (RuntimeException e) {
            log.warn("rank {}: stall report failed: {}", rank, e.toString());
        }
    }

    /** How often the timer looks: a quarter of the period, at most a second. */
    private static long checkPeriod(Duration after) {
        return Math.max(1, Math.min(after.toNanos() / 4, 1_000_000_000L));
    }

    /** The report on collective {@code r}, which has run for longer than the period. */
    String describe(Running r) {
        long now = System.nanoTime();
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "rank %d: stalled: %s (collective %d, %d elements) "
                + "has waited %.1f s", rank, r.what(), r.seq(), r.elements(), (now - r.startNanos()) / 1e9));
        Receiving rcv = receiving;
        int upstream = Math.floorMod(rank - 1, worldSize);
        if (rcv != null && rcv.tag().seq() == r.seq()) {
            sb.append(String.format(Locale.ROOT, "; blocked receiving %s from rank %d%s for %.1f s", rcv.tag(), rcv.peer(),
                    rcv.peer() == upstream ? " (its upstream neighbour in the ring)" : "", (now - rcv.sinceNanos()) / 1e9));
        }
        List<Integer> late = new ArrayList<>();
        List<String> why = new ArrayList<>();
        PeerProgress p = peers;
        if (p != null) {
            Map<Integer, Progress> answers = new TreeMap<>();
            p.ask(ASK_TIMEOUT).forEach((k, v) -> answers.put(k, Progress.parse(v)));
            for (int q = 0; q < worldSize; q++) {
                if (q == rank) {
                    continue;
                }
                Progress a = answers.get(q);
                if (a == null) {
                    late.add(q);
                    why.add("rank " + q + " did not answer within " + ASK_TIMEOUT.toSeconds() + " s (hung or stopped?)");
                } else if (a.seq() < r.seq()) {
                    late.add(q);
                    why.add("rank " + q + " has not entered collective " + r.seq() + ": " + a.describe());
                } else if (a.seq() > r.seq() || !a.what().equals(r.what())) {
                    why.add("rank " + q + ": " + a.describe() + " (do the ranks issue different collectives?)");
                }
            }
            if (late.isEmpty() && rcv != null && rcv.tag().seq() == r.seq()) {
                late.add(rcv.peer());
                why.add("every rank has entered collective " + r.seq() + "; the data from rank " + rcv.peer()
                        + " has not arrived");
            }
        } else if (rcv != null && rcv.tag().seq() == r.seq()) {
            if (r.what().equals("barrier")) {
                // round k received means ranks 1..k places upstream have arrived (RingBarrier)
                for (int k = rcv.tag().chunk() + 1; k < worldSize; k++) {
                    late.add(Math.floorMod(rank - k, worldSize));
                }
                why.add("not known to have entered the barrier (seen from the ring)");
            } else {
                late.add(rcv.peer());
                why.add("rank " + rcv.peer() + " has not sent " + rcv.tag() + " (seen from the ring)");
            }
        }
        if (!late.isEmpty()) {
            sb.append("; still waiting for rank").append(late.size() == 1 ? " " : "s ").append(late);
        }
        if (!why.isEmpty()) {
            sb.append(": ").append(String.join("; ", why));
        }
        return sb.append(String.format(Locale.ROOT, " (repeated every %.1f s while it waits: %s)", after.toMillis() / 1e3,
                STALL_SECONDS)).toString();
    }

    @Override
    public void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }

    /** Notes each receive while it waits. */
    private final class WatchedTransport implements Transport {
        private final Transport inner;

        WatchedTransport(Transport inner) {
            this.inner = inner;
        }

        @Override
        public int rank() {
            return inner.rank();
        }

        @Override
        public int worldSize() {
            return inner.worldSize();
        }

        @Override
        public void send(int peer, Tag tag, Object src, int offset, int length) {
            inner.send(peer, tag, src, offset, length);
        }

        @Override
        public void receive(int peer, Tag tag, Object dst, int offset, int length) {
            receiving = new Receiving(peer, tag, System.nanoTime());
            try {
                inner.receive(peer, tag, dst, offset, length);
            } finally {
                receiving = null;
            }
        }

        // The fused receives must reach the inner transport: the interface defaults would split
        // them into receive + fold (+ send) and lose the shared-memory ring's single pass.
        @Override
        public void receiveReduce(int peer, Tag tag, Object dst, int offset, int length, Fold fold, Object scratch) {
            receiving = new Receiving(peer, tag, System.nanoTime());
            try {
                inner.receiveReduce(peer, tag, dst, offset, length, fold, scratch);
            } finally {
                receiving = null;
            }
        }

        @Override
        public void receiveReduceSend(int peer, Tag tag, Object dst, int offset, int length, Fold fold, Object scratch,
                                      int to, Tag outTag) {
            receiving = new Receiving(peer, tag, System.nanoTime());
            try {
                inner.receiveReduceSend(peer, tag, dst, offset, length, fold, scratch, to, outTag);
            } finally {
                receiving = null;
            }
        }

        @Override
        public SharedWindows sharedWindows() {
            return inner.sharedWindows();
        }

        @Override
        public void abort(int culpritRank, String reason) {
            inner.abort(culpritRank, reason);
        }

        @Override
        public void close() {
            inner.close();
        }

        @Override
        public String toString() {
            return inner.toString();
        }
    }
}
