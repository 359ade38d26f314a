package io.torus.data;

import io.torus.autograd.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class DataLoaderTest {

    @Test
    void fromBatch_resumesAPassWhereItStopped() {
        TensorDataset ds = new TensorDataset(Tensor.arange(10).reshape(10, 1), Tensor.arange(10));
        DistributedSampler sampler = new DistributedSampler(10, 1, 0, true, 5, false);
        sampler.setEpoch(2);
        DataLoader loader = new DataLoader(ds, 3, sampler, false, 1);
        List<long[]> all = new ArrayList<>();
        loader.forEach(b -> all.add(b.target().toLongArray()));
        List<long[]> tail = new ArrayList<>();
        loader.fromBatch(2).forEach(b -> tail.add(b.target().toLongArray()));
        assertEquals(4, all.size());
        assertEquals(2, tail.size());
        assertArrayEquals(all.get(2), tail.get(0));
        assertArrayEquals(all.get(3), tail.get(1));
        assertEquals(0, countOf(loader.fromBatch(4)));
        assertThrows(IllegalArgumentException.class, () -> loader.fromBatch(5));
    }

    private static int countOf(Iterable<Batch> it) {
        int n = 0;
        for (Batch ignored : it) {
            n++;
        }
        return n;
    }
}
