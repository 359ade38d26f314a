package io.torus.spark.data;

import io.torus.data.TensorDataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PartitionFileTest {
    @TempDir
    Path dir;

    /** Writes partition p with rows whose label is {@code id} and features {@code [id, id + 0.5, -id]}. */
    private long writePartition(int p, long firstId, int rows) {
        try (PartitionFile.Writer w = PartitionFile.writer(dir, p, "t")) {
            for (int i = 0; i < rows; i++) {
                long id = firstId + i;
                w.add(new float[] {id, id + 0.5f, -id}, id);
            }
            w.commit();
            return w.rows();
        }
    }

    @Test
    void readRows_returnsTheRequestedRange() {
        writePartition(0, 100, 3000);  // > one I/O chunk of labels and features
        assertEquals(new PartitionFile.Header(3, 3000), PartitionFile.readHeader(dir.resolve("part-00000.bin")));
        float[] f = new float[2 + 3 * 1500];
        long[] l = new long[1 + 1500];
        PartitionFile.readRows(dir.resolve("part-00000.bin"), 1000, 2500, f, 2, l, 1);
        for (int i = 0; i < 1500; i++) {
            long id = 1100 + i;
            assertEquals(id, l[1 + i]);
            assertEquals(id, f[2 + 3 * i]);
            assertEquals(id + 0.5f, f[2 + 3 * i + 1]);
            assertEquals(-id, f[2 + 3 * i + 2]);
        }
    }

    @Test
    void writer_emptyPartitionAndNoTempFilesLeft() throws IOException {
        writePartition(3, 0, 0);
        assertEquals(new PartitionFile.Header(0, 0), PartitionFile.readHeader(dir.resolve("part-00003.bin")));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of("part-00003.bin"), files.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void writer_rejectsRaggedRowsAndCleansUp() throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> {
            try (PartitionFile.Writer w = PartitionFile.writer(dir, 0, "t")) {
                w.add(new float[] {1, 2}, 0);
                w.add(new float[] {1, 2, 3}, 1);
            }
        });
        assertTrue(e.getMessage().contains("row 1 has 3 features, expected 2"), e.getMessage());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(0, files.count());
        }
    }

    @Test
    void readRows_truncatedFileIsReported() throws IOException {
        writePartition(0, 0, 10);
        Path f = dir.resolve("part-00000.bin");
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 8);
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> PartitionFile.readHeader(f));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        Files.write(f, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
        e = assertThrows(IllegalStateException.class, () -> PartitionFile.readHeader(f));
        assertTrue(e.getMessage().contains("bad magic"), e.getMessage());
    }

    @Test
    void readRows_rangeOutsideTheFileIsReported() {
        writePartition(0, 0, 10);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PartitionFile.readRows(dir.resolve("part-00000.bin"), 5, 11, new float[18], 0, new long[6], 0));
        assertTrue(e.getMessage().contains("[5, 11)") && e.getMessage().contains("10 rows"), e.getMessage());
    }

    @Test
    void manifest_roundTrips() {
        DataManifest m = new DataManifest(dir.toString(), 3, new long[] {5, 0, 7});
        m.write();
        assertEquals(m, DataManifest.read(dir));
        assertEquals(12, m.totalRows());
        assertEquals(dir.resolve("part-00002.bin"), m.partitionFile(2));
    }

    @Test
    void hostedData_shardsCoverEveryRowOncePerEpoch() {
        int[] sizes = {40, 0, 13, 27, 5, 15};
        long[] rows = new long[sizes.length];
        long id = 0;
        for (int p = 0; p < sizes.length; p++) {
            rows[p] = writePartition(p, id, sizes[p]);
            id += sizes[p];
        }
        DataManifest m = new DataManifest(dir.toString(), 3, rows);
        int world = 3;
        Set<List<List<Long>>> assignments = new HashSet<>();
        for (int epoch = 0; epoch < 3; epoch++) {
            boolean[] seen = new boolean[(int) id];
            List<List<Long>> now = new ArrayList<>();
            for (int r = 0; r < world; r++) {
                PartitionedHostedData hd = new PartitionedHostedData(m, r, world, 9);
                assertEquals(100, hd.totalRows());
                TensorDataset shard = hd.shard(epoch);
                long[] labels = shard.targets().toLongArray();
                float[] features = shard.inputs().toFloatArray();
                assertArrayEquals(new int[] {labels.length, 3}, shard.inputs().shape());
                assertTrue(labels.length == 33 || labels.length == 34, "shard size " + labels.length);
                List<Long> ids = new ArrayList<>();
                for (int i = 0; i < labels.length; i++) {
                    assertFalse(seen[(int) labels[i]], "row " + labels[i] + " twice in epoch " + epoch);
                    seen[(int) labels[i]] = true;
                    assertEquals(labels[i], features[3 * i]);
                    assertEquals(-labels[i], features[3 * i + 2]);
                    ids.add(labels[i]);
                }
                now.add(ids);
            }
            for (boolean s : seen) {
                assertTrue(s);
            }
            assignments.add(now);
        }
        assertTrue(assignments.size() > 1, "three epochs, one assignment");
    }
}
