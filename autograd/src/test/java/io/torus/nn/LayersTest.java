package io.torus.nn;

import io.torus.autograd.Tensor;
import io.torus.tensor.DType;
import io.torus.tensor.Device;
import io.torus.tensor.NDArray;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Forward values worked by hand, train/eval behaviour and parameter shapes of every layer but batch norm. */
class LayersTest {

    private static final float[] ONE_TO_NINE = {1, 2, 3, 4, 5, 6, 7, 8, 9};

    private static Tensor x3x3() {
        return Tensor.of(ONE_TO_NINE, 1, 1, 3, 3);
    }

    private static Conv2d conv2x2(int stride, int padding) {
        Conv2d c = new Conv2d(1, 1, 2, stride, padding);
        c.weight().setData(new float[] {1, 2, 3, 4});
        c.bias().setData(new float[] {0.5f});
        return c;
    }

    @Test
    void conv2d_forwardByHand() {
        // out[i][j] = x[i][j] + 2 x[i][j+1] + 3 x[i+1][j] + 4 x[i+1][j+1] + 0.5
        Tensor y = conv2x2(1, 0).call(x3x3());
        assertArrayEquals(new int[] {1, 1, 2, 2}, y.shape());
        assertArrayEquals(new float[] {37.5f, 47.5f, 67.5f, 77.5f}, y.toFloatArray(), 1e-5f);
    }

    @Test
    void conv2d_strideAndPaddingByHand() {
        // padded to 5x5, windows at rows/cols {-1, 1}: only the in-bounds taps count
        Tensor y = conv2x2(2, 1).call(x3x3());
        assertArrayEquals(new int[] {1, 1, 2, 2}, y.shape());
        assertArrayEquals(new float[] {1 * 4 + 0.5f, 2 * 3 + 3 * 4 + 0.5f, 4 * 2 + 7 * 4 + 0.5f, 77.5f}, y.toFloatArray(), 1e-5f);
    }

    @Test
    void conv2d_shapesAndPyTorchInitBounds() {
        Conv2d c = new Conv2d(3, 8, 5, 1, 2, true);
        assertArrayEquals(new int[] {8, 3, 5, 5}, c.weight().shape());
        assertArrayEquals(new int[] {8}, c.bias().shape());
        double bound = 1 / Math.sqrt(3 * 5 * 5);
        for (Tensor p : List.of(c.weight(), c.bias())) {
            for (float v : p.toFloatArray()) {
                assertTrue(Math.abs(v) <= bound, v + " outside ±" + bound);
            }
        }
        float[] w = c.weight().toFloatArray();
        double var = 0;
        for (float v : w) {
            var += v * v;
        }
        assertEquals(bound * bound / 3, var / w.length, 0.15 * bound * bound / 3); // U(±b) has variance b²/3
        assertArrayEquals(new int[] {2, 8, 7, 7}, c.call(Tensor.zeros(2, 3, 7, 7)).shape());
        assertNull(new Conv2d(3, 8, 5, 1, 0, false).bias());
        assertEquals(List.of("weight"), List.copyOf(new Conv2d(3, 8, 5, 1, 0, false).stateDict().keySet()));
    }

