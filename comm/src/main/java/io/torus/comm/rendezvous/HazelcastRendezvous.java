package io.torus.comm.rendezvous;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.ListenerConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

/*
 * Rendezvous and membership through embedded Hazelcast members: Hazelcast only finds the workers
 * and watches them; tensors go over Netty.
 *
 * Every worker starts one member, on its own machine's interface, in a cluster named after the job
 * (so two jobs, or two tests, never meet). Rank 0's member listens on the port of
 * TORUS_RDZV_ENDPOINT; the others take any free port and name the endpoint as their TCP-IP
 * "required member", which makes them join rank 0's cluster or fail, never form one of their own
 * when rank 0 is late (rank 0 itself becomes master at once, without waiting for anybody).
 * Multicast, auto-detection and phone-home are off. Each member carries three attributes, fixed at
 * start: its rank, the world size it expects, and its Netty address. await() returns when
 * worldSize members with consistent attributes are present.
 *
 * Loss: heartbeats every second, a member silent for 5 s is removed (a killed process is noticed
 * sooner, when its connections drop). The membership listener tells onMemberLost callbacks the
 * lost rank, which the process group turns into a transport abort so pending collectives fail
 * naming it. But at the end of every job members leave one after another on purpose, while a
 * slower rank may still be finishing its last collective with data it already has; reporting those
 * would fail healthy jobs. So close() first records the rank in the "torus.departures" map (a
 * synchronous put, backed up on another member), and a removal is reported only when its rank is
 * not there. The check runs on its own thread, never on Hazelcast's event thread.
 *
 * Progress questions (stall reports, Note [Stall report] in io.torus.comm.StallWatch): a rank that
 * has waited too long in a collective puts a fresh question id into the "torus.progress.requests"
 * map; every member's entry listener answers on this class's own thread by putting "id;answer"
 * under its rank into "torus.progress". The asker reads the answers that carry its id. Nothing is
 * sent while no rank asks.
 *
 * No CP subsystem (not in the open-source edition): nothing here needs a lock or a counter.
 */
/**
 * Joins the workers of one job through embedded Hazelcast members; see the comment above.
 *
 * <pre>{@code
 * try (HazelcastRendezvous rdzv = HazelcastRendezvous.start(spec, Duration.ofMinutes(2))) {
 *     RendezvousInfo info = rdzv.await(Duration.ofMinutes(2));
 *     rdzv.onMemberLost(rank -> transport.abort(rank, "left the job"));
 *     ...
 * }
 * }</pre>
 */
