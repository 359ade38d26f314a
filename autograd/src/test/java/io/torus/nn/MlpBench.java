package io.torus.nn;

import io.torus.autograd.Tensor;
import io.torus.data.Batch;
import io.torus.data.TensorDataset;
import io.torus.optim.SGD;
import io.torus.tensor.DType;
import io.torus.tensor.Generator;
import io.torus.tensor.NDArray;

import java.util.Arrays;

/**
 * Single-process training throughput of the MLP 784-256-128-10 (Linear/ReLU, cross-entropy, SGD
 * momentum 0.9) on random in-memory data, batch 64 and 256, with the time of each phase (batch
 * assembly, forward, loss, backward, optimizer step). Compare with PyTorch measured in the same
 * session (scripts/bench/mlp_torch.py, same arguments). Not a test: nothing asserts on time.
 *
 * <pre>
 *   mvn -o -q -B -pl tensor-core,autograd test-compile
 *   java --add-modules jdk.incubator.vector -cp "tensor-core/target/classes:autograd/target/classes:autograd/target/test-classes:$(find ~/.m2/repository/org/bytedeco -name '*.jar' | tr '\n' :)" \
 *       io.torus.nn.MlpBench [seconds per round] [rounds] [batch sizes...]
 * </pre>
 * Measured 2026-11 (2-vCPU Sapphire Rapids VM at load 7-10 from other builds, OPENBLAS_CORETYPE
 * unset on both sides, 1 thread, 3 s per run, three rounds interleaved with PyTorch 1.13; per-step
 * times, p10 / best-round median, us; only the ratios mean much):
 * <pre>
 *                      batch 64           batch 256
 *   before (52c9522)   2228-2390 / 3267   4044-4154 / 4298
 *   after              1043-1322 / 1163   2685-2788 / 2882
 *   PyTorch            1015-1058 / 1083   2241-2463 / 2396
 * </pre>
 * Phases after, batch 64 (median us, Torus vs PyTorch): batch 64 vs 49, forward 372 vs 305, loss
 * 20 vs 30, backward 549 vs 456, step 118 vs 220. The forward and backward gap is the staging of
 * operands for BLAS (Note [Staged operands] in OpenBlas): the 784 x 256 weight in (44 us) and its
 * gradient out into a fresh array (56 us) each step; the sgemm calls themselves take ~450 us.
 */
public final class MlpBench {
    private MlpBench() {
    }

    public static void main(String[] args) {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 2;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int[] batches = args.length > 2 ? Arrays.stream(args, 2, args.length).mapToInt(Integer::parseInt).toArray()
                : new int[] {64, 256};
        int n = 16384;
        Generator g = new Generator(1);
        TensorDataset data = new TensorDataset(Tensor.wrap(NDArray.uniform(g, 0, 1, DType.FLOAT32, n, 784)),
                Tensor.wrap(io.torus.tensor.Creation.randint(g, 0, 10, DType.INT64, n)));
        System.out.printf("OPENBLAS_CORETYPE=%s%n", System.getenv("OPENBLAS_CORETYPE"));
        for (int r = 0; r < rounds; r++) {
            for (int b : batches) {
                run(data, b, seconds);
            }
        }
    }

    /** CPU time of the whole process (GC and JIT threads included), ns. */
    private static long cpu() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static void run(TensorDataset data, int batch, double seconds) {
        Sequential model = new Sequential(new Linear(784, 256), new ReLU(), new Linear(256, 128), new ReLU(),
                new Linear(128, 10));
        SGD opt = new SGD(model.parameters(), 0.01, 0.9);
        int n = data.size();
        long[][] plan = new long[n / batch][];
        for (int i = 0; i < plan.length; i++) {
            plan[i] = new long[batch];
            for (int j = 0; j < batch; j++) {
                plan[i][j] = (long) i * batch + j;
            }
        }
        long[] t = new long[5];
        long[][] per = new long[6][200000];
        int kept = 0;
        long samples = 0;
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        long warm = start + (long) (seconds * 0.3e9);
        boolean counting = false;
        long countStart = 0;
        long cpuStart = 0;
        int step = 0;
        double loss = 0;
        while (true) {
            long t0 = System.nanoTime();
            if (!counting && t0 >= warm) {
                counting = true;
                countStart = t0;
                cpuStart = cpu();
                Arrays.fill(t, 0);
                samples = 0;
            }
            if (t0 >= end) {
                break;
            }
            Batch b = data.batch(plan[step++ % plan.length]);
            long t1 = System.nanoTime();
            Tensor out = model.call(b.input());
            long t2 = System.nanoTime();
            Tensor l = F.crossEntropy(out, b.target());
            long t3 = System.nanoTime();
            opt.zeroGrad();
            l.backward();
            long t4 = System.nanoTime();
            opt.step();
            long t5 = System.nanoTime();
            t[0] += t1 - t0;
            t[1] += t2 - t1;
            t[2] += t3 - t2;
            t[3] += t4 - t3;
            t[4] += t5 - t4;
            if (counting && kept < per[0].length) {
                per[0][kept] = t1 - t0;
                per[1][kept] = t2 - t1;
                per[2][kept] = t3 - t2;
                per[3][kept] = t4 - t3;
                per[4][kept] = t5 - t4;
                per[5][kept] = t5 - t0;
                kept++;
            }
            samples += batch;
            if (step % 50 == 0) {
                loss = l.item();
            }
        }
        double el = (System.nanoTime() - countStart) / 1e9;
        double cpuEl = (cpu() - cpuStart) / 1e9;
        double steps = samples / (double) batch;
        System.out.printf("batch %4d: %8.0f samples/s %8.0f per cpu-s  us/step: batch %.1f fwd %.1f loss %.1f bwd %.1f step %.1f  (loss %.3f)%n",
                batch, samples / el, samples / cpuEl, t[0] / steps / 1e3, t[1] / steps / 1e3, t[2] / steps / 1e3, t[3] / steps / 1e3,
                t[4] / steps / 1e3, loss);
        double[] med = new double[6];
        double[] p10 = new double[6];
        for (int i = 0; i < 6; i++) {
            long[] v = Arrays.copyOf(per[i], kept);
            Arrays.sort(v);
            med[i] = v[kept / 2] / 1e3;
            p10[i] = v[kept / 10] / 1e3;
        }
        System.out.printf("   median step %.0f us (%.0f samples/s), p10 step %.0f us (%.0f samples/s); median us: batch %.0f fwd %.0f"
                + " loss %.0f bwd %.0f step %.0f%n", med[5], batch / med[5] * 1e6, p10[5], batch / p10[5] * 1e6,
                med[0], med[1], med[2], med[3], med[4]);
    }
}