    @Test
    void conv2d_wrongChannelsNamesShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Conv2d(3, 4, 3).call(Tensor.zeros(1, 2, 5, 5)));
        assertTrue(e.getMessage().contains("[1, 2, 5, 5]") && e.getMessage().contains("[4, 3, 3, 3]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Conv2d(0, 4, 3));
    }

    @Test
    void maxPool2d_forwardByHand() {
        Tensor x = Tensor.arange(0.0, 16.0, 1.0).reshape(1, 1, 4, 4);
        assertArrayEquals(new float[] {5, 7, 13, 15}, new MaxPool2d(2).call(x).toFloatArray());
        // kernel 3, stride 1: each window's maximum is its bottom-right element
        assertArrayEquals(new float[] {10, 11, 14, 15}, new MaxPool2d(3, 1).call(x).toFloatArray());
    }

    @Test
    void avgPool2d_forwardByHand() {
        Tensor x = Tensor.arange(0.0, 16.0, 1.0).reshape(1, 1, 4, 4);
        assertArrayEquals(new float[] {2.5f, 4.5f, 10.5f, 12.5f}, new AvgPool2d(2).call(x).toFloatArray());
        // kernel 2, stride 1: the mean of x[i][j], x[i][j+1], x[i+1][j], x[i+1][j+1] is 4i + j + 2.5
        Tensor y = new AvgPool2d(2, 1).call(x);
        assertArrayEquals(new int[] {1, 1, 3, 3}, y.shape());
        assertArrayEquals(new float[] {2.5f, 3.5f, 4.5f, 6.5f, 7.5f, 8.5f, 10.5f, 11.5f, 12.5f}, y.toFloatArray());
    }

    @Test
    void activations_forwardByHand() {
        assertArrayEquals(new float[] {0.5f, 0.75f}, new Sigmoid().call(Tensor.of(0f, (float) Math.log(3))).toFloatArray(), 1e-6f);
        assertArrayEquals(new float[] {0f, 0.6f, -0.6f}, new Tanh().call(Tensor.of(0f, (float) Math.log(2), (float) -Math.log(2)))
                .toFloatArray(), 1e-6f);
        assertArrayEquals(new float[] {0, 0, 1.5f}, new ReLU().call(Tensor.of(-2f, 0f, 1.5f)).toFloatArray());
        Tensor x = Tensor.of(new float[][] {{0f, (float) Math.log(2), (float) Math.log(5)}});
        assertArrayEquals(new float[] {0.125f, 0.25f, 0.625f}, new Softmax(1).call(x).toFloatArray(), 1e-6f);
        assertArrayEquals(new float[] {(float) Math.log(0.125), (float) Math.log(0.25), (float) Math.log(0.625)},
                new LogSoftmax(-1).call(x).toFloatArray(), 1e-6f);
        assertArrayEquals(new float[] {1, 1, 1}, new Softmax(0).call(x).toFloatArray(), 1e-6f); // one row: each column sums to 1
    }

    @Test
    void leakyRelu_forwardAndGradientAtZeroIsTheSlope() {
        Tensor x = Tensor.of(-2f, -0.5f, 0f, 1.5f).requiresGrad_(true);
        Tensor y = new LeakyReLU(0.2).call(x);
        assertArrayEquals(new float[] {-0.4f, -0.1f, 0f, 1.5f}, y.toFloatArray(), 1e-6f);
        y.sum().backward();
        assertArrayEquals(new float[] {0.2f, 0.2f, 0.2f, 1f}, x.grad().toFloatArray(), 1e-6f);
        assertEquals(0.01, new LeakyReLU().negativeSlope());
        assertArrayEquals(new float[] {-0.03f}, new LeakyReLU().call(Tensor.of(-3f)).toFloatArray(), 1e-7f);
    }

    @Test
    void dropout_trainScalesSurvivorsEvalIsIdentity() {
        Tensor.manualSeed(3);
        Dropout d = new Dropout(0.25);
        Tensor x = Tensor.ones(4000).requiresGrad_(true);
        Tensor y = d.call(x);
        int zeros = 0;
        for (float v : y.toFloatArray()) {
            assertTrue(v == 0f || Math.abs(v - 4f / 3) < 1e-6, "kept elements are scaled by 1/(1-p): " + v);
            zeros += v == 0f ? 1 : 0;
        }
        assertEquals(1000, zeros, 100); // 4000 draws, p = 0.25: sd ~27
        y.sum().backward();
        assertArrayEquals(y.toFloatArray(), x.grad().toFloatArray(), "the gradient goes through the same mask and scale");
        d.eval();
        assertSame(x, d.call(x));
        d.train();
        assertSame(x, new Dropout(0).call(x));
        assertArrayEquals(new float[4000], new Dropout(1).call(x).toFloatArray());
        assertSame(x, F.dropout(x, 0.5, false));
    }

    @Test
    void dropout_probabilityValidated() {
        for (double p : new double[] {-0.1, 1.5, Double.NaN}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Dropout(p));
            assertTrue(e.getMessage().contains("between 0 and 1") && e.getMessage().contains(Double.toString(p)), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> F.dropout(Tensor.ones(2), p, true));
        }
    }

    @Test
    void embedding_looksUpRowsForIndicesOfAnyShape() {
        Embedding e = new Embedding(5, 3);
        e.weight().setData(new float[] {0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32, 40, 41, 42});
        Tensor idx = Tensor.wrap(NDArray.of(new long[] {0, 2, 2, 4}, 2, 2));
        Tensor y = e.call(idx);
        assertArrayEquals(new int[] {2, 2, 3}, y.shape());
        assertArrayEquals(new float[] {0, 1, 2, 20, 21, 22, 20, 21, 22, 40, 41, 42}, y.toFloatArray());
        assertArrayEquals(new int[] {3}, e.call(Tensor.wrap(NDArray.of(new long[] {1}))).shape()); // 0-dim index
        y.sum().backward();
        // the index scatter: row 2 was picked twice, rows 1 and 3 never
        assertArrayEquals(new float[] {1, 1, 1, 0, 0, 0, 2, 2, 2, 0, 0, 0, 1, 1, 1}, e.weight().grad().toFloatArray());
    }

    @Test
    void embedding_initIsStandardNormal() {
        Tensor.manualSeed(11);
        float[] w = new Embedding(1000, 50).weight().toFloatArray();
        double mean = 0;
        double sq = 0;
        for (float v : w) {
            mean += v;
            sq += v * v;
        }
        mean /= w.length;
        assertEquals(0, mean, 0.02);
        assertEquals(1, sq / w.length - mean * mean, 0.03);
    }

    @Test
    void embedding_paddingRowStartsZeroAndGetsNoGradient() {
        Embedding e = new Embedding(4, 2, -1); // row 3
        assertArrayEquals(new float[] {0, 0}, e.weight().data().select(0, 3).toFloatArray());
        e.weight().setData(new float[] {1, 1, 2, 2, 3, 3, 9, 9});
        Tensor y = e.call(Tensor.ofLongs(3, 1, 3));
        assertArrayEquals(new float[] {9, 9, 2, 2, 9, 9}, y.toFloatArray()); // the row's value is used as it is
        y.sum().backward();
        assertArrayEquals(new float[] {0, 0, 1, 1, 0, 0, 0, 0}, e.weight().grad().toFloatArray());
    }

    @Test
    void embedding_badIndicesNamed() {
        Embedding e = new Embedding(3, 2);
        IllegalArgumentException dtype = assertThrows(IllegalArgumentException.class, () -> e.call(Tensor.of(1f, 2f)));
        assertTrue(dtype.getMessage().contains("INT64") && dtype.getMessage().contains("FLOAT32"), dtype.getMessage());
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class, () -> e.call(Tensor.ofLongs(0, 3)));
        assertTrue(range.getMessage().contains("index 3") && range.getMessage().contains("3 embeddings"), range.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Embedding(3, 2, 3));
    }

    @Test
    void embedding_fromPretrainedFrozen() {
        Embedding e = Embedding.fromPretrained(Tensor.of(new float[][] {{1, 2}, {3, 4}}), true);
        assertTrue(!e.weight().requiresGrad());
        assertArrayEquals(new float[] {3, 4, 1, 2}, e.call(Tensor.ofLongs(1, 0)).toFloatArray());
    }

    /** A model with named children, as a user would write it. */
    static final class Net extends Module {
        final Sequential features = registerModule("features", new Sequential(new Conv2d(1, 2, 3), new ReLU(), new MaxPool2d(2)));
        final BatchNorm1d bn = registerModule("bn", new BatchNorm1d(8));
        final Linear head = registerModule("head", new Linear(8, 3));

        @Override
        public Tensor forward(Tensor x) {
            return head.call(bn.call(features.call(x).flatten(1, -1)));
        }
    }

    @Test
    void stateDict_namesInPyTorchOrder() {
        Net net = new Net();
        assertEquals(List.of("features.0.weight", "features.0.bias", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var",
                "bn.num_batches_tracked", "head.weight", "head.bias"), List.copyOf(net.stateDict().keySet()));
        assertEquals(List.of("features.0.weight", "features.0.bias", "bn.weight", "bn.bias", "head.weight", "head.bias"),
                List.copyOf(net.namedParameters().keySet()));
        assertEquals(List.of("bn.running_mean", "bn.running_var", "bn.num_batches_tracked"), List.copyOf(net.namedBuffers().keySet()));
        assertEquals(DType.INT64, net.stateDict().get("bn.num_batches_tracked").dtype());
        assertArrayEquals(new int[] {3, 3}, net.call(Tensor.rand(3, 1, 6, 6)).shape());
        Sequential s = new Sequential(new Conv2d(1, 2, 3), new BatchNorm2d(2), new ReLU(), new Dropout(0.1), new Flatten(),
                new Linear(2, 2), new Sigmoid(), new Tanh(), new LeakyReLU(), new Softmax(1), new LogSoftmax(1));
        assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked",
                "5.weight", "5.bias"), List.copyOf(s.stateDict().keySet()));
    }

    @Test
    void trainEval_reachEveryDescendant() {
        Net net = new Net();
        net.eval();
        for (Module m : net.namedModules().values()) {
            assertTrue(!m.isTraining(), m.getClass().getSimpleName());
        }
        net.train();
        assertTrue(net.features.children().get(2).isTraining());
    }

    @Test
    void forwardHooks_seeInputAndOutputMayReplaceAndAreRemovable() {
        Linear l = new Linear(2, 2);
        List<String> seen = new ArrayList<>();
        var pre = l.registerForwardPreHook((m, in) -> {
            seen.add("pre " + in.shape()[0]);
            return in.mul(0);
        });
        var post = l.registerForwardHook((m, in, out) -> {
            seen.add("post " + (m == l) + " " + in.sum().item());
            return out.add(1);
        });
        var observer = l.registerForwardHook((m, out) -> seen.add("observer " + out.shape()[1]));
        Tensor y = l.call(Tensor.ones(3, 2));
        assertEquals(List.of("pre 3", "post true 0.0", "observer 2"), seen);
        Tensor expected = l.bias().add(1).unsqueeze(0).expand(3, 2);
        assertArrayEquals(expected.toFloatArray(), y.toFloatArray(), 1e-6f);
        pre.remove();
        post.remove();
        observer.remove();
        seen.clear();
        l.call(Tensor.ones(3, 2));
        assertEquals(List.of(), seen);
        Sequential s = new Sequential(l);
        l.registerForwardHook((m, out) -> seen.add("child"));
        s.call(Tensor.ones(1, 2));
        assertEquals(List.of("child"), seen, "containers call their children through call()");
    }

    @Test
    void apply_visitsChildrenBeforeParents() {
        Net net = new Net();
        List<String> order = new ArrayList<>();
        net.apply(m -> order.add(m.getClass().getSimpleName()));
        assertEquals(List.of("Conv2d", "ReLU", "MaxPool2d", "Sequential", "BatchNorm1d", "Linear", "Net"), order);
        net.apply(m -> {
            if (m instanceof Linear lin) {
                Init.zeros_(lin.weight());
            }
        });
        assertArrayEquals(new float[24], net.head.weight().toFloatArray());
    }

    @Test
    void to_cpuKeepsTheModuleOtherDevicesAreRefused() {
        Net net = new Net();
        Tensor w = net.head.weight();
        assertSame(net, net.to(Device.CPU));
        assertSame(w, net.head.weight());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> net.to(Device.cuda(0)));
        assertTrue(e.getMessage().contains("cuda"), e.getMessage());
    }

    @Test
    void toString_printsTheTreeAsPyTorch() {
        Sequential s = new Sequential(new Conv2d(1, 6, 5), new ReLU(), new MaxPool2d(2), new Dropout(0.5), new Linear(4, 3, false));
        assertEquals("Sequential(\n"
                + "  (0): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))\n"
                + "  (1): ReLU()\n"
                + "  (2): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n"
                + "  (3): Dropout(p=0.5)\n"
                + "  (4): Linear(in_features=4, out_features=3, bias=False)\n"
                + ")", s.toString());
    }
}
