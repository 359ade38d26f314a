package io.torus.data;

import io.torus.autograd.Tensor;
import io.torus.tensor.DType;
import io.torus.tensor.NDArray;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TransformsTest {

    private static Tensor ints(int[] v, int... shape) {
        return Tensor.wrap(NDArray.of(v, shape));
    }

    @Test
    void toTensor_scalesBytesToUnitInterval() {
        Tensor out = Transforms.toTensor().apply(ints(new int[] {0, 51, 255}, 3));
        assertEquals(DType.FLOAT32, out.dtype());
        assertArrayEquals(new float[] {0f, 0.2f, 1f}, out.toFloatArray());
        Tensor longs = Transforms.toTensor().apply(Tensor.ofLongs(255, 0));
        assertArrayEquals(new float[] {1f, 0f}, longs.toFloatArray());
    }

    @Test
    void toTensor_rejectsOutOfRangeAndFloatInput() {
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
                () -> Transforms.toTensor().apply(ints(new int[] {3, 256}, 2)));
        assertTrue(range.getMessage().contains("256") && range.getMessage().contains("0..255"), range.getMessage());
        IllegalArgumentException floats = assertThrows(IllegalArgumentException.class,
                () -> Transforms.toTensor().apply(Tensor.of(0.5f)));
        assertTrue(floats.getMessage().contains("FLOAT32") && floats.getMessage().contains("already converted"), floats.getMessage());
    }

    @Test
    void normalize_subtractsMeanDividesByStd() {
        Tensor out = Transforms.normalize(0.5, 0.25).apply(Tensor.of(0f, 0.5f, 1f));
        assertArrayEquals(new float[] {-2f, 0f, 2f}, out.toFloatArray());
        IllegalArgumentException ints = assertThrows(IllegalArgumentException.class,
                () -> Transforms.normalize(0.5, 0.25).apply(ints(new int[] {1}, 1)));
        assertTrue(ints.getMessage().contains("toTensor()"), ints.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Transforms.normalize(0, 0));
    }

    @Test
    void normalize_perChannelUsesDimZeroOfASampleAndDimOneOfABatch() {
        Transform t = Transforms.normalize(new double[] {0, 1}, new double[] {1, 2});
        Tensor sample = Tensor.of(new float[] {1, 2, 3, 5}, 2, 2); // channel 0: [1, 2], channel 1: [3, 5]
        // channel 0: (x − 0)/1; channel 1: (x − 1)/2 → [1, 2] and [1, 2]
        assertArrayEquals(new float[] {1, 2, 1, 2}, t.apply(sample).toFloatArray());
        Tensor batch = Tensor.stack(0, sample, sample.mul(2));
        assertArrayEquals(new float[] {1, 2, 1, 2, 2, 4, 2.5f, 4.5f}, t.applyToBatch(batch).toFloatArray());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.apply(Tensor.zeros(3, 2)));
        assertTrue(e.getMessage().contains("expected 2 channels in dim 0") && e.getMessage().contains("[3, 2]"), e.getMessage());
    }

    @Test
    void compose_appliesInOrderAndBatchEqualsStackedSamples() {
        Transform t = Transforms.compose(Transforms.toTensor(), Transforms.normalize(0.5, 0.5));
        assertArrayEquals(new float[] {-1f, 1f}, t.apply(ints(new int[] {0, 255}, 2)).toFloatArray());
        Transform custom = x -> x.mul(x);          // default applyToBatch: sample by sample
        Transform both = t.andThen(custom);
        Tensor batch = ints(new int[] {0, 51, 102, 255, 204, 153}, 3, 2);
        List<Float> stacked = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            for (float f : both.apply(batch.select(0, i)).toFloatArray()) {
                stacked.add(f);
            }
        }
        Tensor whole = both.applyToBatch(batch);
        assertArrayEquals(new int[] {3, 2}, whole.shape());
        float[] w = whole.toFloatArray();
        for (int i = 0; i < w.length; i++) {
            assertEquals(stacked.get(i), w[i]);
        }
    }

    @Test
    void dataset_transformEagerAndLazyGiveTheSameBatches() {
        TensorDataset raw = new TensorDataset(ints(new int[] {0, 10, 20, 30, 40, 50, 60, 70, 80, 90}, 5, 2),
                Tensor.ofLongs(0, 1, 2, 3, 4));
        Transform t = Transforms.compose(Transforms.toTensor(), Transforms.normalize(0.1, 0.2));
        TensorDataset eager = raw.transform(t);
        TransformedDataset lazy = new TransformedDataset(raw, t);
        assertArrayEquals(eager.get(3).input().toFloatArray(), lazy.get(3).input().toFloatArray());
        DistributedSampler s1 = new DistributedSampler(5, 2, 1, true, 9, false);
        DistributedSampler s2 = new DistributedSampler(5, 2, 1, true, 9, false);
        List<Batch> a = new ArrayList<>();
        new DataLoader(eager, 2, s1, false, 0).forEach(a::add);
        List<Batch> b = new ArrayList<>();
        new DataLoader(lazy, 2, s2, false, 2).forEach(b::add);
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i).input().toFloatArray(), b.get(i).input().toFloatArray());
            assertArrayEquals(a.get(i).target().toLongArray(), b.get(i).target().toLongArray());
        }
        // and a non-tensor base is stacked sample by sample
        Dataset<Sample> plain = new Dataset<>() {
            public int size() {
                return raw.size();
            }

            public Sample get(int i) {
                return raw.get(i);
            }
        };
        List<Batch> c = new ArrayList<>();
        new DataLoader(new TransformedDataset(plain, t), 2, new DistributedSampler(5, 2, 1, true, 9, false), false, 0).forEach(c::add);
        assertArrayEquals(a.get(0).input().toFloatArray(), c.get(0).input().toFloatArray());
    }
}
