package io.torus.tensor;

import io.torus.tensor.op.BinaryOp;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Views, selection and indexing on NDArray, each on a non-contiguous input as well. */
class IndexingTest {

    /** [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]] */
    private static NDArray seq(int... shape) {
        return NDArray.arange(0, Shape.numel(shape), 1, DType.FLOAT32).view(shape);
    }

    private static NDArray longs(long... v) {
        return NDArray.of(v, v.length);
    }

    private static NDArray bools(boolean... v) {
        return NDArray.of(v, v.length);
    }

    private static String message(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    // ------------------------------------------------------------------ views

    @Test
    void narrow_isAViewThatSeesAndMakesWrites() {
        NDArray a = seq(3, 4);
        NDArray n = a.narrow(1, 1, 2);
        assertSame(a.storage(), n.storage());
        assertArrayEquals(new float[] {1, 2, 5, 6, 9, 10}, n.toFloatArray());
        n.fill_(-1);
        assertArrayEquals(new float[] {0, -1, -1, 3, 4, -1, -1, 7, 8, -1, -1, 11}, a.toFloatArray());
        assertArrayEquals(new float[] {2, 6, 10, 3, 7, 11}, seq(3, 4).transpose(0, 1).narrow(0, -2, 2).toFloatArray(),
                "negative start on a transposed view");
    }

    @Test
    void narrow_outOfRangeAndZeroDimThrow() {
        assertEquals("narrow: range [3, 5) out of bounds for dim 1 of size 4 (shape [3, 4])", message(() -> seq(3, 4).narrow(1, 3, 2)));
        assertEquals("narrow: cannot be applied to a 0-dim tensor", message(() -> NDArray.scalar(1, DType.FLOAT32).narrow(0, 0, 1)));
        assertTrue(message(() -> seq(3, 4).narrow(2, 0, 1)).contains("dim 2 out of range"));
    }

    @Test
    void select_dropsTheDimAndSharesStorage() {
        NDArray a = seq(3, 4);
        NDArray row = a.select(0, -1);
        assertSame(a.storage(), row.storage());
        assertArrayEquals(new float[] {8, 9, 10, 11}, row.toFloatArray());
        NDArray col = a.transpose(0, 1).select(1, 1);
        assertArrayEquals(new float[] {4, 5, 6, 7}, col.toFloatArray());
        col.binary_(BinaryOp.MUL, 10);
        assertArrayEquals(new float[] {40, 50, 60, 70}, a.select(0, 1).toFloatArray());
        assertEquals("select: index 3 out of range for dim 0 of size 3", message(() -> a.select(0, 3)));
        assertEquals("select: cannot be applied to a 0-dim tensor", message(() -> NDArray.scalar(1, DType.FLOAT32).select(0, 0)));
    }

    @Test
    void squeeze_removesEverySizeOneDimAsAView() {
        NDArray a = seq(1, 3, 1, 2);
        NDArray s = a.squeeze();
        assertArrayEquals(new int[] {3, 2}, s.shape());
        assertSame(a.storage(), s.storage());
        NDArray t = seq(2, 1, 3).permute(2, 1, 0).squeeze(); // non-contiguous stays a view
        assertArrayEquals(new int[] {3, 2}, t.shape());
        assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, t.toFloatArray());
        assertArrayEquals(new int[0], NDArray.scalar(3, DType.FLOAT32).squeeze(0).shape());
    }

    @Test
    void split_bySizeGivesViewsWithASmallerLastPiece() {
        NDArray a = seq(5, 2);
        List<NDArray> parts = a.split(2, 0);
        assertEquals(3, parts.size());
        assertArrayEquals(new int[] {1, 2}, parts.get(2).shape());
        assertArrayEquals(new float[] {4, 5, 6, 7}, parts.get(1).toFloatArray());
        parts.forEach(p -> assertSame(a.storage(), p.storage()));
        List<NDArray> cols = a.transpose(0, 1).split(new int[] {1, 4}, 1);
        assertArrayEquals(new float[] {2, 4, 6, 8, 3, 5, 7, 9}, cols.get(1).toFloatArray());
    }

    @Test
    void split_sizesMustAddUpToTheDim() {
        assertEquals("split: sizes [1, 2] sum to 3, but dim 0 of shape [5, 2] has size 5",
                message(() -> seq(5, 2).split(new int[] {1, 2}, 0)));
        assertTrue(message(() -> seq(5, 2).split(new int[] {6, -1}, 0)).contains("negative"));
        assertEquals("split: split size must be positive for a dimension of size 5, got 0", message(() -> seq(5, 2).split(0, 0)));
    }

