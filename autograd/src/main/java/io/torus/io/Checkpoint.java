package io.torus.io;

import io.torus.autograd.Tensor;
import io.torus.tensor.DType;
import io.torus.tensor.NDArray;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tensors by name in the safetensors format: an 8-byte little-endian header length, a JSON
 * header mapping each name to its dtype, shape and byte range, padded with spaces to a multiple
 * of 8, then the raw little-endian data. Writes go to a temporary file in the same directory that
 * is fsynced and renamed over the target, so a crash never leaves a half-written checkpoint.
 * Loading checks the header against the file size and reports a truncated or corrupt file by name.
 */
public final class Checkpoint {
    private Checkpoint() {
    }

    public static void save(Path file, Map<String, Tensor> tensors) {
        StringBuilder header = new StringBuilder("{");
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue();
            long bytes = t.numel() * t.dtype().byteSize();
            if (header.length() > 1) {
                header.append(',');
            }
            header.append('"').append(escape(e.getKey())).append("\":{\"dtype\":\"").append(code(t.dtype()))
                    .append("\",\"shape\":").append(java.util.Arrays.toString(t.shape()).replace(" ", ""))
                    .append(",\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
            offset += bytes;
        }
        header.append('}');
        byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8;
        ByteBuffer buf = ByteBuffer.allocate(8 + padded + (int) offset).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(padded).put(h);
        for (int i = h.length; i < padded; i++) {
            buf.put((byte) ' ');
        }
        for (Tensor t : tensors.values()) {
            write(buf, t.data().contiguous());
        }
        buf.flip();
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("saving checkpoint " + file + ": " + e.getMessage(), e);
        }
    }

    private static final Pattern ENTRY = Pattern.compile(
            "\"((?:[^\"\\\\]|\\\\.)*)\"\\s*:\\s*\\{\\s*\"dtype\"\\s*:\\s*\"(\\w+)\"\\s*,\\s*\"shape\"\\s*:\\s*\\[([\\d,\\s]*)]\\s*,"
                    + "\\s*\"data_offsets\"\\s*:\\s*\\[\\s*(\\d+)\\s*,\\s*(\\d+)\\s*]\\s*}");

    public static Map<String, Tensor> load(Path file) {
        byte[] all;
        try {
            all = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("reading checkpoint " + file + ": " + e.getMessage(), e);
        }
        if (all.length < 8) {
            throw corrupt(file, "file is " + all.length + " bytes, shorter than the 8-byte header length");
        }
        ByteBuffer buf = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        long hlen = buf.getLong();
        if (hlen < 2 || hlen > all.length - 8) {
            throw corrupt(file, "header length " + hlen + " does not fit in a file of " + all.length + " bytes (truncated?)");
        }
        String header = new String(all, 8, (int) hlen, StandardCharsets.UTF_8);
        int dataStart = 8 + (int) hlen;
        Map<String, Tensor> out = new LinkedHashMap<>();
        Matcher m = ENTRY.matcher(header);
        long end = 0;
        while (m.find()) {
            String name = m.group(1).replace("\\\"", "\"").replace("\\\\", "\\");
            DType dt = dtype(file, m.group(2));
            String dims = m.group(3).trim();
            int[] shape = dims.isEmpty() ? new int[0]
                    : java.util.Arrays.stream(dims.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
            long from = Long.parseLong(m.group(4));
            long to = Long.parseLong(m.group(5));
            long expected = io.torus.tensor.Shape.numel(shape) * dt.byteSize();
            if (to - from != expected) {
                throw corrupt(file, "tensor '" + name + "' spans " + (to - from) + " bytes, its shape needs " + expected);
            }
            if (dataStart + to > all.length) {
                throw corrupt(file, "tensor '" + name + "' ends at byte " + (dataStart + to) + " but the file has "
                        + all.length + " (truncated?)");
            }
            buf.position(dataStart + (int) from);
            out.put(name, Tensor.wrap(read(buf, dt, shape)));
            end = Math.max(end, to);
        }
        if (out.isEmpty() && !header.replace(" ", "").matches("\\{(\"__metadata__\".*)?}")) {
            throw corrupt(file, "header is not a safetensors header");
        }
        if (dataStart + end != all.length) {
            throw corrupt(file, "data ends at byte " + (dataStart + end) + " but the file has " + all.length + " bytes");
        }
        return out;
    }

    private static IllegalStateException corrupt(Path file, String what) {
        return new IllegalStateException("checkpoint " + file + " is corrupt: " + what);
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
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

    private static DType dtype(Path file, String code) {
        return switch (code) {
            case "F32" -> DType.FLOAT32;
            case "F64" -> DType.FLOAT64;
            case "I64" -> DType.INT64;
            case "I32" -> DType.INT32;
            case "BOOL" -> DType.BOOL;
            default -> throw corrupt(file, "unsupported dtype " + code);
        };
    }

    private static void write(ByteBuffer buf, NDArray a) {
        long n = a.numel();
        int off = a.offset();
        switch (a.dtype()) {
            case FLOAT32 -> buf.asFloatBuffer().put(a.storage().floats(), off, (int) n);
            case FLOAT64 -> buf.asDoubleBuffer().put(a.storage().doubles(), off, (int) n);
            case INT64 -> buf.asLongBuffer().put(a.storage().longs(), off, (int) n);
            case INT32 -> buf.asIntBuffer().put(a.storage().ints(), off, (int) n);
            case BOOL -> {
                for (int i = 0; i < n; i++) {
                    buf.put(buf.position() + i, (byte) (a.storage().bools()[off + i] ? 1 : 0));
                }
            }
        }
        buf.position(buf.position() + (int) (n * a.dtype().byteSize()));
    }

    private static NDArray read(ByteBuffer buf, DType dt, int[] shape) {
        int n = (int) io.torus.tensor.Shape.numel(shape);
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
                    v[i] = buf.get(buf.position() + i) != 0;
                }
                yield NDArray.of(v, shape);
            }
        };
    }
}
