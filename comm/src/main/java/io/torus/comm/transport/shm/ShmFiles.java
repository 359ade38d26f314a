package io.torus.comm.transport.shm;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.regex.Pattern;

/**
 * Where the link files live and what they are called.
 *
 * <p>Directory: {@code /dev/shm} when it is a writable directory (memory, never disk), else
 * {@code java.io.tmpdir}. Name: {@code torus-shm-<key>-<from>-<to>}, where the key is a hex
 * string every rank of one group derives from job-specific, unguessable material (see
 * {@code ProcessGroups}: the job id, the generation and a random nonce of rank 0), and beside it
 * the link's doorbell socket {@code <name>.bell} (see {@code Doorbell}). Files are
 * created owner-only ({@code rw-------}) and atomically ({@code CREATE_NEW}), and the consumer
 * unlinks its file as soon as the producer has mapped it, so after {@code connect} no name is
 * left in the directory at all; only a process killed between creating and connecting leaves one,
 * and the next transport created on this machine removes such files once their creator's process
 * is gone.
 */
final class ShmFiles {
    private static final Logger log = LoggerFactory.getLogger(ShmFiles.class);
    static final String PREFIX = "torus-shm-";
    private static final Pattern KEY = Pattern.compile("[0-9a-zA-Z_]{8,64}");
    private static final Duration STALE_AFTER = Duration.ofSeconds(60);

    private ShmFiles() {
    }

    static FileAttribute<?> ownerOnly() {
        return PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    }

    /** The default directory: {@code /dev/shm} if usable, else {@code java.io.tmpdir}. */
    static Path defaultDirectory() {
        Path shm = Path.of("/dev/shm");
        if (Files.isDirectory(shm) && Files.isWritable(shm)) {
            return shm;
        }
        return Path.of(System.getProperty("java.io.tmpdir"));
    }

    static void checkKey(String key) {
        if (key == null || !KEY.matcher(key).matches()) {
            throw new IllegalArgumentException("shm link key '" + key + "': expected 8..64 letters, digits or '_'");
        }
    }

    static Path link(Path dir, String key, int from, int to) {
        return dir.resolve(PREFIX + key + "-" + from + "-" + to);
    }

    /** Rank {@code rank}'s window file (see {@code Windows}), beside the link files. */
    static Path window(Path dir, String key, int rank) {
        return dir.resolve(PREFIX + key + "-w" + rank);
    }

    /**
     * Removes link files in {@code dir} left by processes that no longer exist (a job killed
     * between creating its files and connecting), older than a minute. Best effort.
     */
    static void removeStale(Path dir) {
        Instant cutoff = Instant.now().minus(STALE_AFTER);
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, PREFIX + "*")) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (name.endsWith(".bell")) {
                    // A doorbell socket goes with its link file: stale once that is gone.
                    Path link = f.resolveSibling(name.substring(0, name.length() - ".bell".length()));
                    try {
                        if (!Files.exists(link) && Files.getLastModifiedTime(f).toInstant().isBefore(cutoff)) {
                            Files.deleteIfExists(f);
                        }
                    } catch (IOException | RuntimeException e) {
                        log.debug("cannot check shm doorbell {}: {}", f, e.toString());
                    }
                    continue;
                }
                try {
                    FileTime modified = Files.getLastModifiedTime(f);
                    if (modified.toInstant().isAfter(cutoff) || !Files.isWritable(f)) {
                        continue;
                    }
                    long pid = Segment.creatorPid(f);
                    if (pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                        continue;
                    }
                    Files.deleteIfExists(f);
                    log.info("removed stale shm link file {} (its creator, pid {}, is gone)", f, pid);
                } catch (IOException | RuntimeException e) {
                    log.debug("cannot check shm link file {}: {}", f, e.toString());
                }
            }
        } catch (IOException | RuntimeException e) {
            log.debug("cannot list {} for stale shm link files: {}", dir, e.toString());
        }
    }
}
