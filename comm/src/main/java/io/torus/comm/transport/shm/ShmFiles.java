package io.torus.comm.transport.shm;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.function.LongPredicate;
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

    /** Creates {@code path} owner-only (it must not exist) and maps its {@code bytes} read-write, in native byte order. */
    static MappedByteBuffer createMapped(Path path, long bytes) throws IOException {
        MappedByteBuffer map;
        try (FileChannel ch = FileChannel.open(path, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE), ownerOnly())) {
            map = ch.map(FileChannel.MapMode.READ_WRITE, 0, bytes);
        }
        map.order(ByteOrder.nativeOrder());
        return map;
    }

    /**
     * Maps another rank's {@code kind} file ("link", "window") read-write, in native byte order,
     * or returns null while it does not exist or its size is not yet {@code ready}. Only a file
     * of this user that nobody else may open: never write tensors into a file another user
     * planted under the expected name.
     */
    static MappedByteBuffer mapOwned(Path path, String kind, int ownUid, LongPredicate ready) throws IOException {
        MappedByteBuffer map;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            int uid = (Integer) Files.getAttribute(path, "unix:uid");
            int mode = (Integer) Files.getAttribute(path, "unix:mode") & 0777;
            if (uid != ownUid || mode != 0600) {
                throw new IllegalStateException("shm " + kind + " file " + path + " belongs to uid " + uid + " with mode "
                        + Integer.toOctalString(mode) + ": expected uid " + ownUid + " and mode 600; refusing to use it");
            }
            long size = ch.size();
            if (!ready.test(size)) {
                return null;
            }
            map = ch.map(FileChannel.MapMode.READ_WRITE, 0, size);
        } catch (NoSuchFileException e) {
            return null;
        }
        map.order(ByteOrder.nativeOrder());
        return map;
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
