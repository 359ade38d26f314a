package io.torus.launcher.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * An AppCDS archive of the classes a worker JVM loads (JDK 17's dynamic archive): the first run
 * on a machine lets one worker write it as it exits ({@code -XX:ArchiveClassesAtExit}); later runs
 * map it ({@code -XX:SharedArchiveFile}) instead of loading and verifying thousands of classes
 * (Hazelcast, Netty, log4j, Torus) from jars, which is most of a worker's start before it can
 * join the rendezvous.
 *
 * <p>An archive is only valid for the exact JVM, classpath and module options it was made with,
 * so its name is a hash of them; a new build or another {@code --jar} gets its own archive. It is
 * written to a temporary name and renamed when the run succeeded, so a crashed run never leaves a
 * half-written archive. A JVM that cannot use an archive says nothing (CDS logging is off) and
 * starts the ordinary way.
 */
final class ClassDataArchive {
    private final Path archive;
    private final Path pending;

    private ClassDataArchive(Path archive) {
        this.archive = archive;
        this.pending = archive.resolveSibling(archive.getFileName() + ".tmp-" + ProcessHandle.current().pid());
    }

    /**
     * The archive in {@code dir} for workers started as {@code javaCommand} with {@code flags}
     * (the heap size aside) and {@code classpath}; null when the classpath holds a directory, which
     * the JVM cannot archive from (it refuses to start: "Cannot have non-empty directory in paths").
     * Built installs run from jars; an IDE's or a test's class directories run without CDS.
     */
    static ClassDataArchive in(Path dir, String javaCommand, List<String> flags, String classpath) {
        for (String entry : classpath.split(java.io.File.pathSeparator)) {
            if (!entry.isEmpty() && Files.isDirectory(Path.of(entry))) {
                return null;
            }
        }
        StringBuilder key = new StringBuilder(javaCommand).append('\n').append(Runtime.version()).append('\n');
        for (String f : flags) {
            if (!f.startsWith("-Xmx")) {
                key.append(f).append('\n');
            }
        }
        key.append(classpath).append('\n');
        for (String entry : classpath.split(java.io.File.pathSeparator)) {
            // A rebuilt jar of the same name must not reuse an old archive (the JVM would reject it anyway).
            try {
                Path p = Path.of(entry);
                if (Files.isRegularFile(p)) {
                    key.append(Files.getLastModifiedTime(p).toMillis()).append(' ');
                }
            } catch (IOException | RuntimeException e) {
                // a wildcard or a missing entry: the path alone identifies it
            }
        }
        return new ClassDataArchive(dir.resolve("worker-" + sha256(key.toString()).substring(0, 20) + ".jsa"));
    }

    Path path() {
        return archive;
    }

    /** Where the writing worker puts the archive until the run has succeeded. */
    Path pendingPath() {
        return pending;
    }

    boolean exists() {
        return Files.isRegularFile(archive);
    }

    /** JVM options of a worker that maps the archive. */
    List<String> useFlags() {
        return List.of("-XX:SharedArchiveFile=" + archive, "-Xshare:auto", "-Xlog:cds*=off", "-Xlog:class+path=off");
    }

    /** JVM options of the one worker that writes the archive as it exits. */
    List<String> createFlags() throws IOException {
        Files.createDirectories(archive.getParent());
        return List.of("-XX:ArchiveClassesAtExit=" + pending, "-Xlog:cds*=off", "-Xlog:class+path=off");
    }

    /** After a successful run: publish the archive the writer left (if any); else discard it. */
    void finish(boolean succeeded) {
        try {
            if (succeeded && Files.isRegularFile(pending) && Files.size(pending) > 0) {
                Files.move(pending, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                pruneOldArchives();
            } else {
                Files.deleteIfExists(pending);
            }
        } catch (IOException e) {
            // only a cache: the next run tries again
        }
    }

    /** Archives kept in the directory: every rebuild makes a new one (about 50 MB each). */
    static final int KEEP = 4;

    /** Deletes all but the {@link #KEEP} most recently written archives of the directory. */
    private void pruneOldArchives() throws IOException {
        List<Path> all;
        try (java.util.stream.Stream<Path> files = Files.list(archive.getParent())) {
            all = files.filter(f -> f.getFileName().toString().matches("worker-[0-9a-f]+\\.jsa"))
                    .sorted(java.util.Comparator.comparing((Path f) -> {
                        try {
                            return Files.getLastModifiedTime(f).toMillis();
                        } catch (IOException e) {
                            return 0L;
                        }
                    }).reversed()).toList();
        }
        for (Path old : all.subList(Math.min(KEEP, all.size()), all.size())) {
            Files.deleteIfExists(old);
        }
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
