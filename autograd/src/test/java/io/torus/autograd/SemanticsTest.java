package io.torus.autograd;

import io.torus.tensor.DType;
import org.junit.jupiter.api.Test;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** PyTorch's autograd semantics, one behaviour per test. */
class SemanticsTest {

    @Test
    void tutorialExample_holdsExactly() {
        Tensor w = Tensor.of(1f).requiresGrad_(true);
        Tensor x = Tensor.of(2f).requiresGrad_(true);
        Tensor a = x.add(w);
        a.retainGrad();
        Tensor b = w.add(1);
        Tensor y = a.mul(b);
        y.backward();
        assertEquals(5, w.grad().item());
        assertEquals(2, x.grad().item());
        assertEquals(2, a.grad().item());
        assertNull(b.grad());
        assertTrue(w.isLeaf() && x.isLeaf());
        assertFalse(a.isLeaf() || b.isLeaf() || y.isLeaf());
        assertEquals("AddBackward0", a.gradFn().name());
        assertEquals("MulBackward0", y.gradFn().name());
    }

    @Test
    void tutorialExample_retainedBGetsThree() {
        Tensor w = Tensor.of(1f).requiresGrad_(true);
        Tensor x = Tensor.of(2f).requiresGrad_(true);
        Tensor a = x.add(w);
        Tensor b = w.add(1);
        b.retainGrad();
        a.mul(b).backward();
        assertEquals(3, b.grad().item());
        assertTrue(b.retainsGrad());
    }

    @Test
    void nextFunctions_linkToAccumulateGradOfLeaves() {
        Tensor x = Tensor.of(1f).requiresGrad_(true);
        Tensor y = x.mul(2).add(Tensor.of(1f));
        GradFn add = y.gradFn();
        assertEquals("MulBackward0", add.nextFunctions().get(0).name());
        assertNull(add.nextFunctions().get(1), "the constant needs no gradient");
        assertEquals("AccumulateGrad", add.nextFunctions().get(0).nextFunctions().get(0).name());
    }

    @Test
    void requiresGrad_propagatesOnlyFromInputsThatRequireIt() {
        Tensor x = Tensor.of(1f).requiresGrad_(true);
        Tensor c = Tensor.of(3f);
        assertTrue(x.mul(c).requiresGrad());
        assertFalse(c.mul(c).requiresGrad());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> x.mul(2).requiresGrad_(false));
        assertTrue(e.getMessage().contains("leaf"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tensor.ofLongs(1).requiresGrad_(true));
    }

    @Test
    void detach_sharesStorageAndLeavesTheGraph() {
        Tensor x = Tensor.of(1f, 2f).requiresGrad_(true);
        Tensor y = x.mul(3);
        Tensor d = y.detach();
        assertSame(y.data().storage(), d.data().storage());
        assertFalse(d.requiresGrad());
        assertNull(d.gradFn());
        y.detach_();
        assertTrue(y.isLeaf());
        assertFalse(y.requiresGrad());
    }

    @Test
    void gradModes_nestAndAreThreadLocal() throws Exception {
        Tensor x = Tensor.of(1f).requiresGrad_(true);
        try (GradMode.Scope off = GradMode.noGrad()) {
            assertFalse(x.mul(2).requiresGrad());
            try (GradMode.Scope on = GradMode.enableGrad()) {
                assertTrue(x.mul(2).requiresGrad());
            }
            assertFalse(GradMode.isEnabled());
            ExecutorService other = Executors.newSingleThreadExecutor();
            assertTrue(other.submit(GradMode::isEnabled).get(), "another thread keeps its own mode");
            other.shutdown();
        }
        assertTrue(GradMode.isEnabled());
    }

