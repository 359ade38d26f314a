package io.torus.autograd;

import io.torus.tensor.DType;
import io.torus.tensor.Generator;
import io.torus.tensor.NDArray;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The op vocabulary on Tensor: values worked out by hand, views, grad_fn names, gradients, errors. */
class TensorOpsTest {

    /** [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]] as FLOAT64, a leaf that requires grad. */
    private static Tensor grid() {
        return Tensor.arange(0.0, 12.0, 1.0).to(DType.FLOAT64).reshape(3, 4).detach().requiresGrad_(true);
    }

    private static Tensor bools(boolean... v) {
        return Tensor.wrap(NDArray.of(v, v.length));
    }

    private static String message(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    // ------------------------------------------------------------------ creation

    @Test
    void creation_fullAndLikeFunctionsKeepShapeAndDtype() {
        Tensor t = Tensor.full(new int[] {2, 2}, 3.5);
        assertEquals(DType.FLOAT32, t.dtype());
        assertArrayEquals(new float[] {3.5f, 3.5f, 3.5f, 3.5f}, t.toFloatArray());
        Tensor l = Tensor.ofLongs(1, 2, 3);
        assertEquals(DType.INT64, Tensor.zerosLike(l).dtype());
        assertArrayEquals(new long[] {1, 1, 1}, Tensor.onesLike(l).toLongArray());
        assertArrayEquals(new long[] {7, 7, 7}, Tensor.fullLike(l, 7).toLongArray());
        assertEquals(DType.INT32, Tensor.full(new int[] {1}, 2, DType.INT32).dtype());
    }

    @Test
    void arange_longArgumentsGiveInt64AndDoublesFloat32() {
        Tensor i = Tensor.arange(0, 10, 3);
        assertEquals(DType.INT64, i.dtype());
        assertArrayEquals(new long[] {0, 3, 6, 9}, i.toLongArray());
        assertArrayEquals(new long[] {0, 1, 2}, Tensor.arange(3).toLongArray());
        Tensor f = Tensor.arange(0, 1, 0.25);
        assertEquals(DType.FLOAT32, f.dtype());
        assertArrayEquals(new float[] {0, 0.25f, 0.5f, 0.75f}, f.toFloatArray());
        assertEquals(DType.FLOAT32, Tensor.arange(0.0, 3.0, 1.0).dtype(), "floats give FLOAT32, as in PyTorch");
        assertEquals(DType.FLOAT32, Tensor.arange(2.5).dtype());
        assertArrayEquals(new long[] {5, 3, 1}, Tensor.arange(5, 0, -2).toLongArray());
    }

    @Test
    void linspaceLogspaceEye_worked() {
        Tensor l = Tensor.linspace(-1, 1, 5);
        assertEquals(DType.FLOAT32, l.dtype());
        assertArrayEquals(new float[] {-1, -0.5f, 0, 0.5f, 1}, l.toFloatArray());
        assertArrayEquals(new float[] {0.01f, 0.1f, 1, 10}, Tensor.logspace(-2, 1, 4, 10).toFloatArray(), 1e-6f);
        assertArrayEquals(new float[] {1, 0, 0, 1}, Tensor.eye(2).toFloatArray());
        assertArrayEquals(new float[] {1, 0, 0, 0, 1, 0}, Tensor.eye(2, 3).toFloatArray());
    }

    @Test
    void random_sameSeedSameNumbersAndExplicitGeneratorsAreIndependent() {
        Tensor.manualSeed(11);
        float[] a = Tensor.randn(5).toFloatArray();
        float[] u = Tensor.rand(5).toFloatArray();
        Tensor.manualSeed(11);
        assertArrayEquals(a, Tensor.randn(5).toFloatArray());
        assertArrayEquals(u, Tensor.rand(5).toFloatArray());
        assertArrayEquals(Tensor.randn(new Generator(3), 4).toFloatArray(), Tensor.randn(new Generator(3), 4).toFloatArray());
        Tensor.manualSeed(11);
        Tensor.randn(new Generator(99), 5); // does not advance the global generator
        assertArrayEquals(a, Tensor.randn(5).toFloatArray());
        for (float x : u) {
            assertTrue(x >= 0 && x < 1, "rand in [0, 1): " + x);
        }
    }

    @Test
    void normal_fourFormsBroadcastLikePyTorch() {
        Tensor.manualSeed(1);
        assertArrayEquals(new int[] {2, 3}, Tensor.normal(0, 1, 2, 3).shape());
        Tensor byRow = Tensor.normal(Tensor.of(new double[][] {{100}, {-100}}), Tensor.of(0.0, 0.0, 0.0));
        assertArrayEquals(new int[] {2, 3}, byRow.shape());
        assertEquals(DType.FLOAT64, byRow.dtype());
        assertArrayEquals(new double[] {100, 100, 100, -100, -100, -100}, byRow.toDoubleArray());
        Tensor m = Tensor.normal(Tensor.of(1f, 2f, 3f), 0.0);
        assertArrayEquals(new float[] {1, 2, 3}, m.toFloatArray());
        Tensor s = Tensor.normal(5, Tensor.zeros(2, 2));
        assertArrayEquals(new float[] {5, 5, 5, 5}, s.toFloatArray());
        Tensor g1 = Tensor.normal(Tensor.zeros(3), Tensor.ones(3), new Generator(8));
        Tensor g2 = Tensor.normal(Tensor.zeros(3), 1.0, new Generator(8));
        assertArrayEquals(g1.toFloatArray(), g2.toFloatArray(), "one draw per element in row-major order");
        assertTrue(message(() -> Tensor.normal(0, -1, 2)).contains("std must be >= 0, got -1.0"));
        assertTrue(message(() -> Tensor.normal(Tensor.zeros(2), Tensor.of(1f, -2f))).contains("-2.0"));
    }

    @Test
    void randint_randperm_bernoulli_likeFunctions() {
        Tensor r = Tensor.randint(3, 6, new Generator(1), 200);
        assertEquals(DType.INT64, r.dtype());
        for (long v : r.toLongArray()) {
            assertTrue(v >= 3 && v < 6, "value " + v);
        }
        assertEquals("randint: expected low < high, got low=4, high=2", message(() -> Tensor.randint(4, 2, 3)));
        assertEquals(10, java.util.Arrays.stream(Tensor.randperm(10).toLongArray()).distinct().count());
        Tensor b = Tensor.bernoulli(Tensor.of(0.0, 1.0, 1.0));
        assertEquals(DType.FLOAT64, b.dtype());
        assertArrayEquals(new double[] {0, 1, 1}, b.toDoubleArray());
        assertTrue(message(() -> Tensor.bernoulli(Tensor.of(2f))).startsWith("bernoulli: probabilities must be in [0, 1]"));
        Tensor t = Tensor.zeros(DType.FLOAT64, 2, 3);
        assertEquals(DType.FLOAT64, Tensor.randnLike(t).dtype());
        assertArrayEquals(new int[] {2, 3}, Tensor.randLike(t).shape());
        Tensor ri = Tensor.randintLike(Tensor.zeros(DType.INT32, 4), 0, 2, new Generator(5));
        assertEquals(DType.INT32, ri.dtype());
        assertEquals("randnLike: expected a floating point tensor, got INT64 [3]", message(() -> Tensor.randnLike(Tensor.ofLongs(1, 2, 3))));
    }

    // ------------------------------------------------------------------ views

    @Test
    void views_shareStorageAndWritesThroughThemReachTheBase() {
        Tensor x = Tensor.zeros(3, 4);
        Tensor n = x.narrow(1, 1, 2);
        Tensor s = x.select(0, 2);
        List<Tensor> chunks = x.chunk(2, 1);
        List<Tensor> split = x.split(new int[] {1, 2}, 0);
        for (Tensor v : List.of(n, s, chunks.get(0), chunks.get(1), split.get(0), split.get(1), x.t(), x.squeeze(),
                x.unsqueeze(0).expand(2, 3, 4), x.permute(1, 0))) {
            assertSame(x.data().storage(), v.data().storage());
        }
        n.fill_(1);
        s.add_(10);
        chunks.get(1).select(0, 0).mul_(3);
        assertArrayEquals(new float[] {0, 1, 3, 0, 0, 1, 1, 0, 10, 11, 11, 10}, x.toFloatArray());
        split.get(0).copy_(Tensor.of(5f, 6f, 7f, 8f));
        assertArrayEquals(new float[] {5, 6, 7, 8}, x.select(0, 0).toFloatArray());
    }

    @Test
    void views_gradFnNamesFollowPyTorch() {
        Tensor x = grid();
        assertEquals("SliceBackward0", x.narrow(0, 0, 1).gradFn().name());
        assertEquals("SelectBackward0", x.select(1, 0).gradFn().name());
        assertEquals("SplitBackward0", x.chunk(2, 0).get(1).gradFn().name());
        assertEquals("SplitWithSizesBackward0", x.split(new int[] {2, 2}, 1).get(0).gradFn().name());
        assertEquals("SqueezeBackward0", x.unsqueeze(0).squeeze().gradFn().name());
        assertEquals("IndexSelectBackward0", x.indexSelect(0, Tensor.ofLongs(0)).gradFn().name());
        assertEquals("GatherBackward0", x.gather(1, Tensor.wrap(NDArray.of(new long[] {0}, 1, 1))).gradFn().name());
        assertEquals("MaskedSelectBackward0", x.maskedSelect(bools(true, false, true, false)).gradFn().name());
        assertEquals("WhereBackward0", x.where(bools(true, false, true, false), 0.0).gradFn().name());
        assertEquals("ClampBackward1", x.clamp(1, 2).gradFn().name());
        assertEquals("PowBackward1", x.pow(x).gradFn().name());
        assertEquals("MaxBackward0", x.max(0).gradFn().name());
        assertEquals("MinBackward0", x.min(1).gradFn().name());
        assertEquals("MaxBackward1", x.max().gradFn().name());
        assertEquals("SignBackward0", x.sign().gradFn().name());
    }

    @Test
    void chunkAndSplit_gradientsOfUnusedPiecesAreZero() {
        Tensor x = grid();
        List<Tensor> p = x.chunk(3, 1); // ceil(4 / 3) = 2 -> two pieces of 2 columns
        assertEquals(2, p.size());
        p.get(1).mul(2).sum().backward();
        assertArrayEquals(new double[] {0, 0, 2, 2, 0, 0, 2, 2, 0, 0, 2, 2}, x.grad().toDoubleArray());
        Tensor y = grid();
        y.split(2, 0).get(1).sum().backward(); // pieces of 2 and 1 rows
        assertArrayEquals(new double[] {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1}, y.grad().toDoubleArray());
    }

    @Test
    void narrowSelect_ofTransposedViewRouteGradientsBack() {
        Tensor x = grid();
        Tensor t = x.t(); // [4, 3]
        t.narrow(0, -1, 1).sum().add(t.select(1, 0).sum()).backward(); // last column of x, plus first row
        assertArrayEquals(new double[] {1, 1, 1, 2, 0, 0, 0, 1, 0, 0, 0, 1}, x.grad().toDoubleArray());
        assertArrayEquals(new double[] {3, 7, 11}, t.narrow(0, 3, 1).toDoubleArray());
    }

    @Test
    void squeezeFlattenTPermuteExpand_values() {
        Tensor x = grid().detach();
        Tensor tx = x.t();
        assertFalse(tx.isContiguous());
        assertArrayEquals(new int[] {4, 3}, tx.unsqueeze(1).squeeze().shape());
        assertSame(x.data().storage(), tx.unsqueeze(0).squeeze().data().storage(), "squeeze of a non-contiguous tensor is a view");
        assertArrayEquals(new double[] {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}, tx.flatten(0, 1).toDoubleArray());
        assertArrayEquals(new int[] {2, 3, 2, 2}, x.reshape(2, 3, 2, 1).expand(-1, -1, -1, 2).shape());
        assertArrayEquals(new double[] {0, 2, 4, 6, 8, 10}, x.reshape(3, 2, 2).permute(2, 0, 1).select(0, 0).toDoubleArray());
        assertArrayEquals(new double[] {6, 22, 38}, x.sum(1, false).toDoubleArray());
        assertArrayEquals(new int[] {1, 4}, x.mean(0, true).shape());
        assertArrayEquals(new double[] {4, 5, 6, 7}, x.mean(0, true).toDoubleArray());
    }

    // ------------------------------------------------------------------ indexing

    @Test
    void indexSelectAndGather_gradientsAddUpAtRepeatedIndices() {
        Tensor x = Tensor.of(1.0, 2.0, 3.0).requiresGrad_(true);
        Tensor g = x.gather(0, Tensor.ofLongs(0, 0, 2));
        assertArrayEquals(new double[] {1, 1, 3}, g.toDoubleArray());
        g.sum().backward();
        assertArrayEquals(new double[] {2, 0, 1}, x.grad().toDoubleArray());
        Tensor y = grid();
        Tensor picked = y.t().indexSelect(1, Tensor.ofLongs(2, 2, 0)); // rows 2, 2, 0 of y, as columns
        assertArrayEquals(new double[] {8, 8, 0, 9, 9, 1, 10, 10, 2, 11, 11, 3}, picked.toDoubleArray());
        picked.sum().backward();
        assertArrayEquals(new double[] {1, 1, 1, 1, 0, 0, 0, 0, 2, 2, 2, 2}, y.grad().toDoubleArray());
    }

    @Test
    void maskedSelect_broadcastMaskAndGradient() {
        Tensor x = grid();
        Tensor m = x.maskedSelect(bools(false, true, false, true));
        assertArrayEquals(new double[] {1, 3, 5, 7, 9, 11}, m.toDoubleArray());
        m.mul(Tensor.of(1.0, 2.0, 3.0, 4.0, 5.0, 6.0)).sum().backward();
        assertArrayEquals(new double[] {0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6}, x.grad().toDoubleArray());
        assertEquals("maskedSelect: expected mask to be BOOL, got INT64 [2]", message(() -> x.maskedSelect(Tensor.ofLongs(0, 1))));
    }

    @Test
    void scatterAddAndIndexAdd_outOfPlaceWithGradients() {
        Tensor base = Tensor.zeros(DType.FLOAT64, 2, 3).requiresGrad_(true);
        Tensor src = Tensor.of(new double[][] {{1, 2}, {3, 4}}).requiresGrad_(true);
        Tensor r = base.scatterAdd(1, Tensor.wrap(NDArray.of(new long[] {2, 2, 0, 1}, 2, 2)), src);
        assertArrayEquals(new double[] {0, 0, 3, 3, 4, 0}, r.toDoubleArray());
        assertArrayEquals(new double[] {0, 0, 0, 0, 0, 0}, base.toDoubleArray(), "the input is not modified");
        r.mul(Tensor.of(new double[][] {{1, 10, 100}, {1, 10, 100}})).sum().backward();
        assertArrayEquals(new double[] {100, 100, 1, 10}, src.grad().toDoubleArray());
        assertArrayEquals(new double[] {1, 10, 100, 1, 10, 100}, base.grad().toDoubleArray());
        Tensor acc = Tensor.zeros(3).indexAdd(0, Tensor.ofLongs(1, 1), Tensor.of(2f, 5f));
        assertArrayEquals(new float[] {0, 7, 0}, acc.toFloatArray());
    }

    @Test
    void where_instanceAndStaticFormsBroadcast() {
        Tensor a = grid();
        Tensor b = Tensor.of(-1.0, -2.0, -3.0, -4.0).requiresGrad_(true);
        Tensor cond = Tensor.wrap(NDArray.of(new boolean[] {true, false, true}, 3, 1));
        Tensor w = a.where(cond, b);
        assertArrayEquals(new double[] {0, 1, 2, 3, -1, -2, -3, -4, 8, 9, 10, 11}, w.toDoubleArray());
        assertArrayEquals(w.toDoubleArray(), Tensor.where(cond, a, b).toDoubleArray());
        w.sum().backward();
        assertArrayEquals(new double[] {1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1}, a.grad().toDoubleArray());
        assertArrayEquals(new double[] {1, 1, 1, 1}, b.grad().toDoubleArray(), "one row of b was picked");
        assertEquals(DType.FLOAT32, Tensor.ofLongs(1, 2).where(bools(true, false), 0.5).dtype());
        assertTrue(message(() -> a.where(Tensor.of(1f, 0f, 1f, 0f), b)).contains("expected condition to be BOOL, got FLOAT32"));
    }

    @Test
    void where_gradientToAFloat64ZeroDimBranchKeepsItsDtype() {
        Tensor a = Tensor.of(1f, 2f).requiresGrad_(true);
        Tensor s = Tensor.wrap(NDArray.scalar(5, DType.FLOAT64)).requiresGrad_(true);
        Tensor w = a.where(bools(false, true), s);
        assertEquals(DType.FLOAT32, w.dtype(), "a 0-dim operand does not widen the result");
        w.sum().backward();
        assertEquals(DType.FLOAT64, s.grad().dtype());
        assertEquals(1.0, s.grad().item());
    }

    // ------------------------------------------------------------------ elementwise and reductions

    @Test
    void clamp_valuesAndGradientIncludingTheBounds() {
        Tensor x = Tensor.of(-2.0, -1.0, 0.5, 1.0, 3.0).requiresGrad_(true);
        Tensor c = x.clamp(-1, 1);
        assertArrayEquals(new double[] {-1, -1, 0.5, 1, 1}, c.toDoubleArray());
        c.sum().backward();
        assertArrayEquals(new double[] {0, 1, 1, 1, 0}, x.grad().toDoubleArray());
        assertArrayEquals(new double[] {-1, -1, 0.5, 1, 3}, x.clampMin(-1).toDoubleArray());
        assertArrayEquals(new double[] {-2, -1, 0.5, 1, 1}, x.clampMax(1).toDoubleArray());
        assertEquals(DType.INT64, Tensor.ofLongs(-3, 4).clamp(0, 2).dtype());
    }

    @Test
    void clampInPlace_onViewLeafAndNonLeaf() {
        Tensor x = Tensor.of(new float[][] {{-5, 5}, {0.5f, -0.5f}});
        x.select(1, 0).clamp_(-1, 1);
        assertArrayEquals(new float[] {-1, 5, 0.5f, -0.5f}, x.toFloatArray());
        Tensor leaf = Tensor.of(1.0).requiresGrad_(true);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> leaf.clamp_(0, 0.5));
        assertTrue(e.getMessage().contains("a leaf Variable that requires grad"), e.getMessage());
        Tensor h = Tensor.of(-2.0, 0.0, 2.0).requiresGrad_(true);
        Tensor y = h.mul(2);
        y.clamp_(-1, 1);
        assertEquals("ClampBackward1", y.gradFn().name());
        y.sum().backward();
        assertArrayEquals(new double[] {0, 2, 0}, h.grad().toDoubleArray());
    }

