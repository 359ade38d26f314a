package io.torus.launcher.agent;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One worker JVM as the agent sees it: the process, and a thread that copies its merged
 * stdout/stderr line by line to the console (prefixed {@code [rank N] }) and to
 * {@code <runDir>/rank-N.log}, keeping the last few lines for a failure message.
 *
 * <p>A piece of output that ends in a bare carriage return instead of a newline is a status line
 * (a job's progress bar, see {@link Agent#TERMINAL}): it goes to the console's status line only,
 * never to the log, so that the log holds just the lines that stay on the screen.
 */
final class Worker {
    final int rank;
    final int localRank;
    final Process process;
    final Path logFile;

    private final Deque<String> tail = new ArrayDeque<>();
    private final int tailCapacity;
    private final CompletableFuture<Void> drained = new CompletableFuture<>();

    private Worker(int rank, int localRank, Process process, Path logFile, int tailCapacity) {
        this.rank = rank;
        this.localRank = localRank;
        this.process = process;
        this.logFile = logFile;
        this.tailCapacity = tailCapacity;
    }

    /**
     * Starts the process and its output thread. The worker's stdin stays an open pipe that the
     * agent never writes: when the agent dies, even by {@code kill -9}, the worker reads EOF.
     */
    static Worker start(ProcessBuilder builder, int rank, int localRank, Path logFile, String header,
                        AgentConsole console, int tailCapacity) throws IOException {
        builder.redirectErrorStream(true);
        BufferedWriter log = Files.newBufferedWriter(logFile, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        if (header != null) {
            log.write(header);
            log.newLine();
            log.flush();
        }
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            log.close();
            throw e;
        }
        Worker w = new Worker(rank, localRank, process, logFile, tailCapacity);
        Thread pump = new Thread(() -> w.pump(log, console), "torus-rank-" + rank + "-output");
        pump.setDaemon(true);
        pump.start();
        return w;
    }

    private void pump(BufferedWriter log, AgentConsole console) {
        String prefix = "[rank " + rank + "] ";
        try (log; Reader in = new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)) {
            copy(in, new Sink() {
                @Override
                public void line(String line) throws IOException {
                    console.line(prefix + line);
                    synchronized (tail) {
                        if (tailCapacity > 0) {
                            if (tail.size() == tailCapacity) {
                                tail.removeFirst();
                            }
                            tail.addLast(line);
                        }
                    }
                    log.write(line);
                    log.newLine();
                    log.flush();
                }

                @Override
                public void status(String line) {
                    console.status(Worker.this, line.isBlank() ? "" : prefix + line);
                }
            });
        } catch (IOException e) {
            console.line(prefix + "(torus: output lost: " + e + ")");
        } finally {
            console.status(this, "");
            drained.complete(null);
        }
    }

    /** Where {@link #copy} sends a worker's output. */
    interface Sink {
        /** A line ended by a newline (or by the end of the output). */
        void line(String line) throws IOException;

        /** A status line, ended by a bare carriage return; a blank one clears the status. */
        void status(String line) throws IOException;
    }

    /**
     * Splits {@code in} into lines ({@code \n}, {@code \r\n} or the end of the output) and status
     * lines (text ended by a {@code \r} that no {@code \n} follows), until the end of the output.
     */
    static void copy(Reader in, Sink sink) throws IOException {
        StringBuilder current = new StringBuilder();
        boolean afterCr = false;
        String lastStatus = null;
        char[] buf = new char[8192];
        for (int n; (n = in.read(buf)) >= 0; ) {
            for (int i = 0; i < n; i++) {
                char c = buf[i];
                if (c == '\n') {
                    if (afterCr && current.length() == 0 && lastStatus != null) {
                        sink.line(lastStatus);   // "text\r\n": a plain line after all
                    } else {
                        sink.line(current.toString());
                    }
                    current.setLength(0);
                    lastStatus = null;
                    afterCr = false;
                } else if (c == '\r') {
                    if (current.length() > 0 || !afterCr) {
                        lastStatus = current.toString();
                        sink.status(lastStatus);
                    }
                    current.setLength(0);
                    afterCr = true;
                } else {
                    current.append(c);
                    afterCr = false;
                }
            }
        }
        if (current.length() > 0) {
            sink.line(current.toString());
        }
    }

    /** Waits up to {@code timeoutMillis} for the output thread to reach the end of the worker's output. */
    void awaitDrained(long timeoutMillis) throws InterruptedException {
        try {
            drained.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // a descendant still holds the pipe open: report what we have
        }
    }

    /** Closes the worker's stdin, the agent's end of the pipe (a live worker reads EOF and halts). */
    void closeStdin() {
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // already closed
        }
    }

    List<String> tail() {
        synchronized (tail) {
            return new ArrayList<>(tail);
        }
    }

    /** The process and, if it is still alive, its descendants right now (they are orphaned once it dies). */
    List<ProcessHandle> tree() {
        List<ProcessHandle> all = new ArrayList<>();
        ProcessHandle h = process.toHandle();
        if (h.isAlive()) {
            all.add(h);
            h.descendants().forEach(all::add);
        }
        return all;
    }
}
