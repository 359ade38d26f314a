package io.torus.comm.transport.netty;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.torus.comm.protocol.Chunk;
import io.torus.comm.protocol.Frame;
import io.torus.comm.transport.CollectiveMismatchException;
import io.torus.comm.transport.Elements;
import io.torus.comm.transport.Inbox;
import io.torus.comm.transport.PeerLostException;
import io.torus.comm.transport.Tag;
import io.torus.comm.transport.Transport;
import io.torus.tensor.DType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The TCP {@link Transport}: long-lived Netty connections around the ring.
 *
 * <p>Life cycle, on every rank:
 * <pre>{@code
 * NettyTransport t = NettyTransport.bind("127.0.0.1");   // listens on an ephemeral port
 * publish(t.localAddress());                             // rendezvous: every rank learns every address
 * t.connect(rank, addressesInRankOrder);                 // blocks until the ring is connected
 * ... send / receive (from one thread) ...
 * t.close();
 * }</pre>
 *
 * <p>{@code connect} opens one connection to the right neighbour ({@code rank + 1}) and waits for
 * the left neighbour ({@code rank - 1}) to open one to it: data flows clockwise, each connection in
 * one direction, which is all that ring all-reduce, broadcast, all-gather and barrier need. Both
 * ends of a connection first exchange a Hello naming their rank, so wrong address lists fail at
 * once with a clear message. See {@code Links} for how lost peers are detected and reported.
 */
public final class NettyTransport implements Transport {
    private static final Logger log = LoggerFactory.getLogger(NettyTransport.class);
    /** Fragments a send may have queued before it waits for the socket to take them (bounds pooled memory). */
    private static final int FRAGMENTS_IN_FLIGHT = 4;
    private static final long RECONNECT_DELAY_MILLIS = 100;
    /** Idle buffer bytes kept per size class (see {@link SlabAllocator}): a ring step's fragments in flight. */
    private static final int IDLE_SLAB_BYTES = 32 << 20;

    /**
     * Tunables, all with defaults that can be overridden by system properties.
     *
     * @param connectTimeout how long {@link #connect} waits for the ring ({@code torus.comm.connect.timeout.seconds}, 60)
     * @param receiveTimeout how long a receive waits before blaming the silent peer ({@code torus.comm.receive.timeout.seconds}, 1800)
     * @param ioThreads      Netty event-loop threads ({@code torus.comm.io.threads}, 2)
     * @param jobSecret      the per-job secret the launcher generates, or null (the default) for
     *                       unauthenticated connections. When set, every Hello carries
     *                       HMAC-SHA256(jobSecret, "torus-hello" ‖ magic ‖ rank ‖ worldSize) (see
     *                       {@link io.torus.comm.protocol.Hello}) and a peer whose Hello has no
     *                       token or a wrong one is refused, logged and disconnected before any of
     *                       its data is delivered. All ranks of a job must use the same secret.
     *                       Limit: there is no server nonce, so a Hello captured from this same job
     *                       could be replayed for its own rank while the job runs; a Hello from
     *                       another job, or re-labelled with another rank, is refused.
     * @param tls            mutual TLS on every connection of the ring (see {@link TlsConfig}), or null
     *                       (the default) for plain TCP. All ranks of a job must agree: a peer without
     *                       TLS, or whose certificate is not trusted, is refused and logged.
     */
    public record Options(Duration connectTimeout, Duration receiveTimeout, int ioThreads, byte[] jobSecret,
                          TlsConfig tls) {
        public Options {
            if (connectTimeout.isNegative() || connectTimeout.isZero() || receiveTimeout.isNegative()
                    || receiveTimeout.isZero()) {
                throw new IllegalArgumentException("NettyTransport.Options: timeouts " + connectTimeout + " and "
                        + receiveTimeout + ": expected both positive");
            }
            if (ioThreads < 1) {
                throw new IllegalArgumentException("NettyTransport.Options: ioThreads " + ioThreads + ": expected >= 1");
            }
            if (jobSecret != null && jobSecret.length == 0) {
                throw new IllegalArgumentException("NettyTransport.Options: empty job secret: expected null or at least one byte");
            }
            jobSecret = jobSecret == null ? null : jobSecret.clone();
        }

        public Options(Duration connectTimeout, Duration receiveTimeout, int ioThreads, byte[] jobSecret) {
            this(connectTimeout, receiveTimeout, ioThreads, jobSecret, null);
        }

        public Options(Duration connectTimeout, Duration receiveTimeout, int ioThreads) {
            this(connectTimeout, receiveTimeout, ioThreads, null, null);
        }

        @Override
        public byte[] jobSecret() {
            return jobSecret == null ? null : jobSecret.clone();
        }

        /** Authenticates connections with {@code secret} (null: no authentication). */
        public Options withJobSecret(byte[] secret) {
            return new Options(connectTimeout, receiveTimeout, ioThreads, secret, tls);
        }

        /** Mutual TLS with {@code config} (null: plain TCP). */
        public Options withTls(TlsConfig config) {
            return new Options(connectTimeout, receiveTimeout, ioThreads, jobSecret, config);
        }

        @Override
        public String toString() {
            return "Options[connectTimeout=" + connectTimeout + ", receiveTimeout=" + receiveTimeout + ", ioThreads="
                    + ioThreads + ", jobSecret=" + (jobSecret == null ? "none" : "set") + ", tls=" + tls + "]";
        }

        public static Options defaults() {
            return new Options(Duration.ofSeconds(Long.getLong("torus.comm.connect.timeout.seconds", 60)),
                    Duration.ofSeconds(Long.getLong("torus.comm.receive.timeout.seconds", 1800)),
                    Integer.getInteger("torus.comm.io.threads", 2));
        }

        public Options withConnectTimeout(Duration timeout) {
            return new Options(timeout, receiveTimeout, ioThreads, jobSecret, tls);
        }

        public Options withReceiveTimeout(Duration timeout) {
            return new Options(connectTimeout, timeout, ioThreads, jobSecret, tls);
        }

        public Options withIoThreads(int threads) {
            return new Options(connectTimeout, receiveTimeout, threads, jobSecret, tls);
        }
    }