    @Test
    void chunk_followsPyTorchSizesAndMayReturnFewerPieces() {
        NDArray a = seq(6);
        List<NDArray> four = a.chunk(4, 0); // ceil(6 / 4) = 2 -> three pieces of 2
        assertEquals(3, four.size());
        assertArrayEquals(new float[] {4, 5}, four.get(2).toFloatArray());
        List<NDArray> three = seq(5).chunk(3, -1);
        assertArrayEquals(new int[] {2}, three.get(0).shape());
        assertArrayEquals(new int[] {1}, three.get(2).shape());
        assertEquals(3, NDArray.zeros(DType.FLOAT32, 0, 2).chunk(3, 0).size(), "an empty dim gives empty pieces");
        List<NDArray> t = seq(2, 3).transpose(0, 1).chunk(2, 0);
        assertArrayEquals(new float[] {0, 3, 1, 4}, t.get(0).toFloatArray());
        assertArrayEquals(new float[] {2, 5}, t.get(1).toFloatArray());
        assertEquals("chunk: number of chunks must be greater than 0, got 0", message(() -> seq(6).chunk(0, 0)));
    }

    // ------------------------------------------------------------------ indexing

    @Test
    void indexSelect_repeatsAndReordersSlicesOfATransposedInput() {
        NDArray t = seq(3, 4).transpose(0, 1); // [4, 3]: [[0, 4, 8], [1, 5, 9], [2, 6, 10], [3, 7, 11]]
        NDArray r = t.indexSelect(1, longs(2, 0, 2));
        assertArrayEquals(new int[] {4, 3}, r.shape());
        assertArrayEquals(new float[] {8, 0, 8, 9, 1, 9, 10, 2, 10, 11, 3, 11}, r.toFloatArray());
        assertArrayEquals(new float[] {3, 7, 11}, t.indexSelect(0, NDArray.of(new int[] {3}, 1)).toFloatArray());
        assertArrayEquals(new int[] {0, 3}, t.indexSelect(0, NDArray.empty(DType.INT64, 0)).shape());
    }

    @Test
    void indexSelect_badIndicesThrow() {
        assertEquals("indexSelect: index 3 is out of bounds for dimension 1 with size 3",
                message(() -> seq(4, 3).indexSelect(1, longs(0, 3))));
        assertEquals("indexSelect: index -1 is out of bounds for dimension 0 with size 4",
                message(() -> seq(4, 3).indexSelect(0, longs(-1))));
        assertEquals("indexSelect: index must be INT64 or INT32, got FLOAT32", message(() -> seq(4).indexSelect(0, seq(2))));
        assertTrue(message(() -> seq(4).indexSelect(0, NDArray.of(new long[] {0, 1}, 1, 2))).contains("0-D or 1-D"));
    }

    @Test
    void indexAdd_accumulatesRepeatedIndices() {
        NDArray a = NDArray.zeros(DType.FLOAT32, 3, 2);
        a.indexAdd_(0, longs(0, 2, 0), seq(3, 2));
        assertArrayEquals(new float[] {4, 6, 0, 0, 2, 3}, a.toFloatArray());
        assertTrue(message(() -> NDArray.zeros(DType.FLOAT32, 3, 2).indexAdd_(0, longs(0), seq(2, 2)))
                .startsWith("indexAdd: source of shape [2, 2] does not match [1, 2]"));
    }

    @Test
    void gather_readsAlongTheDimOfANonContiguousInput() {
        NDArray t = seq(3, 4).transpose(0, 1); // [4, 3]
        NDArray idx = NDArray.of(new long[] {2, 0, 1, 1}, 2, 2);
        assertArrayEquals(new float[] {8, 0, 5, 5}, t.gather(1, idx).toFloatArray());
        assertArrayEquals(new float[] {2, 4, 1, 5}, t.gather(0, idx).toFloatArray());
    }

    @Test
    void gatherAndIndexSelect_copyInt64Exactly() {
        long big = (1L << 60) + 1;
        NDArray a = NDArray.of(new long[] {big, -big, 3}, 3);
        assertArrayEquals(new long[] {3, big, big}, a.indexSelect(0, longs(2, 0, 0)).toLongArray());
        assertArrayEquals(new long[] {-big}, a.gather(0, NDArray.of(new int[] {1}, 1)).toLongArray());
    }

    @Test
    void gather_badIndicesThrow() {
        NDArray a = seq(2, 3);
        assertEquals("gather: index 3 is out of bounds for dimension 1 with size 3",
                message(() -> a.gather(1, NDArray.of(new long[] {0, 3}, 2, 1))));
        assertTrue(message(() -> a.gather(1, longs(0))).contains("same number of dims"));
        assertEquals("gather: index shape [3, 1] is larger than input shape [2, 3] at dim 0",
                message(() -> a.gather(1, NDArray.of(new long[] {0, 0, 0}, 3, 1))));
    }

    @Test
    void scatterAdd_checksIndicesBeforeWriting() {
        NDArray z = NDArray.zeros(DType.FLOAT32, 2, 3);
        assertEquals("scatterAdd: index 7 is out of bounds for dimension 1 with size 3",
                message(() -> z.scatterAdd_(1, NDArray.of(new long[] {7}, 1, 1), NDArray.full(DType.FLOAT32, 1, 1, 1))));
        assertEquals(0, z.version(), "nothing was written");
    }

