package io.torus.autograd;

import io.torus.tensor.DType;
import io.torus.tensor.Generator;
import io.torus.tensor.NDArray;
import io.torus.tensor.op.Conv2dParams;
import io.torus.tensor.op.Pool2dParams;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AutogradTest {

    private static Tensor leaf(long seed, int... shape) {
        return Tensor.wrap(NDArray.uniform(new Generator(seed), 0.5, 1.5, DType.FLOAT64, shape)).requiresGrad_(true);
    }

    record Case(String name, Function<List<Tensor>, Tensor> f, List<Tensor> inputs) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> ops() {
        Tensor idx = Tensor.wrap(NDArray.of(new long[] {2, 0, 1}, 3));
        return Stream.of(
                new Case("add broadcast", in -> in.get(0).add(in.get(1)), List.of(leaf(1, 2, 3), leaf(2, 3))),
                new Case("sub broadcast", in -> in.get(0).sub(in.get(1)), List.of(leaf(1, 2, 3), leaf(2, 2, 1))),
                new Case("mul", in -> in.get(0).mul(in.get(1)), List.of(leaf(1, 2, 3), leaf(2, 2, 3))),
                new Case("div", in -> in.get(0).div(in.get(1)), List.of(leaf(1, 2, 3), leaf(2, 3))),
                new Case("pow", in -> in.get(0).pow(3), List.of(leaf(1, 4))),
                new Case("exp log sqrt", in -> in.get(0).exp().log().sqrt(), List.of(leaf(1, 4))),
                new Case("tanh sigmoid", in -> in.get(0).tanh().sigmoid(), List.of(leaf(1, 4))),
                new Case("sin cos", in -> in.get(0).sin().mul(in.get(0).cos()), List.of(leaf(1, 4))),
                new Case("relu", in -> in.get(0).sub(1).relu(), List.of(leaf(3, 6))),
                new Case("matmul", in -> in.get(0).matmul(in.get(1)), List.of(leaf(1, 2, 3), leaf(2, 3, 4))),
                new Case("matmul transposed", in -> in.get(0).matmul(in.get(1).t()), List.of(leaf(1, 2, 3), leaf(2, 4, 3))),
                new Case("batched matmul", in -> in.get(0).matmul(in.get(1)), List.of(leaf(1, 2, 2, 3), leaf(2, 3, 2))),
                new Case("matvec", in -> in.get(0).matmul(in.get(1)), List.of(leaf(1, 2, 3), leaf(2, 3))),
                new Case("sum dim", in -> in.get(0).sum(1, false), List.of(leaf(1, 2, 3))),
                new Case("mean keepdim", in -> in.get(0).mean(0, true), List.of(leaf(1, 2, 3))),
                new Case("max dim", in -> in.get(0).max(1), List.of(leaf(1, 2, 3))),
                new Case("view permute", in -> in.get(0).reshape(3, 2).permute(1, 0).mul(in.get(0)), List.of(leaf(1, 2, 3))),
                new Case("expand", in -> in.get(0).unsqueeze(0).expand(4, 3), List.of(leaf(1, 3))),
                new Case("cat stack", in -> Tensor.cat(0, in.get(0), Tensor.stack(0, in.get(1), in.get(1))), List.of(leaf(1, 1, 3), leaf(2, 3))),
                new Case("logSoftmax", in -> in.get(0).logSoftmax(1), List.of(leaf(1, 2, 4))),
                new Case("nll(logSoftmax)", in -> io.torus.autograd.functions.Losses.nllLoss(in.get(0).logSoftmax(1), idx, true),
                        List.of(leaf(1, 3, 4))),
                new Case("to float32 and back", in -> in.get(0).mul(2).to(DType.FLOAT64), List.of(leaf(1, 3))),
                // ---- issue 3: views, indexing, selection, clamp, min/max, pow(Tensor)
                new Case("narrow", in -> in.get(0).narrow(1, 1, 2), List.of(leaf(1, 2, 4))),
                new Case("narrow negative start of transposed", in -> in.get(0).t().narrow(0, -2, 2), List.of(leaf(1, 2, 4))),
                new Case("select", in -> in.get(0).select(1, -1).mul(in.get(0).select(0, 0).narrow(0, 0, 2)), List.of(leaf(1, 2, 3))),
                new Case("chunk with an unused piece", in -> {
                    List<Tensor> p = in.get(0).chunk(3, 1); // sizes 2, 2, 1
                    return p.get(2).mul(p.get(0).sum(1, true));
                }, List.of(leaf(1, 2, 5))),
                new Case("split by size", in -> {
                    List<Tensor> p = in.get(0).split(2, 0); // sizes 2, 1
                    return p.get(1).mul(p.get(0));
                }, List.of(leaf(1, 3, 2))),
                new Case("split with sizes of transposed", in -> {
                    List<Tensor> p = in.get(0).t().split(new int[] {1, 3}, 0);
                    return p.get(1).mul(2).sum(0, false).add(p.get(0).squeeze(0));
                }, List.of(leaf(1, 2, 4))),
                new Case("squeeze all", in -> in.get(0).squeeze().mul(in.get(0).squeeze()), List.of(leaf(1, 1, 3, 1))),
                new Case("indexSelect repeated", in -> in.get(0).indexSelect(1, longs(2, 0, 2)), List.of(leaf(1, 2, 3))),
                new Case("indexSelect of transposed", in -> in.get(0).t().indexSelect(0, longs(1, 1)), List.of(leaf(1, 2, 3))),
                new Case("indexAdd", in -> in.get(0).indexAdd(0, longs(2, 0, 2), in.get(1)), List.of(leaf(1, 3, 2), leaf(2, 3, 2))),
                new Case("gather", in -> in.get(0).gather(1, Tensor.wrap(NDArray.of(new long[] {0, 0, 2, 1}, 2, 2))),
                        List.of(leaf(1, 2, 3))),
                new Case("scatterAdd", in -> in.get(0).scatterAdd(1, Tensor.wrap(NDArray.of(new long[] {2, 2, 0, 1}, 2, 2)), in.get(1)),
                        List.of(leaf(1, 2, 3), leaf(2, 2, 2))),
                new Case("maskedSelect broadcast mask", in -> in.get(0).maskedSelect(bools(true, false, true)), List.of(leaf(1, 2, 3))),
                new Case("maskedSelect broadcast input", in -> in.get(0).maskedSelect(
                        Tensor.wrap(NDArray.of(new boolean[] {true, false, true, true, true, false}, 2, 3))), List.of(leaf(1, 3))),
                new Case("where broadcast", in -> in.get(0).where(Tensor.wrap(NDArray.of(new boolean[] {true, false}, 2, 1)), in.get(1)),
                        List.of(leaf(1, 2, 3), leaf(2, 3))),
                new Case("where scalar other", in -> Tensor.where(bools(false, true, true), in.get(0), Tensor.scalar(0)),
                        List.of(leaf(1, 2, 3))),
                new Case("clamp", in -> in.get(0).clamp(0.8, 1.2), List.of(leaf(1, 3, 4))),
                new Case("clampMin clampMax", in -> in.get(0).clampMin(0.9).add(in.get(0).clampMax(1.1)), List.of(leaf(1, 3, 4))),
                new Case("max keepdim", in -> in.get(0).max(0, true), List.of(leaf(1, 3, 4))),
                new Case("min dim", in -> in.get(0).min(1), List.of(leaf(1, 3, 4))),
                new Case("max and min over all", in -> in.get(0).max().add(in.get(0).min()), List.of(leaf(1, 3, 4))),
                new Case("pow tensor broadcast", in -> in.get(0).pow(in.get(1)), List.of(leaf(1, 2, 3), leaf(2, 3))),
                new Case("pow tensor 0-dim exponent", in -> in.get(0).pow(in.get(1)), List.of(leaf(1, 4), leaf(2))),
                new Case("sign", in -> in.get(0).sub(1).sign().add(in.get(0)), List.of(leaf(1, 4))),
                // ---- issue 3: convolution and pooling
                new Case("conv2d padding 1 with bias", in -> in.get(0).conv2d(in.get(1), in.get(2), 1, 1),
                        List.of(leaf(1, 2, 2, 5, 4), leaf(2, 3, 2, 3, 3), leaf(3, 3))),
                new Case("conv2d stride 2 dilation 2x1 non-contiguous input",
                        in -> in.get(0).transpose(2, 3).conv2d(in.get(1), null, new Conv2dParams(2, 2, 1, 0, 2, 1)),
                        List.of(leaf(1, 1, 2, 6, 7), leaf(2, 2, 2, 2, 3))),
                new Case("conv2d unbatched, input without grad", in -> in.get(0).conv2d(in.get(1), in.get(2), 2, 1),
                        List.of(leaf(1, 2, 5, 5).detach(), leaf(2, 3, 2, 3, 3), leaf(3, 3))),
                new Case("maxPool2d 3x3 stride 2 padding 1", in -> in.get(0).maxPool2d(3, 2, 1), List.of(leaf(1, 2, 2, 5, 6))),
                new Case("maxPool2d non-contiguous, dilation 2, ceil mode",
                        in -> in.get(0).permute(0, 3, 1, 2).maxPool2d(Pool2dParams.of(2, 2, 1).withDilation(2).withCeilMode(true)),
                        List.of(leaf(1, 1, 6, 7, 2))),
                new Case("avgPool2d 3x3 stride 2 padding 1", in -> in.get(0).avgPool2d(3, 2, 1), List.of(leaf(1, 2, 2, 5, 6))),
                new Case("avgPool2d ceil mode, padding not counted, non-contiguous",
                        in -> in.get(0).transpose(2, 3).avgPool2d(Pool2dParams.of(2, 2, 1).withCeilMode(true).withCountIncludePad(false)),
                        List.of(leaf(1, 1, 2, 6, 5))),
                new Case("conv relu maxPool conv avgPool (LeNet in small)",
                        in -> in.get(0).conv2d(in.get(1), in.get(2), 1, 1).sub(2).relu().maxPool2d(2)
                                .conv2d(in.get(3), null).avgPool2d(2),
                        List.of(leaf(1, 2, 1, 6, 6), leaf(2, 2, 1, 3, 3), leaf(3, 2), leaf(4, 3, 2, 2, 2))),
                // second derivatives: the backward formulas are themselves differentiable
                new Case("double backward narrow", in -> firstDerivative(in.get(0), x -> x.narrow(0, 1, 2).pow(3)), List.of(leaf(1, 4))),
                new Case("double backward select", in -> firstDerivative(in.get(0), x -> x.select(1, 2).pow(3)), List.of(leaf(1, 2, 3))),
                new Case("double backward chunk", in -> firstDerivative(in.get(0), x -> x.chunk(2, 0).get(1).pow(3)), List.of(leaf(1, 4))),
                new Case("double backward gather", in -> firstDerivative(in.get(0),
                        x -> x.gather(0, longs(3, 0, 3)).pow(3)), List.of(leaf(1, 4))),
                new Case("double backward indexSelect", in -> firstDerivative(in.get(0),
                        x -> x.indexSelect(0, longs(1, 1, 2)).pow(3)), List.of(leaf(1, 4))),
                new Case("double backward maskedSelect", in -> firstDerivative(in.get(0),
                        x -> x.maskedSelect(bools(true, false, true, true)).pow(3)), List.of(leaf(1, 4))),
                new Case("double backward where", in -> firstDerivative(in.get(0),
                        x -> x.pow(3).where(bools(true, false, true, false), x.pow(2))), List.of(leaf(1, 4))),
                new Case("double backward max dim", in -> firstDerivative(in.get(0), x -> x.max(1).pow(3)), List.of(leaf(1, 2, 3))),
                new Case("double backward pow tensor", in -> firstDerivative(in.get(0), x -> x.pow(x)), List.of(leaf(1, 4))));
    }

    private static Tensor longs(long... v) {
        return Tensor.ofLongs(v);
    }

    private static Tensor bools(boolean... v) {
        return Tensor.wrap(NDArray.of(v, v.length));
    }

    /** d/dx sum(f(x)), recorded (createGraph) so that gradcheck differentiates it once more. */
    private static Tensor firstDerivative(Tensor x, Function<Tensor, Tensor> f) {
        try (GradMode.Scope s = GradMode.enableGrad()) {
            return Autograd.grad(List.of(f.apply(x).sum()), List.of(x), null, true, true, false).get(0);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ops")
    void gradcheck_everyOp(Case c) {
        double atol = c.name().contains("float32") ? 1e-2 : 1e-6;
        assertTrue(GradCheck.gradcheck(c.f(), c.inputs(), 1e-6, atol, 1e-4));
    }

    @Test
    void backward_leafGetsGradAndAccumulates() {
        Tensor x = Tensor.of(1f, 2f, 3f).requiresGrad_(true);
        Tensor y = x.mul(x).sum();
        assertEquals("SumBackward0", y.gradFn().name());
        assertEquals("MulBackward0", y.gradFn().nextFunctions().get(0).name());
        assertTrue(x.isLeaf());
        assertFalse(y.isLeaf());
        y.backward();
        assertArrayEquals(new float[] {2, 4, 6}, x.grad().toFloatArray());
        x.mul(x).sum().backward();
        assertArrayEquals(new float[] {4, 8, 12}, x.grad().toFloatArray());
    }

    @Test
    void backward_secondTimeThroughFreedGraphThrows() {
        Tensor x = Tensor.of(1f, 2f).requiresGrad_(true);
        Tensor y = x.exp().sum();
        y.backward();
        IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
        assertTrue(e.getMessage().contains("retainGraph=true"), e.getMessage());
    }

    @Test
    void backward_nonScalarWithoutGradientThrows() {
        Tensor x = Tensor.of(1f, 2f).requiresGrad_(true);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> x.mul(2).backward());
        assertTrue(e.getMessage().contains("grad can be implicitly created only for scalar outputs"));
    }

    @Test
    void inPlace_onLeafRequiringGradThrows() {
        Tensor x = Tensor.of(1f).requiresGrad_(true);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> x.add_(1));
        assertTrue(e.getMessage().contains("a leaf Variable that requires grad is being used in an in-place operation"));
    }

    @Test
    void savedTensor_modifiedInPlaceMakesBackwardThrowWithVersions() {
        Tensor x = Tensor.of(1f, 2f).requiresGrad_(true);
        Tensor w = Tensor.of(3f, 4f);
        Tensor y = x.mul(w).sum();
        w.add_(1);
        IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
        assertTrue(e.getMessage().contains("is at version 1; expected version 0"), e.getMessage());
    }

    @Test
    void retainGrad_keepsNonLeafGradient() {
        Tensor x = Tensor.of(1f, 2f).requiresGrad_(true);
        Tensor h = x.mul(3);
        h.retainGrad();
        h.sum().backward();
        assertArrayEquals(new float[] {1, 1}, h.grad().toFloatArray());
        assertArrayEquals(new float[] {3, 3}, x.grad().toFloatArray());
    }

    @Test
    void noGrad_recordsNothing() {
        Tensor x = Tensor.of(1f).requiresGrad_(true);
        try (GradMode.Scope s = GradMode.noGrad()) {
            Tensor y = x.mul(2);
            assertNull(y.gradFn());
            assertFalse(y.requiresGrad());
        }
        assertTrue(GradMode.isEnabled());
    }

    @Test
    void hooks_replaceGradientAndPostAccumulateRuns() {
        Tensor x = Tensor.of(1f, 1f).requiresGrad_(true);
        int[] calls = {0};
        x.registerHook(g -> g.mul(10));
        x.registerPostAccumulateGradHook(t -> calls[0]++);
        x.sum().backward();
        assertArrayEquals(new float[] {10, 10}, x.grad().toFloatArray());
        assertEquals(1, calls[0]);
    }

    @Test
    void createGraph_givesSecondDerivative() {
        Tensor x = Tensor.of(2.0).requiresGrad_(true);
        Tensor y = x.pow(3).sum();
        Tensor dy = Autograd.grad(List.of(y), List.of(x), null, true, true, false).get(0);
        assertEquals(12.0, dy.item(), 1e-12);
        Tensor d2 = Autograd.grad(List.of(dy.sum()), List.of(x), null, false, false, false).get(0);
        assertEquals(12.0, d2.item(), 1e-12); // 6x
    }

    @Test
    void engine_longChainDoesNotOverflowTheStack() {
        Tensor x = Tensor.of(1.0).requiresGrad_(true);
        Tensor y = x;
        for (int i = 0; i < 100_000; i++) {
            y = y.add(1e-6);
        }
        y.sum().backward();
        assertEquals(1.0, x.grad().item(), 1e-12);
    }
}