    @Test
    void maxMin_valuesIndicesAndGradients() {
        Tensor x = Tensor.of(new double[][] {{1, 7, 7}, {9, -2, 3}}).requiresGrad_(true);
        assertArrayEquals(new double[] {7, 9}, x.max(1).toDoubleArray());
        assertArrayEquals(new int[] {2, 1}, x.max(1, true).shape());
        assertArrayEquals(new double[] {1, -2, 3}, x.min(0).toDoubleArray());
        assertArrayEquals(new long[] {1, 0}, x.argmax(1).toLongArray(), "first of equal maxima");
        assertArrayEquals(new long[] {0, 1, 1}, x.argmin(0).toLongArray());
        assertEquals(3, x.argmax().item());
        assertEquals(4, x.argmin().item());
        assertArrayEquals(new int[] {1, 3}, x.argmax(0, true).shape());
        x.max(1).sum().backward();
        assertArrayEquals(new double[] {0, 1, 0, 1, 0, 0}, x.grad().toDoubleArray(), "gradient to the first maximum");
        Tensor y = Tensor.of(1.0, 3.0, 3.0).requiresGrad_(true);
        Tensor m = y.max();
        assertEquals(0, m.dim());
        assertEquals(3, m.item());
        m.backward();
        assertArrayEquals(new double[] {0, 0.5, 0.5}, y.grad().toDoubleArray(), "ties share the gradient evenly");
        assertEquals(-2, x.min().item());
    }