    @Test
    void autogradGrad_leavesGradUntouchedAndAllowUnused() {
        Tensor x = Tensor.of(3.0).requiresGrad_(true);
        Tensor unused = Tensor.of(1.0).requiresGrad_(true);
        Tensor y = x.mul(x);
        List<Tensor> g = Autograd.grad(List.of(y), List.of(x, unused), null, true, false, true);
        assertEquals(6.0, g.get(0).item());
        assertNull(g.get(1));
        assertNull(x.grad());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Autograd.grad(List.of(y), List.of(x, unused), null, true, false, false));
        assertTrue(e.getMessage().contains("allowUnused=true"), e.getMessage());
    }

    @Test
    void createGraph_thirdDerivative() {
        Tensor x = Tensor.of(2.0).requiresGrad_(true);
        Tensor y = x.pow(4).sum(); // y' = 4x^3, y'' = 12x^2, y''' = 24x
        Tensor d1 = Autograd.grad(List.of(y), List.of(x), null, true, true, false).get(0);
        Tensor d2 = Autograd.grad(List.of(d1.sum()), List.of(x), null, true, true, false).get(0);
        Tensor d3 = Autograd.grad(List.of(d2.sum()), List.of(x), null, true, false, false).get(0);
        assertEquals(32.0, d1.item(), 1e-12);
        assertEquals(48.0, d2.item(), 1e-12);
        assertEquals(48.0, d3.item(), 1e-12);
    }

    @Test
    void controlFlow_graphFollowsTheDataDependentLoop() {
        Tensor x = Tensor.of(3f).requiresGrad_(true);
        Tensor h = x;
        int steps = 0;
        while (h.sum().item() < 100 && steps++ < 10) {
            h = h.mul(2);
        }
        h.sum().backward();
        assertEquals(6, steps); // 3·2^6 = 192 is the first value >= 100
        assertEquals(64, x.grad().item());
    }

    @Test
    void backward_withGradientForNonScalar() {
        Tensor x = Tensor.of(1f, 2f, 3f).requiresGrad_(true);
        x.mul(2).backward(Tensor.of(1f, 0.5f, 0f));
        assertArrayEquals(new float[] {2, 1, 0}, x.grad().toFloatArray());
    }

    @Test
    void retainGraph_allowsASecondBackward() {
        Tensor x = Tensor.of(1f).requiresGrad_(true);
        Tensor y = x.exp().sum();
        y.backward(null, true, false);
        y.backward();
        assertEquals(2 * Math.E, x.grad().item(), 1e-6);
    }

    @Test
    void inPlace_onNonLeafIsRecorded() {
        Tensor x = Tensor.of(1f, 2f).requiresGrad_(true);
        Tensor y = x.mul(2);
        y.mul_(3);
        y.add_(1);
        assertEquals("AddBackward0", y.gradFn().name());
        y.sum().backward();
        assertArrayEquals(new float[] {6, 6}, x.grad().toFloatArray());
        assertArrayEquals(new float[] {7, 13}, y.toFloatArray());
    }

    @Test
    void inPlace_ofSavedTensorNamesOpAndVersions() {
        Tensor x = Tensor.of(1f, 2f).requiresGrad_(true);
        Tensor y = x.mul(2);
        Tensor z = y.exp(); // saves its result
        z.mul_(2);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> z.sum().backward());
        assertTrue(e.getMessage().contains("modified by an inplace operation"), e.getMessage());
        assertTrue(e.getMessage().contains("is at version 1; expected version 0"), e.getMessage());
        assertTrue(e.getMessage().contains("ExpBackward0"), e.getMessage());
    }

    @Test
    void inPlace_onViewOfGraphTensorIsRefusedClearly() {
        Tensor x = Tensor.of(1f, 2f).requiresGrad_(true);
        Tensor v = x.mul(2).reshape(2, 1);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> v.add_(1));
        assertTrue(e.getMessage().contains("view"), e.getMessage());
    }

    @Test
    void inPlace_withoutGraphWritesThroughViews() {
        Tensor base = Tensor.zeros(2, 2);
        Tensor row = base.reshape(4);
        row.add_(1);
        assertArrayEquals(new float[] {1, 1, 1, 1}, base.toFloatArray());
    }

    @Test
    void savedTensors_releasedAfterBackward() {
        Tensor x = Tensor.of(1f, 2f).requiresGrad_(true);
        Tensor h = x.mul(3);
        WeakReference<Tensor> saved = new WeakReference<>(h);
        Tensor y = h.exp().sum(); // ExpBackward0 saves exp(h)'s result; MulBackward0 of h·h would save h
        Tensor z = h.mul(h).sum().add(y);
        h = null;
        z.backward();
        // after backward the graph keeps no reference to the intermediate h
        for (int i = 0; i < 20 && saved.get() != null; i++) {
            System.gc();
        }
        assertNull(saved.get(), "an intermediate saved for backward is unreachable once backward freed the graph");
        assertEquals("AddBackward0", z.gradFn().name(), "the graph itself is still reachable");
    }

    @Test
    void savedTensors_keptWithRetainGraph() {
        Tensor x = Tensor.of(1f, 2f).requiresGrad_(true);
        Tensor h = x.mul(3);
        WeakReference<Tensor> saved = new WeakReference<>(h);
        Tensor z = h.mul(h).sum();
        h = null;
        z.backward(null, true, false);
        System.gc();
        assertTrue(saved.get() != null, "retainGraph keeps saved tensors alive");
        assertEquals("SumBackward0", z.gradFn().name(), "the graph itself is still reachable");
    }

    @Test
    void backward_concurrentOnDisjointGraphs() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<float[]>> results = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int k = t;
            results.add(pool.submit(() -> {
                Tensor x = Tensor.of((float) k, 1f).requiresGrad_(true);
                Tensor y = x;
                for (int i = 0; i < 2000; i++) {
                    y = y.mul(1.0001f).add(0.5);
                }
                y.sum().backward();
                return x.grad().toFloatArray();
            }));
        }
        float expected = (float) Math.pow(1.0001f, 2000);
        for (Future<float[]> f : results) {
            assertArrayEquals(new float[] {expected, expected}, f.get(), 1e-3f);
        }
        pool.shutdown();
    }

    // ------------------------------------------------------------------ custom functions

    static final class Exp extends Function {
        @Override
        protected Tensor forward(Context ctx, Tensor... in) {
            Tensor y = in[0].exp();
            ctx.saveForBackward(y);
            return y;
        }

        @Override
        protected Tensor[] backward(Context ctx, Tensor... g) {
            return new Tensor[] {g[0].mul(ctx.savedTensors().get(0))};
        }
    }

    static final class LinearFn extends Function {
        @Override
        protected Tensor forward(Context ctx, Tensor... in) {
            ctx.saveForBackward(in[0], in[1]);
            return in[0].matmul(in[1].t()).add(in[2]);
        }

        @Override
        protected Tensor[] backward(Context ctx, Tensor... g) {
            Tensor x = ctx.savedTensors().get(0);
            Tensor w = ctx.savedTensors().get(1);
            return new Tensor[] {
                ctx.needsInputGrad(0) ? g[0].matmul(w) : null,
                ctx.needsInputGrad(1) ? g[0].t().matmul(x) : null,
                ctx.needsInputGrad(2) ? g[0].sum(0, false) : null};
        }
    }

    static final class ReluFn extends Function {
        @Override
        protected Tensor forward(Context ctx, Tensor... in) {
            ctx.saveForBackward(in[0]);
            return in[0].relu();
        }

        @Override
        protected Tensor[] backward(Context ctx, Tensor... g) {
            return new Tensor[] {g[0].mul(ctx.savedTensors().get(0).gt(0))};
        }
    }

    private static Tensor leaf(double... v) {
        return Tensor.of(v).requiresGrad_(true);
    }

    @Test
    void customFunction_expLinearReluPassGradcheck() {
        assertTrue(GradCheck.gradcheck(in -> new Exp().apply(in.get(0)), List.of(leaf(0.1, -0.5, 1.2)), 1e-6, 1e-7, 1e-5));
        Tensor x = Tensor.of(new double[][] {{0.5, -1, 2}, {1, 0.3, -0.5}}).requiresGrad_(true);
        Tensor w = Tensor.of(new double[][] {{0.2, 0.1, -0.4}, {1.5, -0.2, 0.3}}).requiresGrad_(true);
        Tensor b = leaf(0.1, -0.1);
        assertTrue(GradCheck.gradcheck(in -> new LinearFn().apply(in.get(0), in.get(1), in.get(2)), List.of(x, w, b), 1e-6, 1e-7, 1e-5));
        assertTrue(GradCheck.gradcheck(in -> new ReluFn().apply(in.get(0)), List.of(leaf(0.5, -0.7, 2.0)), 1e-6, 1e-7, 1e-5));
        assertEquals("ExpBackward", new Exp().apply(leaf(1)).gradFn().name());
    }

    @Test
    void customFunction_needsInputGradAndNonDifferentiableOutputs() {
        boolean[] seen = new boolean[2];
        Function f = new Function() {
            @Override
            protected Tensor forward(Context ctx, Tensor... in) {
                return in[0].mul(in[1]);
            }

            @Override
            protected Tensor[] backward(Context ctx, Tensor... g) {
                seen[0] = ctx.needsInputGrad(0);
                seen[1] = ctx.needsInputGrad(1);
                return new Tensor[] {g[0], null};
            }
        };
        Tensor a = leaf(2);
        f.apply(a, Tensor.of(3.0)).sum().backward();
        assertArrayEquals(new boolean[] {true, false}, seen);

        Function argmax = new Function() {
            @Override
            protected Tensor forward(Context ctx, Tensor... in) {
                Tensor idx = in[0].argmax(0);
                ctx.markNonDifferentiable(idx);
                return idx;
            }

            @Override
            protected Tensor[] backward(Context ctx, Tensor... g) {
                throw new AssertionError("never called");
            }
        };
        Tensor idx = argmax.apply(leaf(1, 5, 2));
        assertFalse(idx.requiresGrad());
        assertEquals(DType.INT64, idx.dtype());
    }

    @Test
    void customFunction_markDirtyRebasesTheModifiedInput() {
        Function doubleInPlace = new Function() {
            @Override
            protected Tensor forward(Context ctx, Tensor... in) {
                in[0].data().binary_(io.torus.tensor.op.BinaryOp.MUL, 2);
                ctx.markDirty(in[0]);
                return in[0];
            }

            @Override
            protected Tensor[] backward(Context ctx, Tensor... g) {
                return new Tensor[] {g[0].mul(2)};
            }
        };
        Tensor x = leaf(1, 2);
        Tensor y = x.mul(1);
        Tensor z = doubleInPlace.apply(y);
        assertSame(y, z);
        z.sum().backward();
        assertArrayEquals(new double[] {2, 2}, x.grad().toDoubleArray());
        Tensor notDirty = x.mul(1);
        Function forgets = new Function() {
            @Override
            protected Tensor forward(Context ctx, Tensor... in) {
                return in[0];
            }

            @Override
            protected Tensor[] backward(Context ctx, Tensor... g) {
                return g;
            }
        };
        assertThrows(IllegalStateException.class, () -> forgets.apply(notDirty));
    }

    @Test
    void engine_castsGradientsToInputDtypeAndRejectsWrongShapes() {
        Function wide = new Function() {
            @Override
            protected Tensor forward(Context ctx, Tensor... in) {
                return in[0].mul(2);
            }

            @Override
            protected Tensor[] backward(Context ctx, Tensor... g) {
                return new Tensor[] {g[0].to(DType.FLOAT64).mul(2)};
            }
        };
        Tensor x = Tensor.of(1f, 2f).requiresGrad_(true);
        wide.apply(x).sum().backward();
        assertEquals(DType.FLOAT32, x.grad().dtype());
        assertArrayEquals(new float[] {2, 2}, x.grad().toFloatArray());

        Function broken = new Function() {
            @Override
            protected Tensor forward(Context ctx, Tensor... in) {
                return in[0].mul(2);
            }

            @Override
            protected Tensor[] backward(Context ctx, Tensor... g) {
                return new Tensor[] {g[0].sum()};
            }
        };
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> broken.apply(Tensor.of(1f, 2f).requiresGrad_(true)).sum().backward());
        assertTrue(e.getMessage().contains("invalid gradient at index 0 - got [] but expected shape [2]"), e.getMessage());
    }

    @Test
    void hooks_onNonLeafReplaceGradientAndCanBeRemoved() {
        Tensor x = Tensor.of(1f, 2f).requiresGrad_(true);
        Tensor h = x.mul(3);
        Hook doubling = h.registerHook(g -> g.mul(2));
        h.sum().backward();
        assertArrayEquals(new float[] {6, 6}, x.grad().toFloatArray());
        doubling.remove();
        x.setGrad(null);
        Tensor h2 = x.mul(3);
        Hook removed = h2.registerHook(g -> g.mul(100));
        removed.remove();
        h2.sum().backward();
        assertArrayEquals(new float[] {3, 3}, x.grad().toFloatArray());
    }
}
