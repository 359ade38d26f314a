package io.torus.nn;

import io.torus.autograd.Autograd;
import io.torus.autograd.GradCheck;
import io.torus.autograd.GradMode;
import io.torus.autograd.Tensor;
import io.torus.tensor.DType;
import io.torus.tensor.Generator;
import io.torus.tensor.NDArray;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Finite-difference checks, in FLOAT64, of every differentiable function the layers and losses are
 * built from: batch norm through its batch statistics, the activations, each loss under each
 * reduction (with respect to the input and, where PyTorch differentiates it, the target), the
 * embedding's index scatter, dropout under a fixed mask.
 */
class NnGradCheckTest {

    record Case(String name, Function<List<Tensor>, Tensor> f, List<Tensor> inputs) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** FLOAT64 uniform in [lo, hi), requiring grad. */
    private static Tensor leaf(long seed, double lo, double hi, int... shape) {
        return constant(seed, lo, hi, shape).requiresGrad_(true);
    }

    private static Tensor constant(long seed, double lo, double hi, int... shape) {
        return Tensor.wrap(NDArray.uniform(new Generator(seed), lo, hi, DType.FLOAT64, shape));
    }

    private static Tensor longs(int[] shape, long... v) {
        return Tensor.wrap(NDArray.of(v, shape));
    }