    private final Options options;
    /** Client side TLS context (null: plain TCP); the server side's lives in the server's initializer. */
    private final SslContext clientTls;
    private final EventLoopGroup group;
    private final SlabAllocator alloc = new SlabAllocator(IDLE_SLAB_BYTES);
    private final Channel server;
    /** Completes in {@link #connect}; accepted connections wait on it to learn who their peers are. */
    private final CompletableFuture<Links> links = new CompletableFuture<>();
    private volatile Links linked;
    private final AtomicBoolean closed = new AtomicBoolean();

    private NettyTransport(String host, Options options) {
        this.options = Objects.requireNonNull(options, "options");
        SslContext serverTls = options.tls() == null ? null : options.tls().serverContext();
        this.clientTls = options.tls() == null ? null : options.tls().clientContext();
        this.group = EventLoops.newGroup(options.ioThreads());
        try {
            this.server = new ServerBootstrap()
                    .group(group)
                    .channel(EventLoops.serverChannel())
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.ALLOCATOR, alloc)
                    // Data arrives in 1 MiB frames: let a read grow to a whole frame instead of 64 KiB.
                    .childOption(ChannelOption.RCVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator(4096, 65536, 1 << 20))
                    .childHandler(new TorusChannelInitializer(serverTls, () -> HandshakeHandler.accepting(links, options.jobSecret)))
                    .bind(host, 0)
                    .syncUninterruptibly()
                    .channel();
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new IllegalStateException("NettyTransport: cannot listen on " + host + ": " + e.getMessage(), e);
        }
        log.debug("listening on {} ({}{})", server.localAddress(), EventLoops.name(), serverTls == null ? "" : ", TLS");
    }

    /** Listens on an ephemeral port of {@code host} (e.g. "127.0.0.1"), with {@link Options#defaults()}. */
    public static NettyTransport bind(String host) {
        return bind(host, Options.defaults());
    }

    public static NettyTransport bind(String host, Options options) {
        return new NettyTransport(Objects.requireNonNull(host, "host"), options);
    }

    /** The address peers connect to: publish it through the rendezvous. */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) server.localAddress();
    }

    /**
     * Connects this rank into the ring and blocks until both neighbours are connected and have
     * answered the handshake.
     *
     * @param rank  this transport's rank
     * @param peers every rank's {@link #localAddress()}, in rank order (this rank's own included)
     * @throws IllegalStateException naming the missing neighbour if the ring is not up within
     *                               {@link Options#connectTimeout()}, or the handshake fails
     */
    public void connect(int rank, List<InetSocketAddress> peers) {
        if (peers == null || peers.isEmpty()) {
            throw new IllegalArgumentException("connect: peers " + peers + ": expected one address per rank");
        }
        if (rank < 0 || rank >= peers.size()) {
            throw new IllegalArgumentException("connect: rank " + rank + ": expected 0.." + (peers.size() - 1)
                    + " for " + peers.size() + " peer addresses");
        }
        Links l = new Links(rank, peers.size());
        synchronized (this) {
            if (closed.get()) {
                throw new IllegalStateException("connect: rank " + rank + "'s transport is closed");
            }
            if (linked != null) {
                throw new IllegalStateException("connect: this transport is already connected as rank " + linked.rank);
            }
            linked = l;
        }
        links.complete(l);
        if (l.worldSize == 1) {
            return;
        }
        InetSocketAddress rightAddress = Objects.requireNonNull(peers.get(l.right), "address of rank " + l.right);
        long deadline = System.nanoTime() + options.connectTimeout().toNanos();
        Bootstrap bootstrap = new Bootstrap()
                .group(group)
                .channel(EventLoops.socketChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.ALLOCATOR, alloc)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5_000)
                .handler(new TorusChannelInitializer(clientTls, () -> HandshakeHandler.connecting(l, l.right, options.jobSecret)));
        connectRight(bootstrap, l, rightAddress, deadline);
        try {
            // Fail as soon as either side fails (a refused job token, a wrong rank), not only once both are done.
            CompletableFuture<Void> ring = new CompletableFuture<>();
            for (CompletableFuture<Void> side : List.of(l.leftReady, l.rightReady)) {
                side.whenComplete((v, failure) -> {
                    if (failure != null) {
                        ring.completeExceptionally(failure instanceof CompletionException c && c.getCause() != null ? c.getCause() : failure);
                    } else if (l.leftReady.isDone() && l.rightReady.isDone()) {
                        ring.complete(null);
                    }
                });
            }
            ring.get(options.connectTimeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException("rank " + rank + ": ring not connected after " + options.connectTimeout()
                    + ": " + l.waitingFor(rightAddress));
        } catch (ExecutionException e) {
            throw new IllegalStateException("rank " + rank + ": cannot connect the ring: " + e.getCause().getMessage(),
                    e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("rank " + rank + ": interrupted while connecting the ring", e);
        }
        log.debug("rank {}: ring connected: left rank {}, right rank {} at {} ({})", rank, l.left, l.right,
                rightAddress, EventLoops.name());
    }

    /** Connects to the right neighbour, retrying while it is not listening yet, until {@code deadline}. */
    private void connectRight(Bootstrap bootstrap, Links l, InetSocketAddress address, long deadline) {
        if (closed.get() || l.rightReady.isDone()) {
            return;
        }
        bootstrap.connect(address).addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                l.connectFailed(f.cause());
                if (deadline - System.nanoTime() > 0 && !closed.get()) {
                    group.schedule(() -> connectRight(bootstrap, l, address, deadline),
                            RECONNECT_DELAY_MILLIS, TimeUnit.MILLISECONDS);
                }
            }
        });
    }

    @Override
    public int rank() {
        return connected().rank;
    }

    @Override
    public int worldSize() {
        return connected().worldSize;
    }

    @Override
    public void send(int peer, Tag tag, Object src, int offset, int length) {
        Links l = connected();
        checkPeer(l, "send", peer);
        Objects.checkFromIndexSize(offset, length, Elements.length(src));
        int perFragment = Frame.MAX_CHUNK_BYTES / Elements.byteSize(Elements.dtype(src));
        String context = "rank " + l.rank + " cannot send " + tag + " to rank " + peer;
        try {
            checkOpen(l, context);
            l.checkSendable(peer, context);
            Channel ch = l.outbound(peer);
            int sent = 0;
            int fragments = 0;
            do {
                int n = Math.min(perFragment, length - sent);
                Chunk chunk = Chunk.copyOf(tag.seq(), tag.chunk(), sent, length, src, offset + sent, n, ch.alloc());
                sent += n;
                boolean pause = ++fragments % FRAGMENTS_IN_FLIGHT == 0;
                // One task for the event loop per flush point (write + flush would be two wake-ups).
                ChannelFuture written = (sent == length || pause ? ch.writeAndFlush(chunk) : ch.write(chunk))
                        .addListener(writeFailure(l, peer));
                if (pause && sent < length) {
                    awaitWritten(l, peer, written, context);
                }
            } while (sent < length);
        } catch (PeerLostException e) {
            l.fail(e.lostRank(), e.reason());
            throw e;
        }
    }

    private static ChannelFutureListener writeFailure(Links l, int peer) {
        return f -> {
            if (!f.isSuccess()) {
                l.onError(peer, Links.Direction.OUTBOUND, f.cause());
            }
        };
    }

    /** Waits for {@code written} to reach the socket, giving up as soon as the group breaks. */
    private void awaitWritten(Links l, int peer, ChannelFuture written, String context) {
        while (!written.awaitUninterruptibly(100, TimeUnit.MILLISECONDS)) {
            checkOpen(l, context);
            l.checkSendable(peer, context);
        }
        if (!written.isSuccess()) {
            l.checkSendable(peer, context);
            throw new PeerLostException(peer, "could not be written to (" + written.cause() + ")", context);
        }
    }

    @Override
    public void receive(int peer, Tag tag, Object dst, int offset, int length) {
        Links l = connected();
        checkPeer(l, "receive", peer);
        Objects.checkFromIndexSize(offset, length, Elements.length(dst));
        DType dtype = Elements.dtype(dst);
        Inbox<Chunk> inbox = l.inbox(peer);
        int copied = 0;
        do {
            Chunk chunk;
            try {
                chunk = inbox.take(tag, options.receiveTimeout());
            } catch (PeerLostException e) {
                l.fail(e.lostRank(), e.reason());
                throw e;
            }
            try {
                CollectiveMismatchException.check(l.rank, peer, tag, dtype, length, new Tag(chunk.seq(), chunk.chunk()),
                        chunk.dtype(), chunk.total());
                if (chunk.offset() != copied) {
                    throw new CollectiveMismatchException("rank " + l.rank + " expected the fragment at offset " + copied
                            + " of " + tag + " from rank " + peer + " but received offset " + chunk.offset());
                }
                chunk.readInto(dst, offset + copied);
                copied += chunk.elements();
            } catch (CollectiveMismatchException e) {
                l.fail(l.rank, "aborted the group: " + e.getMessage());
                throw e;
            } finally {
                chunk.release();
            }
        } while (copied < length);
    }

    @Override
    public void abort(int culpritRank, String reason) {
        Links l = linked;
        if (l != null) {
            l.fail(culpritRank, reason);
        }
    }

    /** Says goodbye to the peers, closes the connections and the listener, and stops the event loops. */
    @Override
    public void close() {
        synchronized (this) {
            if (!closed.compareAndSet(false, true)) {
                return;
            }
        }
        links.completeExceptionally(new IllegalStateException("transport closed before connect"));
        Links l;
        synchronized (this) {
            l = linked;
        }
        if (l != null) {
            for (ChannelFuture f : l.close()) {
                f.awaitUninterruptibly(1, TimeUnit.SECONDS);
            }
        }
        server.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
        log.debug("transport at {} closed", server.localAddress());
    }

    private Links connected() {
        Links l = linked;
        if (l == null) {
            throw new IllegalStateException("NettyTransport at " + localAddress() + " is not connected: call connect() first");
        }
        return l;
    }

    private void checkOpen(Links l, String context) {
        if (closed.get()) {
            throw new PeerLostException(l.rank, "closed its transport", context);
        }
    }

    private static void checkPeer(Links l, String op, int peer) {
        if (peer < 0 || peer >= l.worldSize || peer == l.rank) {
            throw new IllegalArgumentException(op + ": peer " + peer + " is not another rank of this group (ranks 0.."
                    + (l.worldSize - 1) + ", this is rank " + l.rank + ")");
        }
    }

    @Override
    public String toString() {
        Links l = linked;
        return "NettyTransport[" + (l == null ? "unconnected" : "rank " + l.rank + " of " + l.worldSize) + " at "
                + server.localAddress() + "]";
    }
}