    @Test
    void maskedSelect_broadcastsTheMaskOverATransposedInput() {
        NDArray t = seq(2, 3).transpose(0, 1); // [[0, 3], [1, 4], [2, 5]]
        NDArray byColumn = t.maskedSelect(bools(false, true));
        assertArrayEquals(new int[] {3}, byColumn.shape());
        assertArrayEquals(new float[] {3, 4, 5}, byColumn.toFloatArray());
        NDArray byRow = t.maskedSelect(NDArray.of(new boolean[] {true, false, true}, 3, 1));
        assertArrayEquals(new float[] {0, 3, 2, 5}, byRow.toFloatArray());
        NDArray grow = NDArray.of(new float[] {1, 2}, 2).maskedSelect(NDArray.of(new boolean[] {true, false, false, true}, 2, 2));
        assertArrayEquals(new float[] {1, 2}, grow.toFloatArray(), "the input broadcasts to the mask's shape too");
        assertEquals(0, t.maskedSelect(bools(false, false)).numel());
        assertEquals("maskedSelect: expected mask to be BOOL, got INT64 [2]", message(() -> t.maskedSelect(longs(0, 1))));
    }

    @Test
    void maskedScatter_fillsTruePositionsInOrder() {
        NDArray a = NDArray.zeros(DType.FLOAT32, 2, 3);
        a.transpose(0, 1).maskedScatter_(bools(true, false), NDArray.of(new float[] {7, 8, 9, 10}, 2, 2));
        assertArrayEquals(new float[] {7, 8, 9, 0, 0, 0}, a.toFloatArray());
        assertTrue(message(() -> NDArray.zeros(DType.FLOAT32, 3).maskedScatter_(bools(true, true, true), seq(2)))
                .contains("selects 3 elements but the source [2] has only 2"));
    }

    @Test
    void where_broadcastsConditionAndBothBranches() {
        NDArray cond = NDArray.of(new boolean[] {true, false}, 2, 1);
        NDArray a = seq(3, 2).transpose(0, 1); // [[0, 2, 4], [1, 3, 5]]
        NDArray w = NDArray.where(cond, a, NDArray.scalar(-1, DType.FLOAT32));
        assertArrayEquals(new int[] {2, 3}, w.shape());
        assertArrayEquals(new float[] {0, 2, 4, -1, -1, -1}, w.toFloatArray());
        long big = (1L << 60) + 1;
        assertArrayEquals(new long[] {big, 2}, NDArray.where(bools(true, false), longs(big, 1), longs(0, 2)).toLongArray(),
                "integers are copied exactly");
        assertEquals("where: expected condition to be BOOL, got FLOAT32 [2]", message(() -> NDArray.where(seq(2), seq(2), seq(2))));
        assertTrue(message(() -> NDArray.where(bools(true, false, true), seq(2), seq(2))).contains("cannot be broadcast"));
    }

    @Test
    void clamp_boundsEachSideAndKeepsNaN() {
        NDArray x = NDArray.of(new float[] {-2, 0.5f, 3, Float.NaN}, 4);
        float[] c = x.clamp(-1, 1).toFloatArray();
        assertArrayEquals(new float[] {-1, 0.5f, 1}, java.util.Arrays.copyOf(c, 3));
        assertTrue(Float.isNaN(c[3]));
        NDArray i = longs(-5, 5).clamp(0, Double.POSITIVE_INFINITY);
        assertEquals(DType.INT64, i.dtype(), "an integer bound keeps the integer dtype");
        assertArrayEquals(new long[] {0, 5}, i.toLongArray());
        assertArrayEquals(new float[] {2, 2}, NDArray.of(new float[] {0, 9}, 2).clamp(3, 2).toFloatArray(), "min > max gives max");
        NDArray copy = x.clamp(Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY);
        assertFalse(copy.storage() == x.storage());
    }

    @Test
    void clamp_inPlaceThroughAViewChangesTheBase() {
        NDArray a = seq(2, 3);
        a.transpose(0, 1).narrow(0, 1, 2).clamp_(2, 4);
        assertArrayEquals(new float[] {0, 2, 2, 3, 4, 4}, a.toFloatArray());
    }

    @Test
    void comparisons_onTransposedOperandsGiveBool() {
        NDArray t = seq(2, 2).transpose(0, 1); // [[0, 2], [1, 3]]
        NDArray r = t.binary(BinaryOp.GE, seq(2, 2)); // vs [[0, 1], [2, 3]]
        assertEquals(DType.BOOL, r.dtype());
        assertArrayEquals(new long[] {1, 1, 0, 1}, r.toLongArray());
        assertArrayEquals(new long[] {0, 1, 1, 0}, t.binary(BinaryOp.NE, NDArray.of(new float[] {0, 3}, 2, 1)).toLongArray());
    }
}
