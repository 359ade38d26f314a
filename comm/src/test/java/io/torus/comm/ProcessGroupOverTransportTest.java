package io.torus.comm;

import io.torus.autograd.Tensor;
import io.torus.comm.testing.Ranks;
import io.torus.comm.transport.InMemoryTransport;
import io.torus.comm.transport.PeerLostException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link ProcessGroups#overTransport}: tensors in and out, issue order, misuse, failures. */
class ProcessGroupOverTransportTest {

    private static List<ProcessGroup> groups(int n) {
        List<ProcessGroup> groups = new ArrayList<>();
        for (InMemoryTransport t : InMemoryTransport.group(n)) {
            groups.add(ProcessGroups.overTransport(t));
        }
        return groups;
    }

    @Test
    void allReduce_sumsTensorsInPlaceKeepingTheirShape() {
        List<ProcessGroup> pgs = groups(3);
        Ranks.run(3, rank -> {
            try (ProcessGroup pg = pgs.get(rank)) {
                Tensor t = Tensor.of(new float[] {rank, 1, 2, 3, 4, 5}, 2, 3);
                pg.allReduce(t, ReduceOp.SUM);
                assertArrayEquals(new float[] {3, 3, 6, 9, 12, 15}, t.toFloatArray());
                assertArrayEquals(new int[] {2, 3}, t.shape());
                assertEquals(rank, pg.rank());
                assertEquals(3, pg.worldSize());
            }
            return null;
        });
    }

    @Test
    void allReduceAsync_manyInFlightCompleteInIssueOrder() {
        List<ProcessGroup> pgs = groups(2);
        Ranks.run(2, rank -> {
            try (ProcessGroup pg = pgs.get(rank)) {
                List<Tensor> tensors = new ArrayList<>();
                List<Work> works = new ArrayList<>();
                for (int k = 0; k < 20; k++) {
                    Tensor t = Tensor.of(new float[k * 100 + 1], k * 100 + 1);
                    t.setData(filled(k * 100 + 1, rank + k));
                    tensors.add(t);
                    works.add(pg.allReduceAsync(t, k % 2 == 0 ? ReduceOp.SUM : ReduceOp.MAX));
                }
                for (int k = 19; k >= 0; k--) {
                    works.get(k).await();
                    assertTrue(works.get(k).isDone());
                    float want = k % 2 == 0 ? 2 * k + 1 : k + 1;
                    assertArrayEquals(filled(k * 100 + 1, want), tensors.get(k).toFloatArray(), "tensor " + k);
                }
            }
            return null;
        });
    }

    @Test
    void broadcastAllGatherBarrier_withTensors() {
        List<ProcessGroup> pgs = groups(3);
        Ranks.run(3, rank -> {
            try (ProcessGroup pg = pgs.get(rank)) {
                Tensor w = Tensor.of(filled(4, rank == 2 ? 7 : 0), 2, 2);
                pg.broadcast(w, 2);
                assertArrayEquals(filled(4, 7), w.toFloatArray());
                List<Tensor> all = pg.allGather(Tensor.of(new float[] {rank, -rank}, 1, 2));
                assertEquals(3, all.size());
                for (int r = 0; r < 3; r++) {
                    assertArrayEquals(new float[] {r, -r}, all.get(r).toFloatArray());
                    assertArrayEquals(new int[] {1, 2}, all.get(r).shape());
                }
                pg.barrier();
            }
            return null;
        });
    }

    @Test
    void collectives_rejectBadArgumentsNamingThem() {
        ProcessGroup pg = groups(1).get(0);
        Tensor bools = Tensor.wrap(io.torus.tensor.NDArray.of(new boolean[] {true, false}, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pg.allReduce(bools, ReduceOp.AVG));
        assertTrue(e.getMessage().contains("AVG is not defined for dtype BOOL"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> pg.reduceScatter(bools, ReduceOp.AVG));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> pg.broadcast(Tensor.of(new float[1], 1), 1))
                .getMessage().contains("root 1"));
        pg.close();
        assertTrue(assertThrows(IllegalStateException.class, () -> pg.allReduce(Tensor.of(new float[1], 1), ReduceOp.SUM))
                .getMessage().contains("closed"));
        pg.close(); // idempotent
    }

    @Test
    void allReduce_integerAvgTruncatesTowardZeroAndStridedViewsAreWrittenBack() {
        List<ProcessGroup> pgs = groups(2);
        Ranks.run(2, rank -> {
            try (ProcessGroup pg = pgs.get(rank)) {
                Tensor ints = Tensor.wrap(io.torus.tensor.NDArray.of(new int[] {rank == 0 ? -7 : 0, 7, Integer.MAX_VALUE}, 3));
                pg.allReduce(ints, ReduceOp.AVG);
                // MAX_VALUE + MAX_VALUE wraps to -2, halved -1, as in PyTorch (integer sums wrap)
                assertArrayEquals(new int[] {-3, 7, -1}, (int[]) ints.data().storage().array());
                // a transposed (non-contiguous) view: reduced through a copy, written back in place
                Tensor m = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
                Tensor view = Tensor.wrap(m.data().transpose(0, 1));
                int before = m.data().version();
                pg.allReduce(view, ReduceOp.SUM);
                assertArrayEquals(new float[] {2, 4, 6, 8, 10, 12}, m.toFloatArray());
                assertTrue(m.data().version() > before, "version counter bumped");
            }
            return null;
        });
    }

    @Test
    void lostPeer_failsTheCollectiveAndEveryLaterOneNamingIt() {
        List<InMemoryTransport> transports = InMemoryTransport.group(2);
        ProcessGroup pg = ProcessGroups.overTransport(transports.get(0));
        Work pending = pg.allReduceAsync(Tensor.of(new float[5000], 5000), ReduceOp.SUM);
        transports.get(1).close();
        PeerLostException e = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> assertThrows(PeerLostException.class, pending::await));
        assertEquals(1, e.lostRank());
        IllegalStateException later = assertThrows(IllegalStateException.class, pg::barrier);
        assertTrue(later.getMessage().contains("broken by an earlier failure") && later.getMessage().contains("rank 1"),
                later.getMessage());
        assertInstanceOf(PeerLostException.class, later.getCause());
        pg.close();
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, v);
        return a;
    }
}
