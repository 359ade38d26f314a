package io.torus.comm;

import io.torus.comm.rendezvous.Endpoint;
import io.torus.comm.rendezvous.HazelcastRendezvous;
import io.torus.comm.rendezvous.RendezvousInfo;
import io.torus.comm.rendezvous.RendezvousSpec;
import io.torus.comm.transport.Transport;
import io.torus.comm.transport.netty.NettyTransport;
import io.torus.comm.transport.netty.TlsConfig;
import io.torus.comm.transport.shm.ShmTransport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Creates {@link ProcessGroup}s.
 *
 * <pre>{@code
 * // a worker started by `torus run` (TORUS_RANK, TORUS_WORLD_SIZE, TORUS_RDZV_ENDPOINT, TORUS_JOB_ID set):
 * try (ProcessGroup pg = ProcessGroups.join(WorkerEnv.fromEnvironment())) {
 *     pg.allReduce(grad, ReduceOp.AVG);
 * }
 *
 * // a host that exchanges addresses itself (Spark's barrier stage):
 * NettyTransport t = NettyTransport.bind("10.0.0.5");
 * List<InetSocketAddress> all = exchange(t.localAddress());      // e.g. BarrierTaskContext.allGather
 * t.connect(rank, all);
 * try (ProcessGroup pg = ProcessGroups.overTransport(t)) { ... }
 * }</pre>
 */
public final class ProcessGroups {
    private static final Logger log = LoggerFactory.getLogger(ProcessGroups.class);
    private static final String LOST = "left the job (its process exited, or it sent no heartbeat for "
            + Long.getLong("torus.rdzv.max.no.heartbeat.seconds", 5) + " s)";

    private ProcessGroups() {
    }

    /**
     * Joins the job described by {@code env}: binds the data plane (Netty) on the local interface
     * that reaches the rendezvous endpoint ({@code 127.0.0.1} for a loopback endpoint), meets the
     * other workers through Hazelcast (rank 0's member listens on the endpoint), connects the ring
     * (over shared memory when all ranks are on this machine, see {@link TransportMode}; else over
     * Netty) and returns the group. Blocks until every worker has joined, at most
     * {@code torus.rdzv.timeout.seconds} (default 120) for the rendezvous and
     * {@code torus.comm.connect.timeout.seconds} (default 60) for the ring.
     * {@link ProcessGroup#close()} shuts down Netty and Hazelcast. The ring is authenticated by the
     * job token when {@value #JOB_SECRET_ENV} is set and encrypted with mutual TLS when
     * {@code TORUS_TLS_CERT} is (see {@link TlsConfig}).
     *
     * @throws IllegalStateException naming the missing ranks when the job does not assemble in time
     */
    public static ProcessGroup join(WorkerEnv env) {
        Objects.requireNonNull(env, "env");
        Endpoint endpoint = Endpoint.parse(env.rdzvEndpoint());
        String host = endpoint.localHost();
        Duration timeout = Duration.ofSeconds(Long.getLong("torus.rdzv.timeout.seconds", 120));
        long start = System.nanoTime();
        byte[] secret = jobSecret();
        TlsConfig tls = TlsConfig.fromEnvironment();
        String hostId = localHostIdentity();
        // Always bound: its address is what the rendezvous publishes, and the ring may need it.
        NettyTransport netty = NettyTransport.bind(host,
                NettyTransport.Options.defaults().withJobSecret(secret).withTls(tls));
        AtomicReference<Transport> current = new AtomicReference<>(netty);
        HazelcastRendezvous rendezvous = null;
        try {
            rendezvous = HazelcastRendezvous.start(new RendezvousSpec(env.jobId(), endpoint, env.rank(),
                    env.worldSize(), host, netty.localAddress(), hostId, RendezvousSpec.newNonce()), timeout);
            RendezvousInfo info = rendezvous.await(timeout);
            rendezvous.onMemberLost(lost -> current.get().abort(lost, LOST));
            Transport transport = connect(netty, info, env.jobId(), secret);
            current.set(transport);
            log.info("rank {} of {} joined job '{}' in {} ms over {}{}", env.rank(), env.worldSize(), env.jobId(),
                    (System.nanoTime() - start) / 1_000_000, transport,
                    tls == null || transport != netty ? "" : " (TLS, certificate " + tls.certificate() + ")");
            return withShutdownHook(transport, rendezvous);
        } catch (RuntimeException e) {
            current.get().close();
            netty.close();
            if (rendezvous != null) {
                rendezvous.close();
            }
            throw e;
        }
    }

    /**
     * This process's machine identity as ranks publish it to choose shared memory (see
     * {@link TransportMode}); empty when {@code torus.comm.transport=netty}.
     */
    public static String localHostIdentity() {
        return TransportMode.configured() == TransportMode.NETTY ? ""
                : ShmTransport.hostIdentity(ShmTransport.Options.defaults().directory());
    }

    /**
     * Connects the ring once every rank's address and host identity is known ({@code info}): over
     * shared memory when {@link TransportMode} allows it and every rank is on this machine (then
     * {@code netty}, bound only to publish an address, is closed), else over {@code netty}. Used by
     * {@link #join} and by hosts that exchange addresses themselves (Spark's barrier allGather).
     *
     * @param secret the job secret keying the shared-memory file names, or null
     */
    public static Transport connect(NettyTransport netty, RendezvousInfo info, String jobId, byte[] secret) {
        if (TransportMode.configured().useShm(info)) {
            Transport shm = ShmTransport.connect(info.rank(), info.worldSize(),
                    shmKey(jobId, info.generation(), info.groupNonce(), secret), ShmTransport.Options.defaults());
            netty.close();
            return shm;
        }
        netty.connect(info.rank(), info.peers());
        return netty;
    }

