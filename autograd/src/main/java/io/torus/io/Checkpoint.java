package io.torus.io;

import io.torus.autograd.Tensor;
import io.torus.tensor.DType;
import io.torus.tensor.NDArray;
import io.torus.tensor.Shape;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.zip.CRC32;

/**
 * Tensors by name in the safetensors format, which PyTorch's {@code safetensors} package reads.
 *
 * <p>Note [safetensors layout]. A file is
 * <pre>
 *   8 bytes      N, the header length, unsigned little-endian
 *   N bytes      UTF-8 JSON object, padded with spaces so that 8 + N is a multiple of 8:
 *                {"__metadata__":{"format":"pt", ...string: string...},
 *                 "NAME":{"dtype":"F32","shape":[2,3],"data_offsets":[BEGIN,END]}, ...}
 *   the rest     the data section: each tensor's elements, C order, little-endian, at
 *                [BEGIN, END) relative to the section's start; the ranges follow one another
 *                from 0 without gaps and END of the last one is the section's length.
 * </pre>
 * dtypes are {@code F32 F64 I64 I32 BOOL} (one byte, 0 or 1).
 *
 * <p>Note [Checkpoint integrity]. Torus puts two CRC-32s (as {@link java.util.zip.CRC32} and
 * Python's {@code zlib.crc32}, 8 lowercase hex digits) into {@code __metadata__}:
 * {@value #DATA_CRC} of the data section and {@value #HEADER_CRC} of the header as Torus writes it
 * without these two entries, which covers names, dtypes, shapes, offsets and metadata.
 * {@link #read} recomputes both when they are present and reports a mismatch naming the file and
 * both values; files from other writers have no checksums and are checked for structure only.
 * Every load checks the structure: the header length against the file size, the JSON, dtypes,
 * that each range holds exactly its shape's bytes, and that the ranges tile the data section.
 *
 * <p>Writes go to a temporary file in the same directory that is written, fsynced and then
 * renamed over the target, so a crash leaves either the old file or the new one, never half of
 * one. Tensors are written and read one at a time, so a file may exceed 2 GiB (a single tensor
 * may not).
 */
public final class Checkpoint {
    /** Metadata key of the data section's CRC-32: Note [Checkpoint integrity]. */
    public static final String DATA_CRC = "torus.data_crc32";
    /** Metadata key of the header's CRC-32: Note [Checkpoint integrity]. */
    public static final String HEADER_CRC = "torus.header_crc32";

    private static final String METADATA = "__metadata__";
    private static final long MAX_HEADER = 100_000_000; // safetensors' own limit

    /** What a file holds: the tensors in header order and the metadata (without the checksums). */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {
        public Contents {
            tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
            metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        }
    }

    private Checkpoint() {
    }

    public static void save(Path file, Map<String, Tensor> tensors) {
        save(file, tensors, Map.of());
    }

    /**
     * Writes {@code tensors} in map order with {@code metadata} (string to string; a
     * {@code "format": "pt"} entry is added unless given, so Hugging Face loaders accept the file).
     *
     * @throws IllegalArgumentException for a name {@code __metadata__}, a metadata key reserved for
     *     the checksums, or a tensor not on the CPU
     * @throws UncheckedIOException when the file cannot be written (the message names it)
     */
    public static void save(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        for (String key : List.of(DATA_CRC, HEADER_CRC)) {
            if (metadata.containsKey(key)) {
                throw new IllegalArgumentException("Checkpoint.save " + file + ": metadata key " + key
                        + " is reserved for the checksum Torus computes");
            }
        }
        List<Entry> entries = new ArrayList<>();
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            if (e.getKey().equals(METADATA)) {
                throw new IllegalArgumentException("Checkpoint.save " + file + ": a tensor cannot be named " + METADATA);
            }
            NDArray a = e.getValue().data();
            if (a.device().isCuda()) {
                throw new IllegalArgumentException("Checkpoint.save " + file + ": tensor '" + e.getKey() + "' is on " + a.device()
                        + ", move it to the CPU first");
            }
            long bytes = a.numel() * a.dtype().byteSize();
            entries.add(new Entry(e.getKey(), a.dtype(), a.shape(), offset, offset + bytes));
            offset += bytes;
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.putAll(metadata);
        String headerCrc = hex(crc(render(entries, meta).getBytes(StandardCharsets.UTF_8)));
        meta.put(HEADER_CRC, headerCrc);
        meta.put(DATA_CRC, "00000000"); // fixed width: the header's length is known before the data is
        byte[] header = padded(render(entries, meta).getBytes(StandardCharsets.UTF_8));

        Path dir = file.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            // CREATE_NEW rather than Files.createTempFile, whose owner-only permissions would stick to
            // the checkpoint: this file gets the umask's, like any other the user writes.
            tmp = dir.resolve("." + file.getFileName() + "." + UUID.randomUUID() + ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                CRC32 crc = new CRC32();
                ch.position(8 + header.length);
                for (Tensor t : tensors.values()) {
                    ByteBuffer buf = encode(t.data().contiguous());
                    crc.update(buf.duplicate());
                    writeFully(ch, buf);
                }
                meta.put(DATA_CRC, hex(crc.getValue()));
                header = padded(render(entries, meta).getBytes(StandardCharsets.UTF_8));
                ByteBuffer head = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
                head.putLong(header.length).put(header).flip();
                ch.position(0);
                writeFully(ch, head);
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
            syncDirectory(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("saving checkpoint " + file + ": " + e, e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the original failure is the one to report
                }
            }
        }
    }

