package io.torus.io;

import io.torus.autograd.Tensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.torus.tensor.DType;

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

    /** Checks a Torus file against the safetensors format description, independently of Checkpoint.read. */
    @Test
    void save_headerFollowsTheFormatSpec(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("all.safetensors");
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("f32", Tensor.of(new float[] {1.5f, -2f, 3.25f}, 3));
        m.put("f64", Tensor.wrap(io.torus.tensor.NDArray.of(new double[] {Math.PI, -0.0, 1e300, 4, 5, 6}, 2, 3)));
        m.put("i64", Tensor.ofLongs(Long.MIN_VALUE, 1L << 53 | 1, -7));
        m.put("i32", Tensor.wrap(io.torus.tensor.NDArray.of(new int[] {Integer.MAX_VALUE, -1}, 2)));
        m.put("bool", Tensor.wrap(io.torus.tensor.NDArray.of(new boolean[] {true, false, true}, 1, 3)));
        m.put("scalar", Tensor.scalar(2.5));
        m.put("empty", Tensor.zeros(0, 4));
        m.put("odd \"name\" ü\n", Tensor.of(new float[] {9}, 1));
        m.put("strided", Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3).t()); // non-contiguous: written in C order of the view
        Checkpoint.save(f, m, Map.of("epoch", "3"));
        byte[] b = Files.readAllBytes(f);

        // 8-byte little-endian header length; header + 8 is a multiple of 8; padding is spaces
        long n = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, (8 + n) % 8);
        String header = new String(b, 8, (int) n, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{"));
        String json = header.stripTrailing();
        assertTrue(header.substring(json.length()).chars().allMatch(c -> c == ' '));
        assertTrue(header.length() - json.length() < 8, "at most 7 bytes of padding");

        @SuppressWarnings("unchecked")
        Map<String, Object> parsed = (Map<String, Object>) Json.parse(json);
        @SuppressWarnings("unchecked")
        Map<String, Object> meta = (Map<String, Object>) parsed.remove("__metadata__");
        assertEquals(Set.of("format", "epoch", Checkpoint.DATA_CRC, Checkpoint.HEADER_CRC), meta.keySet());
        assertTrue(meta.values().stream().allMatch(v -> v instanceof String));
        assertEquals(List.copyOf(m.keySet()), List.copyOf(parsed.keySet()), "tensors in map order");

        ByteBuffer data = ByteBuffer.wrap(b, (int) (8 + n), (int) (b.length - 8 - n)).slice().order(ByteOrder.LITTLE_ENDIAN);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(data.duplicate());
        assertEquals(String.format("%08x", crc.getValue()), meta.get(Checkpoint.DATA_CRC));
        Map<DType, String> codes = Map.of(DType.FLOAT32, "F32", DType.FLOAT64, "F64", DType.INT64, "I64", DType.INT32, "I32",
                DType.BOOL, "BOOL");
        long end = 0;
        for (Map.Entry<String, Object> e : parsed.entrySet()) {
            Tensor t = m.get(e.getKey());
            @SuppressWarnings("unchecked")
            Map<String, Object> entry = (Map<String, Object>) e.getValue();
            assertEquals(Set.of("dtype", "shape", "data_offsets"), entry.keySet());
            assertEquals(codes.get(t.dtype()), entry.get("dtype"), e.getKey());
            assertEquals(java.util.Arrays.stream(t.shape()).mapToObj(Long::valueOf).toList(), entry.get("shape"), e.getKey());
            List<?> offsets = (List<?>) entry.get("data_offsets");
            assertEquals(end, offsets.get(0), "offsets contiguous and in order at " + e.getKey());
            end = (Long) offsets.get(1);
            assertEquals(t.numel() * t.dtype().byteSize(), end - (Long) offsets.get(0), e.getKey());
        }
        assertEquals(data.capacity(), end, "the last tensor ends where the file ends");

        // values: little-endian, C order
        int f64 = (int) (long) (Long) ((List<?>) ((Map<?, ?>) parsed.get("f64")).get("data_offsets")).get(0);
        assertEquals(Math.PI, data.getDouble(f64));
        int i64 = (int) (long) (Long) ((List<?>) ((Map<?, ?>) parsed.get("i64")).get("data_offsets")).get(0);
        assertEquals(Long.MIN_VALUE, data.getLong(i64));
        int bools = (int) (long) (Long) ((List<?>) ((Map<?, ?>) parsed.get("bool")).get("data_offsets")).get(0);
        assertEquals(List.of((byte) 1, (byte) 0, (byte) 1), List.of(data.get(bools), data.get(bools + 1), data.get(bools + 2)));
        int strided = (int) (long) (Long) ((List<?>) ((Map<?, ?>) parsed.get("strided")).get("data_offsets")).get(0);
        assertEquals(List.of(1f, 4f, 2f), List.of(data.getFloat(strided), data.getFloat(strided + 4), data.getFloat(strided + 8)));

        Checkpoint.Contents back = Checkpoint.read(f);
        assertEquals(Map.of("format", "pt", "epoch", "3"), back.metadata());
        for (String k : m.keySet()) {
            assertEquals(m.get(k).dtype(), back.tensors().get(k).dtype(), k);
            assertArrayEquals(m.get(k).shape(), back.tensors().get(k).shape(), k);
            assertArrayEquals(m.get(k).toDoubleArray(), back.tensors().get(k).toDoubleArray(), k);
        }
        assertArrayEquals(m.get("i64").toLongArray(), back.tensors().get("i64").toLongArray());
    }

    @Test
    void load_flippedDataByteGivesChecksumMismatchNamingTheFile(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("m.safetensors");
        Checkpoint.save(f, Map.of("w", Tensor.ones(16)));
        byte[] b = Files.readAllBytes(f);
        b[b.length - 9] ^= 0x01;
        Files.write(f, b);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Checkpoint.load(f));
        assertTrue(e.getMessage().startsWith("checkpoint " + f + " is corrupt: data section CRC-32 is "), e.getMessage());
        assertTrue(e.getMessage().contains("but the header records"), e.getMessage());
    }

    @Test
    void load_alteredNameGivesHeaderChecksumMismatch(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("m.safetensors");
        Checkpoint.save(f, Map.of("weight", Tensor.ones(4)));
        byte[] b = Files.readAllBytes(f);
        String s = new String(b, StandardCharsets.ISO_8859_1);
        b[s.indexOf("\"weight\"") + 1] = 'h';
        Files.write(f, b);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Checkpoint.load(f));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("header CRC-32"), e.getMessage());
    }

    @Test
    void load_readsFilesFromOtherWritersWithoutChecksums(@TempDir Path dir) throws Exception {
        // unpadded header, no __metadata__, entries listed out of offset order (all allowed by the format)
        Path f = dir.resolve("other.safetensors");
        writeRaw(f, "{\"b\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[8,16]},"
                + "\"a\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[0,8]}}", data -> {
                    data.putDouble(0.5).putInt(-3).putInt(4);
                });
        Checkpoint.Contents c = Checkpoint.read(f);
        assertEquals(List.of("b", "a"), List.copyOf(c.tensors().keySet()));
        assertEquals(0.5, c.tensors().get("a").item());
        assertEquals(0, c.tensors().get("a").dim());
        assertArrayEquals(new long[] {-3, 4}, c.tensors().get("b").toLongArray());
        assertEquals(Map.of(), c.metadata());
    }

    @Test
    void load_structuralErrorsNameTheFileAndTheProblem(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("bad.safetensors");
        writeRaw(f, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,24]}}", data -> data.put(new byte[24]));
        assertCorrupt(f, "tensor 'b' starts at data byte 16 but the previous tensor ends at 8");
        writeRaw(f, "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", data -> data.put(new byte[8]));
        assertCorrupt(f, "tensor 'a' spans data bytes [0, 8) but F32 [3] needs 12 bytes");
        writeRaw(f, "{\"a\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]}}", data -> data.put(new byte[2]));
        assertCorrupt(f, "tensor 'a' has dtype F16");
        writeRaw(f, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}", data -> data.put(new byte[4]));
        assertCorrupt(f, "header is not valid JSON");
        writeRaw(f, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", data -> data.put(new byte[6]));
        assertCorrupt(f, "data section has 6 bytes (trailing bytes)");
        Files.write(f, new byte[] {1, 2, 3});
        assertCorrupt(f, "shorter than the 8-byte header length");
        Files.write(f, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).array());
        assertCorrupt(f, "header length 1000 does not fit in a file of 16 bytes");
    }

    @Test
    void save_rejectsReservedMetadataAndKeepsOldFileOnFailure(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("m.safetensors");
        Checkpoint.save(f, Map.of("w", Tensor.ones(2)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Checkpoint.save(f, Map.of("w", Tensor.zeros(2)), Map.of(Checkpoint.DATA_CRC, "0")));
        assertTrue(e.getMessage().contains(Checkpoint.DATA_CRC), e.getMessage());
        assertArrayEquals(new float[] {1, 1}, Checkpoint.load(f).get("w").toFloatArray());
        try (var files = Files.list(dir)) {
            assertEquals(List.of(f), files.toList());
        }
    }

    @Test
    void save_givesTheFileTheUsualPermissions(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"), "not a POSIX file system");
        Path f = dir.resolve("m.safetensors");
        Checkpoint.save(f, Map.of("w", Tensor.ones(2)));
        Path plain = Files.createFile(dir.resolve("plain"));
        assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(f));
    }

    private static void assertCorrupt(Path f, String part) {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Checkpoint.load(f));
        assertTrue(e.getMessage().startsWith("checkpoint " + f + " is corrupt: ") && e.getMessage().contains(part), e.getMessage());
    }

    private static void writeRaw(Path f, String header, java.util.function.Consumer<ByteBuffer> data) throws Exception {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + h.length + 64).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(h.length).put(h);
        data.accept(buf);
        Files.write(f, java.util.Arrays.copyOf(buf.array(), buf.position()));
    }
}
