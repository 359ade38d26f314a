package io.torus.io;

import io.torus.autograd.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CheckpointTest {
    // Worked out with Python: zlib.crc32(struct.pack('<6fq', 1, 2, 3, 4, 5, 6, 7)) and zlib.crc32 of
    // '{"__metadata__":{"format":"pt"},"w":{...},"step":{...}}' (the header below without the checksums).
    private static final String DATA_CRC = "0dc690fa";
    private static final String HEADER_CRC = "1a4e0243";

    @Test
    void save_writesSafetensorsLayout(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("m.safetensors");
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("w", Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
        m.put("step", Tensor.ofLongs(7));
        Checkpoint.save(f, m);
        byte[] b = Files.readAllBytes(f);
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        long n = buf.getLong();
        assertEquals(0, n % 8);
        String header = new String(b, 8, (int) n, StandardCharsets.UTF_8).trim();
        // The data CRC-32 is zlib.crc32 of the 32 data bytes below; the header CRC-32 covers the
        // header as written without the two checksum entries (Note [Checkpoint integrity]).
        assertEquals("{\"__metadata__\":{\"format\":\"pt\",\"torus.header_crc32\":\"" + HEADER_CRC
                + "\",\"torus.data_crc32\":\"" + DATA_CRC + "\"},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                + "\"step\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[24,32]}}", header);
        assertEquals(8 + n + 32, b.length);
        buf.position(8 + (int) n);
        assertEquals(1f, buf.getFloat());
        Map<String, Tensor> back = Checkpoint.load(f);
        assertArrayEquals(m.get("w").toFloatArray(), back.get("w").toFloatArray());
        assertArrayEquals(new int[] {2, 3}, back.get("w").shape());
        assertArrayEquals(new long[] {7}, back.get("step").toLongArray());
    }

    @Test
    void load_truncatedFileNamesFileAndProblem(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("m.safetensors");
        Checkpoint.save(f, Map.of("w", Tensor.zeros(10)));
        byte[] b = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(b, b.length - 5));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Checkpoint.load(f));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("truncated"), e.getMessage());
    }
}
