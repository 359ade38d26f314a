package io.torus.io;

import io.torus.autograd.Tensor;
import io.torus.nn.F;
import io.torus.nn.Linear;
import io.torus.nn.ReLU;
import io.torus.nn.Sequential;
import io.torus.optim.Adam;
import io.torus.optim.ParamGroup;
import io.torus.optim.lr.StepLR;
import io.torus.tensor.DType;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PyTorch reads what Torus writes: scripts/torch-load-safetensors.py (json + torch.frombuffer)
 * loads a training checkpoint and reports, per tensor, the dtype, shape, sum and CRC-32 Torus
 * expects. Skips when /usr/bin/python3 cannot import torch (Debian: apt-get install python3-torch).
 */
class TorchInteropTest {
    private static final Path PYTHON = Path.of("/usr/bin/python3");

    @Test
    void torchLoadsATrainingCheckpoint(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(PYTHON), PYTHON + " not found (apt-get install python3-torch); skipping");
        Tensor.manualSeed(5);
        Linear first = new Linear(3, 4);
        Sequential model = new Sequential(first, new ReLU(), new Linear(4, 2));
        Adam opt = new Adam(List.of(new ParamGroup(first.parameters()), new ParamGroup(model.parameters().subList(2, 4), 0.01)),
                0.05, 0.9, 0.999, 1e-8, 0, false);
        StepLR sched = new StepLR(opt, 2, 0.5);
        for (int i = 0; i < 3; i++) {
            opt.zeroGrad();
            F.crossEntropy(model.forward(Tensor.randn(5, 3)), Tensor.ofLongs(0, 1, 1, 0, 1)).backward();
            opt.step();
            sched.step();
        }
        Path file = dir.resolve("torus-training.safetensors");
        TrainingCheckpoint.capture(model, opt, sched, 0, 3, 3).withMetadata("note", "written by TorchInteropTest").save(file);

        Path script = Path.of(System.getProperty("torus.project.root", "..")).resolve("scripts/torch-load-safetensors.py");
        Process p = new ProcessBuilder(PYTHON.toString(), script.toString(), file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "script timed out");
        Assumptions.assumeFalse(p.exitValue() != 0 && out.contains("No module named 'torch'"),
                PYTHON + " cannot import torch (apt-get install python3-torch); skipping");
        System.out.println(out);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("(matches torus.data_crc32)"), out);
        assertTrue(out.contains("note = written by TorchInteropTest"), out);

        Map<String, String[]> rows = new HashMap<>();
        for (String line : out.split("\n")) {
            // name, dtype, shape (may contain spaces: "[8, 4]"), sum, crc32
            String[] tokens = line.trim().split("\\s+");
            if (tokens.length >= 5 && tokens[1].startsWith("torch.")) {
                String shape = String.join(" ", java.util.Arrays.copyOfRange(tokens, 2, tokens.length - 2));
                rows.put(tokens[0], new String[] {tokens[0], tokens[1], shape, tokens[tokens.length - 2], tokens[tokens.length - 1]});
            }
        }
        Map<String, Tensor> tensors = Checkpoint.load(file);
        assertEquals(tensors.keySet(), rows.keySet(), out);
        Map<DType, String> names = Map.of(DType.FLOAT32, "torch.float32", DType.FLOAT64, "torch.float64",
                DType.INT64, "torch.int64", DType.INT32, "torch.int32", DType.BOOL, "torch.bool");
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue();
            String[] row = rows.get(e.getKey());
            assertEquals(names.get(t.dtype()), row[1], e.getKey());
            assertEquals(java.util.Arrays.toString(t.shape()), row[2], e.getKey());
            double sum = 0;
            for (double v : t.toDoubleArray()) {
                sum += v;
            }
            assertEquals(sum, Double.parseDouble(row[3]), 1e-9 * Math.max(1, Math.abs(sum)), e.getKey());
            assertEquals(String.format("%08x", crc(t)), row[4], e.getKey());
        }
        assertArrayEquals(new long[] {3}, tensors.get("scheduler.last_epoch").reshape(1).toLongArray());
    }

    /** CRC-32 of the tensor's little-endian bytes, as the script computes it. */
    private static long crc(Tensor t) {
        ByteBuffer b = ByteBuffer.allocate((int) (t.numel() * t.dtype().byteSize())).order(ByteOrder.LITTLE_ENDIAN);
        switch (t.dtype()) {
            case FLOAT32 -> {
                for (float v : t.toFloatArray()) {
                    b.putFloat(v);
                }
            }
            case FLOAT64 -> {
                for (double v : t.toDoubleArray()) {
                    b.putDouble(v);
                }
            }
            case INT64 -> {
                for (long v : t.toLongArray()) {
                    b.putLong(v);
                }
            }
            case INT32 -> {
                for (long v : t.toLongArray()) {
                    b.putInt((int) v);
                }
            }
            case BOOL -> {
                for (long v : t.toLongArray()) {
                    b.put((byte) v);
                }
            }
        }
        CRC32 c = new CRC32();
        c.update(b.flip());
        return c.getValue();
    }
}