    @Test
    void powTensor_valuesAndBothGradients() {
        Tensor a = Tensor.of(2.0, 3.0, 0.0).requiresGrad_(true);
        Tensor b = Tensor.of(3.0, 2.0, 2.0).requiresGrad_(true);
        Tensor p = a.pow(b);
        assertArrayEquals(new double[] {8, 9, 0}, p.toDoubleArray());
        p.sum().backward();
        assertArrayEquals(new double[] {12, 6, 0}, a.grad().toDoubleArray(), 1e-12);
        assertArrayEquals(new double[] {8 * Math.log(2), 9 * Math.log(3), 0}, b.grad().toDoubleArray(), 1e-12);
        assertArrayEquals(new long[] {1, 8, 81}, Tensor.ofLongs(1, 2, 3).pow(Tensor.ofLongs(5, 3, 4)).toLongArray());
        assertTrue(message(() -> Tensor.ofLongs(2).pow(Tensor.ofLongs(-1))).contains("negative integer powers"));
    }

    @Test
    void powMaxMinSign_onTransposedAndBroadcastOperands() {
        Tensor x = Tensor.of(new double[][] {{1, 2, 3}, {4, 5, 6}}).t(); // [[1, 4], [2, 5], [3, 6]], non-contiguous
        Tensor p = x.pow(Tensor.of(new double[][] {{2}, {1}, {0}}));      // exponent per row, broadcast over columns
        assertArrayEquals(new double[] {1, 16, 2, 5, 1, 1}, p.toDoubleArray());
        assertArrayEquals(new double[] {4, 5, 6}, x.max(1).toDoubleArray());
        assertArrayEquals(new double[] {1, 4}, x.min(0).toDoubleArray());
        assertArrayEquals(new long[] {2, 2}, x.argmax(0).toLongArray());
        assertEquals(6, x.max().item());
        assertArrayEquals(new double[] {-1, 1, 0, 1, 0, 1}, x.sub(Tensor.of(9.0, 3.5, 2.0, 3.0).narrow(0, 1, 3)
                .unsqueeze(1)).sign().toDoubleArray()); // rows minus 3.5, 2 and 3
    }

