package io.torus.launcher.bench;

import io.torus.autograd.Tensor;
import io.torus.launcher.jobs.LeNet;
import io.torus.nn.F;
import io.torus.nn.Linear;
import io.torus.nn.Module;
import io.torus.nn.ReLU;
import io.torus.nn.Sequential;
import io.torus.optim.SGD;
import io.torus.tensor.DType;
import io.torus.tensor.Device;
import io.torus.tensor.Generator;
import io.torus.tensor.NDArray;
import io.torus.tensor.backend.cuda.CudaAvailability;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The Torus side of {@code scripts/bench/gpu-bench.sh} (issue 9), one JSON object per line, in the
 * format of {@code scripts/bench/torch_gpu_reference.py} so that the script can put them side by
 * side: sgemm TFLOP/s on the GPU, then training-step throughput of the 784-256-128-10 MLP and of
 * LeNet-5 on synthetic batches resident on the GPU (SGD lr 0.01, momentum 0.9, cross-entropy),
 * exactly as TrainBench and torch_reference.py define them for the CPU.
 *
 * <p>Every timed call ends by reading one element back to the host, which waits for the device's
 * stream: the times are of finished work. Usage:
 * {@code GpuBench [--device cuda:0] [--sgemm 1024,4096,8192] [--train-mlp 64,256,1024] [--train-cnn 64,256]}.
 */
public final class GpuBench {
    private static final int TRAIN_BATCHES = 8;

    private GpuBench() {
    }

    public static void main(String[] args) {
        Device device = Device.cuda(0);
        List<Integer> sgemm = List.of(1024, 4096, 8192);
        List<Integer> mlp = List.of(64, 256, 1024);
        List<Integer> cnn = List.of(64, 256);
        Timing timing = new Timing(2, 7, 200_000_000L);
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--device" -> device = Device.parse(args[++i]);
                case "--sgemm" -> sgemm = ints(args[++i]);
                case "--train-mlp" -> mlp = ints(args[++i]);
                case "--train-cnn" -> cnn = ints(args[++i]);
                case "--quick" -> timing = new Timing(1, 3, 100_000_000L);
                default -> throw new IllegalArgumentException("GpuBench: unknown argument '" + args[i]
                        + "': expected --device, --sgemm, --train-mlp, --train-cnn or --quick");
            }
        }
        CudaAvailability.Status s = CudaAvailability.status();
        emit("env", "\"side\": \"torus\", \"device\": \"" + device + "\", \"cuda\": \"" + s.message().replace("\"", "'") + "\"");
        CudaAvailability.require(device);
        for (int n : sgemm) {
            sgemm(device, n, timing);
        }
        for (int b : mlp) {
            train(device, "mlp", b, timing);
        }
        for (int b : cnn) {
            train(device, "cnn", b, timing);
        }
    }

    private static void sgemm(Device device, int n, Timing timing) {
        NDArray a = NDArray.normal(new Generator(n), 0, 1, DType.FLOAT32, n, n).to(device);
        NDArray b = NDArray.normal(new Generator(n + 1), 0, 1, DType.FLOAT32, n, n).to(device);
        Timing.Result r = timing.measure(() -> a.matmul(b).getDouble(0));
        double sec = r.medianNanos() / 1e9;
        emit("sgemm", String.format(Locale.ROOT, "\"n\": %d, \"seconds\": %.6e, \"tflops\": %.3f", n, sec, 2.0 * n * n * (double) n / sec / 1e12));
    }

    private static void train(Device device, String name, int batch, Timing timing) {
        Tensor.manualSeed(1);
        Module model = name.equals("mlp")
                ? new Sequential(new Linear(784, 256), new ReLU(), new Linear(256, 128), new ReLU(), new Linear(128, 10))
                : new LeNet();
        model.to(device);
        int[] shape = name.equals("mlp") ? new int[] {batch, 784} : new int[] {batch, 1, 28, 28};
        List<Tensor[]> data = new ArrayList<>();
        for (int i = 0; i < TRAIN_BATCHES; i++) {
            data.add(new Tensor[] {Tensor.randn(shape).to(device), Tensor.randint(0, 10, batch).to(device)});
        }
        SGD opt = new SGD(model.parameters(), 0.01, 0.9);
        int[] at = {0};
        Timing.Result r = timing.measure(() -> {
            Tensor[] xy = data.get(at[0]++ % TRAIN_BATCHES);
            opt.zeroGrad();
            Tensor loss = F.crossEntropy(model.forward(xy[0]), xy[1]);
            loss.backward();
            opt.step();
            loss.item(); // waits for the step to finish on the device
        });
        double sec = r.medianNanos() / 1e9;
        emit("train", String.format(Locale.ROOT, "\"model\": \"%s\", \"batch\": %d, \"seconds\": %.6e, \"samples_per_s\": %.1f",
                name, batch, sec, batch / sec));
    }

    private static void emit(String kind, String fields) {
        System.out.println("{\"kind\": \"" + kind + "\", " + fields + "}");
        System.out.flush();
    }

    private static List<Integer> ints(String csv) {
        List<Integer> out = new ArrayList<>();
        for (String s : csv.split(",")) {
            if (!s.isBlank()) {
                out.add(Integer.parseInt(s.trim()));
            }
        }
        return out;
    }
}