    static Stream<Case> cases() {
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("batchNorm train [N, C] with weight and bias", in -> F.batchNorm(in.get(0), null, null, in.get(1),
                in.get(2), true, 0.1, 1e-5), List.of(leaf(1, -2, 2, 5, 3), leaf(2, 0.5, 1.5, 3), leaf(3, -1, 1, 3))));
        cases.add(new Case("batchNorm train [N, C, L], running stats updated", in -> F.batchNorm(in.get(0),
                Tensor.zeros(DType.FLOAT64, 2), Tensor.ones(2).to(DType.FLOAT64), in.get(1), in.get(2), true, 0.1, 1e-5),
                List.of(leaf(4, -2, 2, 3, 2, 4), leaf(5, 0.5, 1.5, 2), leaf(6, -1, 1, 2))));
        cases.add(new Case("batchNorm train [N, C, H, W] no affine", in -> F.batchNorm(in.get(0), null, null, null, null,
                true, 0.1, 1e-5), List.of(leaf(7, -2, 2, 2, 3, 2, 3))));
        cases.add(new Case("batchNorm eval with running stats", in -> F.batchNorm(in.get(0), constant(8, -0.5, 0.5, 3),
                constant(9, 0.5, 2, 3), in.get(1), in.get(2), false, 0.1, 1e-5),
                List.of(leaf(10, -2, 2, 4, 3, 2, 2), leaf(11, 0.5, 1.5, 3), leaf(12, -1, 1, 3))));
        cases.add(new Case("double backward batchNorm train", in -> secondOrder(in, ins -> F.batchNorm(ins.get(0), null, null,
                ins.get(1), ins.get(2), true, 0.1, 1e-5)), List.of(leaf(42, -2, 2, 4, 2, 3), leaf(43, 0.5, 1.5, 2), leaf(44, -1, 1, 2))));
        cases.add(new Case("double backward batchNorm eval", in -> secondOrder(in, ins -> F.batchNorm(ins.get(0),
                constant(45, -0.5, 0.5, 2), constant(46, 0.5, 2, 2), ins.get(1), ins.get(2), false, 0.1, 1e-5)),
                List.of(leaf(47, -2, 2, 4, 2), leaf(48, 0.5, 1.5, 2), leaf(49, -1, 1, 2))));
        cases.add(new Case("leakyRelu slope 0.2", in -> F.leakyRelu(in.get(0), 0.2), List.of(leaf(13, -1, 1, 4, 5))));
        cases.add(new Case("softmax dim 1", in -> F.softmax(in.get(0), 1), List.of(leaf(14, -2, 2, 3, 4))));
        cases.add(new Case("logSoftmax dim 0", in -> F.logSoftmax(in.get(0), 0), List.of(leaf(15, -2, 2, 3, 4))));
        cases.add(new Case("dropout p 0.3 under a fixed mask", in -> {
            Tensor.manualSeed(99);
            return F.dropout(in.get(0), 0.3, true);
        }, List.of(leaf(16, -1, 1, 6, 5))));
        cases.add(new Case("embedding with repeated indices", in -> F.embedding(longs(new int[] {2, 3}, 1, 4, 1, 0, 1, 3),
                in.get(0)), List.of(leaf(17, -1, 1, 5, 3))));
        cases.add(new Case("embedding of a 0-dim index", in -> F.embedding(longs(new int[0], 2), in.get(0)),
                List.of(leaf(18, -1, 1, 3, 2))));
        for (Reduction r : Reduction.values()) {
            cases.add(new Case("mseLoss " + r, in -> F.mseLoss(in.get(0), in.get(1), r),
                    List.of(leaf(20, -1, 1, 3, 4), leaf(21, -1, 1, 3, 4))));
            cases.add(new Case("l1Loss " + r, in -> F.l1Loss(in.get(0), in.get(1), r),
                    List.of(leaf(22, -1, 1, 3, 4), leaf(23, -1, 1, 3, 4))));
            cases.add(new Case("binaryCrossEntropy with weight " + r, in -> F.binaryCrossEntropy(in.get(0), in.get(1),
                    constant(24, 0.5, 2, 4), r), List.of(leaf(25, 0.05, 0.95, 3, 4), leaf(26, 0, 1, 3, 4))));
            cases.add(new Case("binaryCrossEntropyWithLogits " + r, in -> F.binaryCrossEntropyWithLogits(in.get(0),
                    in.get(1), r), List.of(leaf(27, -4, 4, 3, 4), leaf(28, 0, 1, 3, 4))));
            cases.add(new Case("binaryCrossEntropyWithLogits weight and posWeight " + r, in -> F.binaryCrossEntropyWithLogits(
                    in.get(0), in.get(1), constant(29, 0.5, 2, 3, 1), constant(30, 0.5, 3, 4), r),
                    List.of(leaf(31, -4, 4, 3, 4), leaf(32, 0, 1, 3, 4))));
            cases.add(new Case("nllLoss with weight and an ignored target " + r, in -> F.nllLoss(in.get(0),
                    longs(new int[] {4}, 2, -100, 0, 2), constant(33, 0.5, 2, 3), -100, r), List.of(leaf(34, -3, 0, 4, 3))));
            cases.add(new Case("crossEntropy " + r, in -> F.crossEntropy(in.get(0), longs(new int[] {3}, 1, 0, 3), r),
                    List.of(leaf(35, -2, 2, 3, 4))));
            cases.add(new Case("crossEntropy [N, C, d] with weight " + r, in -> F.crossEntropy(in.get(0),
                    longs(new int[] {2, 2}, 1, 0, 2, 2), constant(36, 0.5, 2, 3), -100, r), List.of(leaf(37, -2, 2, 2, 3, 2))));
            cases.add(new Case("crossEntropy class probabilities " + r, in -> F.crossEntropy(in.get(0), in.get(1), null, -100,
                    r), List.of(leaf(38, -2, 2, 3, 4), leaf(39, 0, 1, 3, 4))));
        }
        cases.add(new Case("double backward binaryCrossEntropyWithLogits", in -> {
            Tensor x = in.get(0);
            try (GradMode.Scope s = GradMode.enableGrad()) {
                Tensor loss = F.binaryCrossEntropyWithLogits(x, constant(40, 0, 1, 5), Reduction.SUM);
                return Autograd.grad(List.of(loss), List.of(x), null, true, true, false).get(0);
            }
        }, List.of(leaf(41, -3, 3, 5))));
        return cases.stream();
    }

    /**
     * The gradients of {@code sum(f(inputs)³)} with respect to every input, recorded (createGraph)
     * and concatenated, so that gradcheck differentiates the backward formula once more.
     */
    private static Tensor secondOrder(List<Tensor> inputs, Function<List<Tensor>, Tensor> f) {
        try (GradMode.Scope s = GradMode.enableGrad()) {
            Tensor y = f.apply(inputs).pow(3).sum();
            List<Tensor> grads = Autograd.grad(List.of(y), inputs, null, true, true, false);
            return Tensor.cat(0, grads.stream().map(g -> g.reshape(-1)).toArray(Tensor[]::new));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradcheck_everyFunction(Case c) {
        assertTrue(GradCheck.gradcheck(c.f(), c.inputs(), 1e-6, 1e-6, 1e-4));
    }
}
