package io.torus.comm.transport.shm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/*
 * The doorbells of the shm windows: Doorbell's idea (a Unix-domain socket written only when the
 * other side said it sleeps, so the kernel wakes a sleeper the moment there is news) for a rank
 * that may wait for any other rank: one connection from every rank to every other, all of a
 * rank's incoming ones on one Selector. Windows raises this rank's sleeping word, re-checks what it
 * waits for and blocks in await(); a rank that publishes a counter rings every rank whose sleeping
 * word is up. End of stream on a connection (the peer closed or died) wakes the sleeper too; the
 * wait's own checks then tell what happened. Waits still time out every 50 ms.
 */
final class WindowBells implements AutoCloseable {
    private final Selector selector;
    /** To rank k; null for this rank. */
    private final SocketChannel[] out;
    private final ByteBuffer one = ByteBuffer.allocateDirect(1);
    private final ByteBuffer drain = ByteBuffer.allocateDirect(256);

    private WindowBells(Selector selector, SocketChannel[] out) {
        this.selector = selector;
        this.out = out;
    }

    static Path socketPath(Path windowFile) {
        return windowFile.resolveSibling(windowFile.getFileName() + ".bell");
    }

    /** Connects to rank k's bell socket (non-blocking), or returns null when it does not listen yet. */
    static SocketChannel tryConnect(Path path) throws IOException {
        SocketChannel ch = Doorbell.connectOrNull(path);
        if (ch != null) {
            try {
                ch.configureBlocking(false);
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
        }
        return ch;
    }

    /**
     * The bells of one rank: {@code out[k]} connected to rank k (null for this rank) and the
     * {@code incoming} connections accepted from the others.
     */
    static WindowBells of(SocketChannel[] out, SocketChannel[] incoming) throws IOException {
        Selector selector = Selector.open();
        try {
            for (SocketChannel ch : incoming) {
                ch.configureBlocking(false);
                ch.register(selector, SelectionKey.OP_READ);
            }
        } catch (IOException | RuntimeException e) {
            selector.close();
            throw e;
        }
        return new WindowBells(selector, out);
    }

    /** Wakes rank k if it sleeps (else it wakes once for nothing later). */
    void ring(int k) {
        SocketChannel ch = out[k];
        if (ch == null || !ch.isOpen()) {
            return;
        }
        try {
            synchronized (one) {
                one.clear();
                ch.write(one);
            }
        } catch (IOException e) {
            closeQuietly(ch);
        }
    }

    /** Blocks until some rank rings, one hangs up, {@link #wakeUp} is called, or {@code millis} pass. */
    void await(long millis) {
        try {
            selector.select(Math.max(1, millis));
            for (SelectionKey key : selector.selectedKeys()) {
                SocketChannel ch = (SocketChannel) key.channel();
                try {
                    int n;
                    while ((n = ch.read(drain.clear())) > 0) {
                        // drained: several rings are one wake-up
                    }
                    if (n < 0) {
                        key.cancel();
                        closeQuietly(ch);
                    }
                } catch (IOException e) {
                    key.cancel();
                    closeQuietly(ch);
                }
            }
            selector.selectedKeys().clear();
        } catch (IOException | java.nio.channels.ClosedSelectorException e) {
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000L);
        }
    }

    /** Makes a pending {@link #await} return now (a local abort or close). */
    void wakeUp() {
        selector.wakeup();
    }

    @Override
    public void close() {
        for (SelectionKey key : selector.keys()) {
            closeQuietly(key.channel());
        }
        for (SocketChannel ch : out) {
            if (ch != null) {
                closeQuietly(ch);
            }
        }
        try {
            selector.close();
        } catch (IOException ignored) {
            // best effort
        }
    }

    static void closeQuietly(java.nio.channels.Channel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // best effort
        }
    }

    /** The listening side of this rank's bell, owner-only; see {@link Doorbell#listen}. */
    static ServerSocketChannel listen(Path path) throws IOException {
        return Doorbell.listen(path);
    }
}