    /** Makes the rename durable where the platform allows fsync on a directory (Linux does); best effort elsewhere. */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // not supported here (e.g. Windows); the data itself was forced before the rename
        }
    }

    public static Map<String, Tensor> load(Path file) {
        return read(file).tensors();
    }

    /**
     * Reads a safetensors file, verifying its structure and, when present, its checksums.
     *
     * @throws IllegalStateException "checkpoint FILE is corrupt: ..." naming what is wrong
     * @throws UncheckedIOException when the file cannot be read (the message names it)
     */
    public static Contents read(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return read(file, ch);
        } catch (NoSuchFileException e) {
            throw new UncheckedIOException("reading checkpoint " + file + ": no such file", e);
        } catch (IOException e) {
            throw new UncheckedIOException("reading checkpoint " + file + ": " + e, e);
        }
    }

    private static Contents read(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < 8) {
            throw corrupt(file, "file is " + size + " bytes, shorter than the 8-byte header length (truncated?)");
        }
        ByteBuffer len = readFully(ch, 0, 8).order(ByteOrder.LITTLE_ENDIAN);
        long n = len.getLong();
        if (n < 2 || n > MAX_HEADER || n > size - 8) {
            throw corrupt(file, "header length " + Long.toUnsignedString(n) + " does not fit in a file of " + size
                    + " bytes (truncated?)");
        }
        String text = StandardCharsets.UTF_8.decode(readFully(ch, 8, (int) n)).toString();
        Header h = parseHeader(file, text);
        long dataStart = 8 + n;
        long dataLength = size - dataStart;

        List<Entry> byOffset = new ArrayList<>(h.entries());
        byOffset.sort(Comparator.comparingLong(Entry::begin));
        long expectedBegin = 0;
        for (Entry e : byOffset) {
            if (e.begin() != expectedBegin) {
                throw corrupt(file, "tensor '" + e.name() + "' starts at data byte " + e.begin() + " but the previous tensor ends at "
                        + expectedBegin + " (the ranges must follow one another without gaps or overlaps)");
            }
            expectedBegin = e.end();
        }
        if (expectedBegin != dataLength) {
            throw corrupt(file, "the tensors end at data byte " + expectedBegin + " but the data section has " + dataLength
                    + " bytes (" + (expectedBegin > dataLength ? "truncated?" : "trailing bytes") + ")");
        }

        CRC32 crc = new CRC32();
        Map<String, NDArray> arrays = new LinkedHashMap<>();
        for (Entry e : byOffset) {
            ByteBuffer buf = readFully(ch, dataStart + e.begin(), (int) (e.end() - e.begin()));
            crc.update(buf.duplicate());
            arrays.put(e.name(), decode(buf.order(ByteOrder.LITTLE_ENDIAN), e.dtype(), e.shape()));
        }
        Map<String, String> meta = new LinkedHashMap<>(h.metadata());
        String dataCrc = meta.remove(DATA_CRC);
        String headerCrc = meta.remove(HEADER_CRC);
        if (headerCrc != null) {
            String actual = hex(crc(render(h.entries(), meta).getBytes(StandardCharsets.UTF_8)));
            if (!actual.equals(headerCrc)) {
                throw corrupt(file, "header CRC-32 is " + actual + " but the file records " + headerCrc
                        + " (a name, shape, offset or metadata value was altered)");
            }
        }
        if (dataCrc != null && !hex(crc.getValue()).equals(dataCrc)) {
            throw corrupt(file, "data section CRC-32 is " + hex(crc.getValue()) + " but the header records " + dataCrc
                    + " (a byte of tensor data was altered)");
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Entry e : h.entries()) {
            out.put(e.name(), Tensor.wrap(arrays.get(e.name())));
        }
        return new Contents(out, meta);
    }

    // ---------------------------------------------------------------- header

    /** One tensor's header entry. */
    private record Entry(String name, DType dtype, int[] shape, long begin, long end) {
    }

    private record Header(List<Entry> entries, Map<String, String> metadata) {
    }

    /** The header JSON, unpadded: metadata first, then the tensors in the given order. */
    private static String render(List<Entry> entries, Map<String, String> metadata) {
        StringBuilder sb = new StringBuilder("{");
        if (!metadata.isEmpty()) {
            sb.append(Json.quote(METADATA)).append(":{");
            boolean first = true;
            for (Map.Entry<String, String> m : metadata.entrySet()) {
                sb.append(first ? "" : ",").append(Json.quote(m.getKey())).append(':').append(Json.quote(m.getValue()));
                first = false;
            }
            sb.append('}');
        }
        for (Entry e : entries) {
            sb.append(sb.length() > 1 ? "," : "").append(Json.quote(e.name())).append(":{\"dtype\":\"").append(code(e.dtype()))
                    .append("\",\"shape\":").append(Arrays.toString(e.shape()).replace(" ", ""))
                    .append(",\"data_offsets\":[").append(e.begin()).append(',').append(e.end()).append("]}");
        }
        return sb.append('}').toString();
    }

    private static byte[] padded(byte[] header) {
        byte[] out = Arrays.copyOf(header, (header.length + 7) / 8 * 8);
        Arrays.fill(out, header.length, out.length, (byte) ' ');
        return out;
    }

    private static Header parseHeader(Path file, String text) {
        if (!text.startsWith("{")) {
            throw corrupt(file, "header does not start with '{' (not a safetensors file?)");
        }
        Object root;
        try {
            root = Json.parse(text);
        } catch (IllegalArgumentException e) {
            throw corrupt(file, "header is not valid JSON: " + e.getMessage());
        }
        if (!(root instanceof Map<?, ?> map)) {
            throw corrupt(file, "header is not a JSON object");
        }
        List<Entry> entries = new ArrayList<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals(METADATA)) {
                if (!(e.getValue() instanceof Map<?, ?> m)) {
                    throw corrupt(file, METADATA + " is not an object of strings");
                }
                for (Map.Entry<?, ?> kv : m.entrySet()) {
                    if (!(kv.getValue() instanceof String s)) {
                        throw corrupt(file, METADATA + " value of '" + kv.getKey() + "' is " + kv.getValue() + ", not a string");
                    }
                    metadata.put((String) kv.getKey(), s);
                }
                continue;
            }
            entries.add(entry(file, name, e.getValue()));
        }
        return new Header(entries, metadata);
    }

    private static Entry entry(Path file, String name, Object json) {
        String where = "tensor '" + name + "'";
        if (!(json instanceof Map<?, ?> m) || !m.keySet().equals(java.util.Set.of("dtype", "shape", "data_offsets"))) {
            throw corrupt(file, where + " must be an object with exactly dtype, shape and data_offsets, got " + json);
        }
        if (!(m.get("dtype") instanceof String code)) {
            throw corrupt(file, where + " has dtype " + m.get("dtype") + ", expected a string");
        }
        DType dtype = dtype(file, where, code);
        int[] shape = ints(file, where + " shape", m.get("shape"), -1);
        for (int d : shape) {
            if (d < 0) {
                throw corrupt(file, where + " has a negative dimension in shape " + Shape.str(shape));
            }
        }
        long[] range = longs(file, where + " data_offsets", m.get("data_offsets"), 2);
        long need = Shape.numel(shape) * dtype.byteSize();
        if (range[0] < 0 || range[1] < range[0] || range[1] - range[0] != need) {
            throw corrupt(file, where + " spans data bytes [" + range[0] + ", " + range[1] + ") but " + code + " "
                    + Shape.str(shape) + " needs " + need + " bytes");
        }
        if (need > Integer.MAX_VALUE - 8) {
            throw corrupt(file, where + " needs " + need + " bytes, more than one tensor can hold (2 GiB)");
        }
        return new Entry(name, dtype, shape, range[0], range[1]);
    }

    private static int[] ints(Path file, String where, Object json, int length) {
        long[] v = longs(file, where, json, length);
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            if (v[i] > Integer.MAX_VALUE) {
                throw corrupt(file, where + " value " + v[i] + " is too large");
            }
            out[i] = (int) v[i];
        }
        return out;
    }

    private static long[] longs(Path file, String where, Object json, int length) {
        if (!(json instanceof List<?> list) || (length >= 0 && list.size() != length)) {
            throw corrupt(file, where + " is " + json + ", expected " + (length >= 0 ? "a list of " + length + " integers"
                    : "a list of integers"));
        }
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Long l)) {
                throw corrupt(file, where + " is " + json + ", expected integers");
            }
            out[i] = l;
        }
        return out;
    }

    // ---------------------------------------------------------------- data

    private static ByteBuffer encode(NDArray a) {
        int n = (int) a.numel();
        int off = a.offset();
        ByteBuffer buf = ByteBuffer.allocate(Math.multiplyExact(n, a.dtype().byteSize())).order(ByteOrder.LITTLE_ENDIAN);
        switch (a.dtype()) {
            case FLOAT32 -> buf.asFloatBuffer().put(a.storage().floats(), off, n);
            case FLOAT64 -> buf.asDoubleBuffer().put(a.storage().doubles(), off, n);
            case INT64 -> buf.asLongBuffer().put(a.storage().longs(), off, n);
            case INT32 -> buf.asIntBuffer().put(a.storage().ints(), off, n);
            case BOOL -> {
                boolean[] b = a.storage().bools();
                for (int i = 0; i < n; i++) {
                    buf.put(i, (byte) (b[off + i] ? 1 : 0));
                }
            }
        }
        Reference.reachabilityFence(a); // Note [Storage arrays] in tensor-core's StoragePool
        return buf;
    }

    private static NDArray decode(ByteBuffer buf, DType dt, int[] shape) {
        int n = (int) Shape.numel(shape);
        return switch (dt) {
            case FLOAT32 -> {
                float[] v = new float[n];
                buf.asFloatBuffer().get(v);
                yield NDArray.of(v, shape);
            }
            case FLOAT64 -> {
                double[] v = new double[n];
                buf.asDoubleBuffer().get(v);
                yield NDArray.of(v, shape);
            }
            case INT64 -> {
                long[] v = new long[n];
                buf.asLongBuffer().get(v);
                yield NDArray.of(v, shape);
            }
            case INT32 -> {
                int[] v = new int[n];
                buf.asIntBuffer().get(v);
                yield NDArray.of(v, shape);
            }
            case BOOL -> {
                boolean[] v = new boolean[n];
                for (int i = 0; i < n; i++) {
                    v[i] = buf.get(i) != 0;
                }
                yield NDArray.of(v, shape);
            }
        };
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    private static ByteBuffer readFully(FileChannel ch, long position, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length);
        while (buf.hasRemaining()) {
            if (ch.read(buf, position + buf.position()) < 0) {
                throw new IOException("unexpected end of file at byte " + (position + buf.position()));
            }
        }
        return buf.flip();
    }

    private static long crc(byte[] bytes) {
        CRC32 c = new CRC32();
        c.update(bytes);
        return c.getValue();
    }

    private static String hex(long crc) {
        return String.format(Locale.ROOT, "%08x", crc);
    }

    private static IllegalStateException corrupt(Path file, String what) {
        return new IllegalStateException("checkpoint " + file + " is corrupt: " + what);
    }

    private static String code(DType dt) {
        return switch (dt) {
            case FLOAT32 -> "F32";
            case FLOAT64 -> "F64";
            case INT64 -> "I64";
            case INT32 -> "I32";
            case BOOL -> "BOOL";
        };
    }

    private static DType dtype(Path file, String where, String code) {
        return switch (code) {
            case "F32" -> DType.FLOAT32;
            case "F64" -> DType.FLOAT64;
            case "I64" -> DType.INT64;
            case "I32" -> DType.INT32;
            case "BOOL" -> DType.BOOL;
            default -> throw corrupt(file, where + " has dtype " + code + ", which Torus does not read (F32, F64, I64, I32, BOOL)");
        };
    }
}