    @Test
    void sign_valuesAndZeroGradient() {
        Tensor x = Tensor.of(-2.0, 0.0, 3.0).requiresGrad_(true);
        Tensor s = x.sign();
        assertArrayEquals(new double[] {-1, 0, 1}, s.toDoubleArray());
        s.sum().backward();
        assertArrayEquals(new double[] {0, 0, 0}, x.grad().toDoubleArray());
        assertArrayEquals(new long[] {-1, 1}, Tensor.ofLongs(-4, 9).sign().toLongArray());
    }

    @Test
    void comparisons_tensorAndDoubleOverloadsGiveBoolWithoutGrad() {
        Tensor x = grid();
        Tensor t = x.t().narrow(0, 0, 2); // [[0, 4, 8], [1, 5, 9]]
        Tensor[] results = {t.eq(4), t.ne(4), t.lt(4), t.le(4), t.gt(4), t.ge(4), t.lt(t.t().t()), t.eq(Tensor.of(0.0, 5.0, 9.0))};
        for (Tensor r : results) {
            assertEquals(DType.BOOL, r.dtype());
            assertFalse(r.requiresGrad());
            assertNull(r.gradFn());
        }
        assertArrayEquals(new long[] {0, 1, 0, 0, 0, 0}, results[0].toLongArray());
        assertArrayEquals(new long[] {1, 0, 1, 1, 1, 1}, results[1].toLongArray());
        assertArrayEquals(new long[] {1, 0, 0, 1, 0, 0}, results[2].toLongArray());
        assertArrayEquals(new long[] {1, 1, 0, 1, 0, 0}, results[3].toLongArray());
        assertArrayEquals(new long[] {0, 0, 1, 0, 1, 1}, results[4].toLongArray());
        assertArrayEquals(new long[] {0, 1, 1, 0, 1, 1}, results[5].toLongArray());
        assertArrayEquals(new long[] {0, 0, 0, 0, 0, 0}, results[6].toLongArray());
        assertArrayEquals(new long[] {1, 0, 0, 0, 1, 1}, results[7].toLongArray());
    }

