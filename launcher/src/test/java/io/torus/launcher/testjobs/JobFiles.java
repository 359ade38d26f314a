package io.torus.launcher.testjobs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Files the test jobs leave in the run directory for the tests to read. */
public final class JobFiles {
    private JobFiles() {
    }

    /** Writes atomically (temp file + rename), so a reader sees all of it or nothing. */
    public static void write(Path file, String content) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.writeString(tmp, content);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    }

    public static void writePid(Path dir, int rank) throws IOException {
        write(dir.resolve("rank-" + rank + ".pid"), Long.toString(ProcessHandle.current().pid()));
    }

    /** Starts {@code sleep 600} as a child of this worker and records its pid in {@code child-<rank>.pid}. */
    public static void startSleepChild(Path dir, int rank) throws IOException {
        Process p = new ProcessBuilder("sleep", "600").redirectErrorStream(true).start();
        write(dir.resolve("child-" + rank + ".pid"), Long.toString(p.pid()));
    }

    /**
     * The pids the agent recorded in {@code <runDir>/workers.pids} (lines {@code <generation> <rank> <pid>}),
     * every generation's.
     */
    public static java.util.List<Long> agentReportedPids(Path runDir) throws IOException {
        return Files.readAllLines(runDir.resolve("workers.pids")).stream().filter(l -> !l.isBlank())
                .map(l -> Long.parseLong(l.trim().split("\\s+")[2])).toList();
    }

    public static long readPid(Path file) throws IOException {
        return Long.parseLong(Files.readString(file).trim());
    }
}