    /** The environment variable that picks the data plane; it wins over {@code torus.comm.transport}. */
    public static final String TRANSPORT_ENV = "TORUS_COMM_TRANSPORT";

    /**
     * Which transport {@link #join} uses ({@code torus.comm.transport} or {@link #TRANSPORT_ENV}):
     * {@code auto} (the default) takes shared memory when every rank of the job published the same
     * host identity (same machine, same {@code /dev/shm}, same pid namespace) and Netty otherwise;
     * {@code netty} always takes Netty; {@code shm} insists on shared memory and fails when the
     * ranks are not on one host.
     */
    enum TransportMode {
        AUTO, NETTY, SHM;

        static TransportMode configured() {
            String env = System.getenv(TRANSPORT_ENV);
            return parse(env != null && !env.isBlank() ? env : System.getProperty("torus.comm.transport", "auto"));
        }

        static TransportMode parse(String value) {
            return switch (value.strip().toLowerCase(java.util.Locale.ROOT)) {
                case "auto" -> AUTO;
                case "netty" -> NETTY;
                case "shm" -> SHM;
                default -> throw new IllegalArgumentException("torus.comm.transport (or " + TRANSPORT_ENV + ") '" + value
                        + "': expected auto, netty or shm");
            };
        }

        boolean useShm(RendezvousInfo info) {
            return switch (this) {
                case NETTY -> false;
                case AUTO -> info.worldSize() > 1 && info.allOnOneHost();
                case SHM -> {
                    if (!info.allOnOneHost()) {
                        throw new IllegalStateException("torus.comm.transport=shm, but the ranks are not all on one host "
                                + "(host identities by rank: " + info.hostIds() + "): use auto or netty");
                    }
                    yield info.worldSize() > 1;
                }
            };
        }
    }

    /**
     * The name component of the group's shared-memory files: a hash of the job id, the generation
     * and rank 0's random nonce, keyed with the job secret when there is one. Unguessable without
     * the nonce, different for every job and every generation.
     */
    static String shmKey(String jobId, int generation, String nonce, byte[] secret) {
        byte[] input = (jobId + "\u0000" + generation + "\u0000" + nonce).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try {
            byte[] digest;
            if (secret != null) {
                javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
                mac.init(new javax.crypto.spec.SecretKeySpec(secret, "HmacSHA256"));
                digest = mac.doFinal(input);
            } else {
                digest = java.security.MessageDigest.getInstance("SHA-256").digest(input);
            }
            return java.util.HexFormat.of().formatHex(digest, 0, 16);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("cannot derive the shm key: " + e, e);
        }
    }

    /**
     * A worker that exits without closing its group (System.exit, SIGTERM) would drop its
     * connections without a goodbye and vanish from Hazelcast unannounced, failing peers that are
     * still finishing their last collective. A shutdown hook closes the group in order instead; it
     * is removed again when the group is closed normally.
     */
    private static ProcessGroup withShutdownHook(Transport transport, HazelcastRendezvous rendezvous) {
        AtomicReference<Thread> hook = new AtomicReference<>();
        StallWatch stalls = StallWatch.fromSystemProperties(transport.rank(), transport.worldSize());
        rendezvous.serveProgress(stalls::progress);
        stalls.askPeersWith(rendezvous::askProgress);
        RingProcessGroup group = new RingProcessGroup(transport, () -> {
            try {
                Runtime.getRuntime().removeShutdownHook(hook.get());
            } catch (IllegalStateException shuttingDown) {
                // closed by the hook itself
            }
            rendezvous.close();
        }, stalls);
        hook.set(new Thread(group::close, "torus-close-rank-" + transport.rank()));
        Runtime.getRuntime().addShutdownHook(hook.get());
        return group;
    }

    /**
     * A group over an already connected transport, for hosts that exchange addresses themselves
     * (Spark) and for tests. The group owns the transport: closing the group closes it. Peers are
     * found lost only through the transport itself (dropped connections, aborts, receive timeout).
     */
    public static ProcessGroup overTransport(Transport transport) {
        return new RingProcessGroup(transport, null);
    }

    /** The environment variable carrying the job secret, hex-encoded; unset or empty: no authentication. */
    public static final String JOB_SECRET_ENV = "TORUS_JOB_SECRET";

    /** The job secret from {@link #JOB_SECRET_ENV}, or null when it is not set. */
    static byte[] jobSecret() {
        return parseSecret(System.getenv(JOB_SECRET_ENV));
    }

    static byte[] parseSecret(String hex) {
        if (hex == null || hex.isBlank()) {
            return null;
        }
        try {
            return java.util.HexFormat.of().parseHex(hex.strip());
        } catch (IllegalArgumentException e) {
            // Never echo the value: it is the secret.
            throw new IllegalArgumentException(JOB_SECRET_ENV + " is not a hex string (" + hex.strip().length()
                    + " characters)");
        }
    }
}
