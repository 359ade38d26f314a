package io.torus.comm.transport.shm;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/*
 * The futex of a link, made of a Unix-domain socket: a side that has nothing to do (a consumer
 * with an empty ring, a producer with a full one) raises its "sleeping" word in the link header,
 * re-reads the counter it waits on, and blocks in select() on its end of the socket; the other
 * side, after publishing a counter, reads that word and, only if it is raised, writes one byte.
 * The kernel then wakes the sleeper at once, as a socket read wakes gloo, instead of after a
 * polling period, and nobody pays a system call while both sides keep up. The stores and loads
 * of the counters and the sleeping words are volatile (sequentially consistent), so of "raise
 * the word, re-read the counter" and "publish the counter, read the word" at least one side sees
 * the other's store: no lost wake-up. Waits still time out every few tens of milliseconds to
 * check for aborts, dead peers and timeouts. A byte written when nobody sleeps only causes one
 * spurious wake-up later. End of stream (the peer closed or died) makes the bell "broken": its
 * side then falls back to parking, and the pid check or the closed flag tells what happened.
 */
final class Doorbell implements AutoCloseable {
    private final SocketChannel channel;
    private final Selector selector;
    private final ByteBuffer one = ByteBuffer.allocateDirect(1);
    private final ByteBuffer drain = ByteBuffer.allocateDirect(256);
    private volatile boolean broken;

    private Doorbell(SocketChannel channel) throws IOException {
        this.channel = channel;
        channel.configureBlocking(false);
        this.selector = Selector.open();
        channel.register(selector, SelectionKey.OP_READ);
    }

    static Path socketPath(Path linkFile) {
        return linkFile.resolveSibling(linkFile.getFileName() + ".bell");
    }

    /** The consumer's side: listens on the link's socket path, owner-only. */
    static ServerSocketChannel listen(Path path) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(path));
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
            server.configureBlocking(false);
            return server;
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    /** Accepts the producer's connection, or returns null when it has not connected yet. */
    static Doorbell tryAccept(ServerSocketChannel server) throws IOException {
        SocketChannel ch = server.accept();
        return ch == null ? null : new Doorbell(ch);
    }

    /** The producer's side: connects to the consumer's socket, or returns null when it is not there yet. */
    static Doorbell tryConnect(Path path) throws IOException {
        SocketChannel ch = connectOrNull(path);
        return ch == null ? null : new Doorbell(ch);
    }

    /** A blocking connection to the Unix-domain socket at {@code path}, or null when nothing listens there yet. */
    static SocketChannel connectOrNull(Path path) throws IOException {
        if (!Files.exists(path)) {
            return null;
        }
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(path));
            return ch;
        } catch (java.net.ConnectException e) {
            ch.close();
            return null;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Wakes the other side (it may not be asleep any more; then it wakes once for nothing later). */
    void ring() {
        if (broken) {
            return;
        }
        try {
            synchronized (one) {
                one.clear();
                channel.write(one);
            }
        } catch (IOException e) {
            broken = true;
        }
    }

    /** Blocks until the other side rings, {@link #wakeUp} is called, or {@code millis} pass. */
    void await(long millis) {
        if (broken) {
            java.util.concurrent.locks.LockSupport.parkNanos(Math.min(millis, 1) * 1_000_000L);
            return;
        }
        try {
            selector.select(Math.max(1, millis));
            selector.selectedKeys().clear();
            for (int n; (n = channel.read(drain.clear())) > 0; ) {
                // drained: several rings are one wake-up
            }
            if (channel.read(drain.clear()) < 0) {
                broken = true;
            }
        } catch (IOException e) {
            broken = true;
        }
    }

    /** Makes a pending {@link #await} return now (a local abort or close). */
    void wakeUp() {
        selector.wakeup();
    }

    @Override
    public void close() {
        broken = true;
        try {
            selector.close();
        } catch (IOException ignored) {
            // best effort
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // best effort
        }
    }
}