    @Test
    void promotion_throughTensorScalarsAndZeroDimOperands() {
        assertEquals(DType.FLOAT32, Tensor.of(1f, 2f).mul(0.1).dtype());
        Tensor q = Tensor.ofLongs(1, 2).add(2.5);
        assertEquals(DType.FLOAT32, q.dtype());
        assertArrayEquals(new float[] {3.5f, 4.5f}, q.toFloatArray());
        assertEquals(DType.INT64, Tensor.ofLongs(1, 2).mul(3).dtype());
        Tensor i32 = Tensor.wrap(NDArray.of(new int[] {1, 2}, 2));
        assertEquals(DType.INT32, i32.add(Tensor.wrap(NDArray.scalar(7, DType.INT64))).dtype());
        assertEquals(DType.FLOAT32, Tensor.ofLongs(3).div(Tensor.ofLongs(2)).dtype());
        assertEquals(1.5, Tensor.ofLongs(3).div(Tensor.ofLongs(2)).item());
        assertTrue(message(() -> Tensor.ofLongs(1).add_(0.5)).contains("can't be cast to the desired output type INT64"));
    }

    // ------------------------------------------------------------------ errors

    @Test
    void errors_nameTheOpAndTheOffendingValues() {
        Tensor x = grid();
        assertEquals("chunk: number of chunks must be greater than 0, got 0", message(() -> x.chunk(0, 0)));
        assertEquals("split: sizes [1, 1] sum to 2, but dim 1 of shape [3, 4] has size 4", message(() -> x.split(new int[] {1, 1}, 1)));
        assertEquals("gather: index 4 is out of bounds for dimension 1 with size 4",
                message(() -> x.gather(1, Tensor.wrap(NDArray.of(new long[] {4}, 1, 1)))));
        assertEquals("indexSelect: index 3 is out of bounds for dimension 0 with size 3", message(() -> x.indexSelect(0, Tensor.ofLongs(3))));
        assertEquals("narrow: range [3, 5) out of bounds for dim 0 of size 3 (shape [3, 4])", message(() -> x.narrow(0, 3, 2)));
        assertEquals("select: index -4 out of range for dim 0 of size 3", message(() -> x.select(0, -4)));
        assertTrue(message(() -> x.add(Tensor.zeros(DType.FLOAT64, 3))).contains("shapes [3, 4] and [3] cannot be broadcast"));
        assertTrue(message(() -> x.narrow(5, 0, 1)).contains("dim 5 out of range for a tensor of rank 2"));
        assertEquals("neg: negation of a BOOL tensor [2] is not supported", message(() -> bools(true, false).neg()));
        assertEquals("arange: step must be nonzero", message(() -> Tensor.arange(0, 1, 0)));
        assertEquals("linspace: number of steps must be non-negative, got -2", message(() -> Tensor.linspace(0, 1, -2)));
    }

    @Test
    void randomFunctions_dependOnlyOnTheSeedNotOnOtherDraws() {
        Generator g = new Generator(21);
        float[] first = Tensor.rand(g, 3).toFloatArray();
        long[] ints = Tensor.randint(0, 100, g, 3).toLongArray();
        Generator h = new Generator(21);
        assertArrayEquals(first, Tensor.rand(h, 3).toFloatArray());
        assertArrayEquals(ints, Tensor.randint(0, 100, h, 3).toLongArray());
        assertNotEquals(first[0], Tensor.rand(h, 1).toFloatArray()[0], "the counter moved on");
    }
}