public final class HazelcastRendezvous implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HazelcastRendezvous.class);
    static final String RANK = "torus.rank";
    static final String WORLD_SIZE = "torus.world.size";
    static final String DATA_ADDRESS = "torus.data.address";
    static final String HOST_ID = "torus.host.id";
    static final String NONCE = "torus.nonce";
    static final String DEPARTURES = "torus.departures";
    static final String PROGRESS_REQUESTS = "torus.progress.requests";
    static final String PROGRESS = "torus.progress";
    static final int HEARTBEAT_INTERVAL_SECONDS = Integer.getInteger("torus.rdzv.heartbeat.interval.seconds", 1);
    static final int MAX_NO_HEARTBEAT_SECONDS = Integer.getInteger("torus.rdzv.max.no.heartbeat.seconds", 5);

    private final RendezvousSpec spec;
    private final Object membershipChanged = new Object();
    private final List<IntConsumer> lostListeners = new CopyOnWriteArrayList<>();
    private final ExecutorService lossReports;
    private final HazelcastInstance hz;
    private volatile boolean closing;

    private HazelcastRendezvous(RendezvousSpec spec, Duration joinTimeout) {
        this.spec = spec;
        this.lossReports = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "torus-rdzv-rank-" + spec.rank());
            t.setDaemon(true);
            return t;
        });
        try {
            this.hz = Hazelcast.newHazelcastInstance(config(spec, joinTimeout, new Listener()));
        } catch (RuntimeException e) {
            lossReports.shutdownNow();
            throw new IllegalStateException("rank " + spec.rank() + " could not join the rendezvous of job '"
                    + spec.jobId() + "' at " + spec.endpoint() + " within " + joinTimeout
                    + " (is rank 0 running, with the same TORUS_JOB_ID, and is the port free on its machine?): "
                    + e.getMessage(), e);
        }
    }

    /**
     * Starts this worker's member and joins the job's cluster: at once for rank 0, which listens
     * on the endpoint's port; for the others as soon as rank 0's member answers, within
     * {@code joinTimeout}.
     */
    public static HazelcastRendezvous start(RendezvousSpec spec, Duration joinTimeout) {
        return new HazelcastRendezvous(spec, joinTimeout);
    }

    static Config config(RendezvousSpec spec, Duration joinTimeout, MembershipListener listener) {
        Config config = new Config()
                .setClusterName(spec.jobId())
                .setInstanceName("torus-" + spec.jobId() + "-rank-" + spec.rank())
                .setProperty("hazelcast.logging.type", System.getProperty("hazelcast.logging.type", "slf4j"))
                .setProperty("hazelcast.phone.home.enabled", "false")
                .setProperty("hazelcast.heartbeat.interval.seconds", Integer.toString(HEARTBEAT_INTERVAL_SECONDS))
                .setProperty("hazelcast.max.no.heartbeat.seconds", Integer.toString(MAX_NO_HEARTBEAT_SECONDS))
                .setProperty("hazelcast.max.join.seconds", Long.toString(Math.max(1, joinTimeout.toSeconds())))
                .setProperty("hazelcast.wait.seconds.before.join", "0")
                .setProperty("hazelcast.socket.bind.any", "false")
                .setProperty("hazelcast.partition.count", "7")
                .setProperty("hazelcast.graceful.shutdown.max.wait", "10")
                // ProcessGroups.join registers a hook that closes the transport, then this rendezvous
                // (recording the departure): Hazelcast's own hook would race it and look like a crash.
                .setProperty("hazelcast.shutdownhook.enabled", "false")
                .addListenerConfig(new ListenerConfig(listener));
        NetworkConfig network = config.getNetworkConfig()
                .setPort(spec.rank() == 0 ? spec.endpoint().port() : 0)
                .setPortAutoIncrement(false);
        network.getInterfaces().setEnabled(true).addInterface(spec.host());
        JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true).setRequiredMember(spec.endpoint().toString());
        InetSocketAddress data = spec.dataAddress();
        config.getMemberAttributeConfig()
                .setAttribute(RANK, Integer.toString(spec.rank()))
                .setAttribute(WORLD_SIZE, Integer.toString(spec.worldSize()))
                .setAttribute(DATA_ADDRESS, data.getAddress().getHostAddress() + ":" + data.getPort())
                .setAttribute(HOST_ID, spec.hostId())
                .setAttribute(NONCE, spec.nonce());
        return config;
    }

    /**
     * Waits until all {@code worldSize} workers have joined.
     *
     * @throws IllegalStateException naming the missing ranks after {@code timeout}, or at once when
     *                               two members claim the same rank or disagree on the world size
     */
    public RendezvousInfo await(Duration timeout) {
        long start = System.nanoTime();
        synchronized (membershipChanged) {
            while (true) {
                Roster roster = new Roster(hz.getCluster().getMembers());
                if (roster.complete()) {
                    RendezvousInfo info = new RendezvousInfo(spec.rank(), spec.worldSize(), 0, roster.addresses(),
                            roster.hostIds(), roster.nonceOf(0));
                    log.debug("rank {}: rendezvous of job '{}' complete: {}", spec.rank(), spec.jobId(), info.peers());
                    return info;
                }
                long leftMillis = timeout.toMillis() - (System.nanoTime() - start) / 1_000_000;
                if (leftMillis <= 0) {
                    throw new IllegalStateException("rank " + spec.rank() + ": rendezvous of job '" + spec.jobId()
                            + "' at " + spec.endpoint() + " timed out after " + timeout + ": " + roster.describeMissing());
                }
                try {
                    membershipChanged.wait(leftMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("rank " + spec.rank() + ": interrupted during the rendezvous", e);
                }
            }
        }
    }

    /**
     * Calls {@code listener} with the rank of every member that leaves without {@link #close()}:
     * its process exited or was killed, or it sent no heartbeat for 5 seconds.
     */
    public void onMemberLost(IntConsumer listener) {
        lostListeners.add(listener);
    }

    /**
     * Answers every rank's {@link #askProgress} with {@code answer.get()} (called on this
     * rendezvous's own thread, never on the caller's or Hazelcast's).
     */
    public void serveProgress(Supplier<String> answer) {
        IMap<Integer, String> answers = hz.getMap(PROGRESS);
        hz.<String, Long>getMap(PROGRESS_REQUESTS).addEntryListener(new ProgressQuestions(id -> {
            try {
                lossReports.execute(() -> {
                    try {
                        answers.set(spec.rank(), id + ";" + answer.get());
                    } catch (RuntimeException e) {
                        log.debug("rank {}: could not answer a progress question: {}", spec.rank(), e.toString());
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException closing) {
                // this rank is leaving: no answer
            }
        }), true);
    }

    /**
     * Asks every rank that {@link #serveProgress serves} how far it is and waits for the answers,
     * at most {@code timeout}.
     *
     * @return rank to answer, for the ranks that answered in time (this one included)
     */
    public Map<Integer, String> askProgress(Duration timeout) {
        long id = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
        String prefix = id + ";";
        IMap<Integer, String> answers = hz.getMap(PROGRESS);
        BlockingQueue<Map.Entry<Integer, String>> arrived =
                new LinkedBlockingQueue<>();
        UUID registration = answers.addEntryListener(new ProgressAnswers(arrived), true);
        Map<Integer, String> got = new TreeMap<>();
        try {
            hz.<String, Long>getMap(PROGRESS_REQUESTS).set("question", id);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (got.size() < spec.worldSize()) {
                Map.Entry<Integer, String> e = arrived.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                if (e == null) {
                    break;
                }
                if (e.getValue().startsWith(prefix)) {
                    got.put(e.getKey(), e.getValue().substring(prefix.length()));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            answers.removeEntryListener(registration);
        }
        return got;
    }

    /** Records this rank's departure, so that the others do not report it lost, and leaves the cluster. */
    @Override
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        if (!hz.getLifecycleService().isRunning()) {
            lossReports.shutdownNow();
            return;
        }
        try {
            IMap<Integer, String> departures = hz.getMap(DEPARTURES);
            departures.putAsync(spec.rank(), "closed").toCompletableFuture().get(2, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.debug("rank {}: could not record the departure: {}", spec.rank(), e.toString());
        }
        lossReports.shutdownNow();
        hz.shutdown();
    }

    private void reportIfLost(Member member) {
        String rank = member.getAttribute(RANK);
        if (closing || rank == null) {
            return;
        }
        boolean departed;
        try {
            departed = hz.<Integer, String>getMap(DEPARTURES).containsKey(Integer.parseInt(rank));
        } catch (RuntimeException e) {
            if (closing) {
                return;
            }
            departed = false;
        }
        if (departed) {
            log.debug("rank {}: rank {} closed and left", spec.rank(), rank);
            return;
        }
        log.warn("rank {}: rank {} ({}) left the job without closing", spec.rank(), rank, member.getAddress());
        for (IntConsumer l : lostListeners) {
            l.accept(Integer.parseInt(rank));
        }
    }

    /** Calls back with the question id whenever a progress question is asked. */
    private record ProgressQuestions(LongConsumer onQuestion)
            implements EntryAddedListener<String, Long>,
            EntryUpdatedListener<String, Long> {
        @Override
        public void entryAdded(EntryEvent<String, Long> event) {
            onQuestion.accept(event.getValue());
        }

        @Override
        public void entryUpdated(EntryEvent<String, Long> event) {
            onQuestion.accept(event.getValue());
        }
    }

    /** Queues every answer as it is put. */
    private record ProgressAnswers(Queue<Map.Entry<Integer, String>> arrived)
            implements EntryAddedListener<Integer, String>,
            EntryUpdatedListener<Integer, String> {
        @Override
        public void entryAdded(EntryEvent<Integer, String> event) {
            arrived.add(Map.entry(event.getKey(), event.getValue()));
        }

        @Override
        public void entryUpdated(EntryEvent<Integer, String> event) {
            arrived.add(Map.entry(event.getKey(), event.getValue()));
        }
    }

    private final class Listener implements MembershipListener {
        @Override
        public void memberAdded(MembershipEvent event) {
            synchronized (membershipChanged) {
                membershipChanged.notifyAll();
            }
        }

        @Override
        public void memberRemoved(MembershipEvent event) {
            synchronized (membershipChanged) {
                membershipChanged.notifyAll();
            }
            if (!closing) {
                lossReports.execute(() -> reportIfLost(event.getMember()));
            }
        }
    }

    /** The members present now, checked against the spec. */
    private final class Roster {
        private final InetSocketAddress[] byRank = new InetSocketAddress[spec.worldSize()];
        private final Member[] members = new Member[spec.worldSize()];
        private final String[] hostIds = new String[spec.worldSize()];
        private final String[] nonces = new String[spec.worldSize()];

        Roster(Set<Member> present) {
            for (Member m : present) {
                String rank = m.getAttribute(RANK);
                String worldSize = m.getAttribute(WORLD_SIZE);
                String address = m.getAttribute(DATA_ADDRESS);
                if (rank == null || worldSize == null || address == null) {
                    throw new IllegalStateException("rendezvous of job '" + spec.jobId() + "': member " + m.getAddress()
                            + " has no Torus attributes (is another application using this cluster name?)");
                }
                if (Integer.parseInt(worldSize) != spec.worldSize()) {
                    throw new IllegalStateException("rendezvous of job '" + spec.jobId() + "': member " + m.getAddress()
                            + " (rank " + rank + ") expects " + worldSize + " workers, rank " + spec.rank() + " expects "
                            + spec.worldSize() + " (TORUS_WORLD_SIZE must be the same everywhere)");
                }
                int r = Integer.parseInt(rank);
                if (r < 0 || r >= spec.worldSize()) {
                    throw new IllegalStateException("rendezvous of job '" + spec.jobId() + "': member " + m.getAddress()
                            + " claims rank " + r + ", expected 0.." + (spec.worldSize() - 1));
                }
                if (members[r] != null) {
                    throw new IllegalStateException("rendezvous of job '" + spec.jobId() + "': members "
                            + members[r].getAddress() + " and " + m.getAddress() + " both claim rank " + r
                            + " (two workers started with the same TORUS_RANK?)");
                }
                members[r] = m;
                byRank[r] = parseAddress(address, m);
                String hostId = m.getAttribute(HOST_ID);
                String nonce = m.getAttribute(NONCE);
                hostIds[r] = hostId == null ? "" : hostId;
                nonces[r] = nonce == null ? "" : nonce;
            }
        }

        boolean complete() {
            return Arrays.stream(members).allMatch(m -> m != null);
        }

        List<InetSocketAddress> addresses() {
            return List.of(byRank);
        }

        List<String> hostIds() {
            return List.of(hostIds);
        }

        String nonceOf(int rank) {
            return nonces[rank];
        }

        String describeMissing() {
            Set<Integer> present = new TreeSet<>();
            List<Integer> missing = new ArrayList<>();
            for (int r = 0; r < members.length; r++) {
                (members[r] != null ? present : missing).add(r);
            }
            return present.size() + " of " + spec.worldSize() + " workers present (ranks " + present + "), missing ranks "
                    + missing;
        }

        private InetSocketAddress parseAddress(String hostPort, Member m) {
            int colon = hostPort.lastIndexOf(':');
            try {
                return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
            } catch (RuntimeException e) {
                throw new IllegalStateException("rendezvous of job '" + spec.jobId() + "': member " + m.getAddress()
                        + " publishes data address '" + hostPort + "', expected HOST:PORT", e);
            }
        }
    }
}
