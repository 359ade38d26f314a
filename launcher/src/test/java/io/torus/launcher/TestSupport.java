package io.torus.launcher;


import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/** Shared helpers of the launcher tests. */
public final class TestSupport {
    private TestSupport() {
    }

    /** The repository root (surefire sets {@code torus.project.root}). */
    public static Path projectRoot() {
        String root = System.getProperty("torus.project.root");
        return root != null ? Path.of(root) : Path.of("..").toAbsolutePath().normalize();
    }

    public static boolean isAlive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** A PrintStream that keeps every line written to it and can wait for a line to appear. */
    public static final class Lines extends OutputStream {
        private final ByteArrayOutputStream current = new ByteArrayOutputStream();
        private final List<String> lines = new ArrayList<>();
        private final List<Waiter> waiters = new ArrayList<>();
        private final PrintStream echo;
        public final PrintStream stream = new PrintStream(this, true, StandardCharsets.UTF_8);

        private record Waiter(Predicate<String> match, CompletableFuture<String> found) {
        }

        /** @param echo where lines are also copied to (System.out for the test report), or null */
        public Lines(PrintStream echo) {
            this.echo = echo;
        }

        @Override
        public synchronized void write(int b) {
            if (b == '\n') {
                String line = current.toString(StandardCharsets.UTF_8);
                current.reset();
                lines.add(line);
                if (echo != null) {
                    echo.println(line);
                }
                waiters.removeIf(w -> w.match().test(line) && w.found().complete(line));
            } else {
                current.write(b);
            }
        }

        /** Completes with the first line (already written or still to come) that matches. */
        public synchronized CompletableFuture<String> await(Predicate<String> match) {
            for (String line : lines) {
                if (match.test(line)) {
                    return CompletableFuture.completedFuture(line);
                }
            }
            Waiter w = new Waiter(match, new CompletableFuture<>());
            waiters.add(w);
            return w.found();
        }

        public synchronized String text() {
            return String.join("\n", lines);
        }
    }
}
