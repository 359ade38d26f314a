package io.torus.comm.ddp;

import io.torus.autograd.Tensor;
import io.torus.comm.ProcessGroup;
import io.torus.comm.ProcessGroups;
import io.torus.comm.transport.InMemoryTransport;
import io.torus.nn.F;
import io.torus.nn.Linear;
import io.torus.nn.Module;
import io.torus.nn.ReLU;
import io.torus.nn.Sequential;
import io.torus.optim.SGD;
import io.torus.tensor.DType;
import io.torus.tensor.Generator;
import io.torus.tensor.NDArray;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

class DistributedDataParallelTest {
    private static final int WORLD = 3;

    /** Rank threads build models concurrently: seeding and drawing from the global generator must not interleave. */
    private static synchronized Module model(long seed) {
        Tensor.manualSeed(seed);
        return new Sequential(new Linear(5, 7), new ReLU(), new Linear(7, 3));
    }

    private static Tensor inputs(int rank) {
        return Tensor.wrap(NDArray.normal(new Generator(100 + rank), 0, 1, DType.FLOAT32, 4, 5));
    }

    private static Tensor targets(int rank) {
        return Tensor.ofLongs(rank % 3, (rank + 1) % 3, 2, 0);
    }

    /** Runs {@code body} as ranks 0..WORLD-1 on threads over an in-memory transport. */
    private static <T> List<T> onRanks(RankBody<T> body) throws Exception {
        List<InMemoryTransport> ends = InMemoryTransport.group(WORLD);
        ExecutorService pool = Executors.newFixedThreadPool(WORLD);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int r = 0; r < WORLD; r++) {
                int rank = r;
                futures.add(pool.submit((Callable<T>) () -> {
                    try (ProcessGroup pg = ProcessGroups.overTransport(ends.get(rank))) {
                        return body.run(rank, pg);
                    }
                }));
            }
            List<T> out = new ArrayList<>();
            for (Future<T> f : futures) {
                out.add(f.get());
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    interface RankBody<T> {
        T run(int rank, ProcessGroup pg) throws Exception;
    }

    @Test
    void backward_averagesGradientsAcrossRanks() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            // expected: the mean over ranks of each rank's local gradient, from rank 0's initial weights
            Module reference = model(0);
            List<float[]> expected = new ArrayList<>();
            for (int r = 0; r < WORLD; r++) {
                reference.zeroGrad();
                F.crossEntropy(reference.forward(inputs(r)), targets(r)).backward();
                for (int i = 0; i < reference.parameters().size(); i++) {
                    float[] g = reference.parameters().get(i).grad().toFloatArray();
                    if (r == 0) {
                        expected.add(new float[g.length]);
                    }
                    for (int k = 0; k < g.length; k++) {
                        expected.get(i)[k] += g[k] / WORLD;
                    }
                }
            }
            List<List<float[]>> grads = onRanks((rank, pg) -> {
                Module local = model(rank); // different initial weights on every rank
                DistributedDataParallel ddp = new DistributedDataParallel(local, pg, 64); // several buckets
                F.crossEntropy(ddp.forward(inputs(rank)), targets(rank)).backward();
                List<float[]> g = new ArrayList<>();
                local.parameters().forEach(p -> g.add(p.grad().toFloatArray()));
                return g;
            });
            for (List<float[]> rankGrads : grads) {
                for (int i = 0; i < expected.size(); i++) {
                    assertArrayEquals(expected.get(i), rankGrads.get(i), 1e-5f, "parameter " + i);
                }
            }
        });
    }

    @Test
    void buckets_smallFirstBucketThenCapacity() throws Exception {
        // Reverse registration order: 7x3 layer's bias (12 B) and weight (84 B), then the 5x7 layer's bias (28 B)
        // and weight (140 B). First bucket at most 100 B, later ones 200 B.
        List<ReducerStats> stats = onRanks((rank, pg) -> {
            Module local = model(rank);
            DistributedDataParallel ddp = new DistributedDataParallel(local, pg, 100, 200);
            for (int step = 0; step < 2; step++) {
                local.zeroGrad();
                F.crossEntropy(ddp.forward(inputs(rank)), targets(rank)).backward();
            }
            return ddp.stats();
        });
        for (ReducerStats s : stats) {
            assertArrayEquals(new long[] {96, 168}, s.bucketBytes());
            assertEquals(2, s.reductions());
        }
    }

    @Test
    void buckets_nonPositiveSize_isRejected() throws Exception {
        List<String> messages = onRanks((rank, pg) -> assertThrows(IllegalArgumentException.class,
                () -> new DistributedDataParallel(model(rank), pg, 0, 100)).getMessage());
        assertEquals(true, messages.get(0).contains("bucket sizes 0 (first)"), messages.get(0));
    }

    @Test
    void training_keepsReplicasBitIdentical() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            List<float[]> finals = onRanks((rank, pg) -> {
                Module local = model(10 + rank);
                DistributedDataParallel ddp = new DistributedDataParallel(local, pg);
                SGD opt = new SGD(local.parameters(), 0.1, 0.9);
                for (int step = 0; step < 5; step++) {
                    opt.zeroGrad();
                    F.crossEntropy(ddp.forward(inputs(rank + step)), targets(rank + step)).backward();
                    opt.step();
                }
                return local.parameters().get(0).toFloatArray();
            });
            for (int r = 1; r < WORLD; r++) {
                assertArrayEquals(finals.get(0), finals.get(r), "rank " + r + " diverged from rank 0");
            }
        });
    }

    @Test
    void noSync_accumulatesLocallyThenReducesTheSum() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            List<float[]> seen = onRanks((rank, pg) -> {
                Module local = model(0);
                DistributedDataParallel ddp = new DistributedDataParallel(local, pg);
                try (var scope = ddp.noSync()) {
                    F.crossEntropy(ddp.forward(inputs(rank)), targets(rank)).backward();
                }
                float own = local.parameters().get(3).grad().toFloatArray()[0];
                F.crossEntropy(ddp.forward(inputs(rank)), targets(rank)).backward();
                float reduced = local.parameters().get(3).grad().toFloatArray()[0];
                return new float[] {own, reduced};
            });
            // inside noSync each rank kept its own gradient g_r; the next backward reduced mean(2 g_r)
            float mean = 0;
            for (float[] s : seen) {
                mean += s[0] / WORLD;
            }
            assertNotEquals(seen.get(0)[0], seen.get(1)[0]);
            for (float[] s : seen) {
                assertEquals(2 * mean, s[1], 1e-5);
            }
        });
    }

    @Test
    void forward_afterIncompleteBackwardNamesMissingParameters() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            List<String> errors = onRanks((rank, pg) -> {
                Linear a = new Linear(2, 2);
                Linear unused = new Linear(2, 2);
                Module m = new Module() {
                    {
                        registerModule("a", a);
                        registerModule("unused", unused);
                    }

                    @Override
                    public Tensor forward(Tensor x) {
                        return a.forward(x);
                    }
                };
                DistributedDataParallel ddp = new DistributedDataParallel(m, pg, 1);
                ddp.forward(Tensor.ones(1, 2)).sum().backward();
                return assertThrows(IllegalStateException.class, () -> ddp.forward(Tensor.ones(1, 2))).getMessage();
            });
            for (String e : errors) {
                assertEquals(true, e.contains("did not produce gradients for 2 parameter(s)"), e);
            }
        });
    }

    @org.junit.jupiter.api.Tag("gpu")
    @Test
    void backward_cudaGradientsAreStagedThroughTheHostAndAveraged() {
        io.torus.tensor.backend.cuda.CudaAvailability.Status st = io.torus.tensor.backend.cuda.CudaAvailability.status();
        org.junit.jupiter.api.Assumptions.assumeTrue(st.available(), st.message());
        io.torus.tensor.Device gpu = io.torus.tensor.Device.cuda(0);
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            List<List<float[]>> cpu = onRanks((rank, pg) -> {
                Module local = model(rank);
                DistributedDataParallel ddp = new DistributedDataParallel(local, pg, 64);
                F.crossEntropy(ddp.forward(inputs(rank)), targets(rank)).backward();
                List<float[]> g = new ArrayList<>();
                local.parameters().forEach(p -> g.add(p.grad().toFloatArray()));
                return g;
            });
            List<List<float[]>> cuda = onRanks((rank, pg) -> {
                Module local = model(rank);
                local.to(gpu); // every rank thread on the one GPU of the test machine
                DistributedDataParallel ddp = new DistributedDataParallel(local, pg, 64);
                F.crossEntropy(ddp.forward(inputs(rank).to(gpu)), targets(rank).to(gpu)).backward();
                List<float[]> g = new ArrayList<>();
                local.parameters().forEach(p -> {
                    assertEquals(gpu, p.grad().device(), "the averaged gradient stays on the GPU");
                    g.add(p.grad().toFloatArray());
                });
                return g;
            });
            for (int r = 0; r < WORLD; r++) {
                for (int i = 0; i < cpu.get(r).size(); i++) {
                    assertArrayEquals(cpu.get(r).get(i), cuda.get(r).get(i), 1e-5f, "rank " + r + " parameter " + i);
                }
            }
        });
    }
}
