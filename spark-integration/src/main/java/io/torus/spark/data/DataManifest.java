package io.torus.spark.data;

import java.io.IOException;
import java.io.Reader;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Properties;

/**
 * What a materialised training set looks like: where its partition files are, how many features
 * each row has and how many rows each partition holds. Small (one {@code long} per partition), so
 * it travels inside every rank's task; {@link #write()} also leaves it beside the files as
 * {@value #FILE_NAME}, a properties file a person can read.
 *
 * @param dir           the directory holding the partition files, as a string (a {@code Path} is not
 *                      serializable); it must be readable from every executor
 * @param featureDim    features per row (0 when there are no rows)
 * @param partitionRows rows in each partition, indexed by partition id
 */
public record DataManifest(String dir, int featureDim, long[] partitionRows) implements Serializable {
    public static final String FILE_NAME = "manifest.properties";
    private static final String FORMAT = "torus-partitions-v1";

    public DataManifest {
        if (featureDim < 0) {
            throw new IllegalArgumentException("data manifest: featureDim=" + featureDim + ", expected >= 0");
        }
        partitionRows = partitionRows.clone();
        for (int p = 0; p < partitionRows.length; p++) {
            if (partitionRows[p] < 0) {
                throw new IllegalArgumentException("data manifest: partition " + p + " has " + partitionRows[p]
                        + " rows, expected >= 0");
            }
        }
    }

    @Override
    public long[] partitionRows() {
        return partitionRows.clone();
    }

    public int numPartitions() {
        return partitionRows.length;
    }

    public long totalRows() {
        return Arrays.stream(partitionRows).sum();
    }

    public Path partitionFile(int partition) {
        return Path.of(dir).resolve(PartitionFile.fileName(partition));
    }

    /** Writes {@value #FILE_NAME} into {@link #dir()} (atomically). */
    public Path write() {
        Properties props = new Properties();
        props.setProperty("format", FORMAT);
        props.setProperty("featureDim", Integer.toString(featureDim));
        props.setProperty("partitions", Integer.toString(partitionRows.length));
        props.setProperty("totalRows", Long.toString(totalRows()));
        for (int p = 0; p < partitionRows.length; p++) {
            props.setProperty("rows." + p, Long.toString(partitionRows[p]));
        }
        Path target = Path.of(dir).resolve(FILE_NAME);
        Path temp = Path.of(dir).resolve(FILE_NAME + ".tmp");
        try {
            try (Writer w = Files.newBufferedWriter(temp, StandardCharsets.UTF_8)) {
                props.store(w, "Torus materialised training data: one part-NNNNN.bin per Spark partition");
            }
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("writing data manifest " + target, e);
        }
        return target;
    }

    /** Reads the manifest that {@link #write()} left in {@code dir}. */
    public static DataManifest read(Path dir) {
        Path file = dir.resolve(FILE_NAME);
        Properties props = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            props.load(r);
        } catch (IOException e) {
            throw new UncheckedIOException("reading data manifest " + file, e);
        }
        if (!FORMAT.equals(props.getProperty("format"))) {
            throw new IllegalStateException("data manifest " + file + ": format=" + props.getProperty("format")
                    + ", expected " + FORMAT);
        }
        int partitions = Integer.parseInt(required(props, "partitions", file));
        long[] rows = new long[partitions];
        for (int p = 0; p < partitions; p++) {
            rows[p] = Long.parseLong(required(props, "rows." + p, file));
        }
        return new DataManifest(dir.toString(), Integer.parseInt(required(props, "featureDim", file)), rows);
    }

    private static String required(Properties props, String key, Path file) {
        String v = props.getProperty(key);
        if (v == null) {
            throw new IllegalStateException("data manifest " + file + ": missing key '" + key + "'");
        }
        return v.trim();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DataManifest m && dir.equals(m.dir) && featureDim == m.featureDim
                && Arrays.equals(partitionRows, m.partitionRows);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * dir.hashCode() + featureDim) + Arrays.hashCode(partitionRows);
    }

    @Override
    public String toString() {
        return "DataManifest[dir=" + dir + ", featureDim=" + featureDim + ", partitionRows="
                + Arrays.toString(partitionRows) + "]";
    }
}
