package io.torus.launcher;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.DataInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** testdata/mnist-small holds valid IDX files of the documented sizes. */
class MnistSubsetTest {
    private static final Path DIR = TestSupport.projectRoot().resolve("testdata/mnist-small");

    @ParameterizedTest
    @CsvSource({
        "train-images-idx3-ubyte.gz, 2051, 2000",
        "train-labels-idx1-ubyte.gz, 2049, 2000",
        "t10k-images-idx3-ubyte.gz, 2051, 500",
        "t10k-labels-idx1-ubyte.gz, 2049, 500"})
    void subsetFile_headerMatchesContents(String name, int magic, int count) throws Exception {
        try (InputStream raw = Files.newInputStream(DIR.resolve(name));
             DataInputStream in = new DataInputStream(new GZIPInputStream(raw))) {
            assertEquals(magic, in.readInt(), name + " magic");
            assertEquals(count, in.readInt(), name + " count");
            int recordBytes = 1;
            if (magic == 2051) {
                assertArrayEquals(new int[] {28, 28}, new int[] {in.readInt(), in.readInt()}, name + " dims");
                recordBytes = 28 * 28;
            }
            byte[] data = in.readAllBytes();
            assertEquals((long) count * recordBytes, data.length, name + " data bytes");
            if (magic == 2049) {
                for (byte label : data) {
                    assertTrue(label >= 0 && label <= 9, name + " label " + label);
                }
            }
        }
    }
}
