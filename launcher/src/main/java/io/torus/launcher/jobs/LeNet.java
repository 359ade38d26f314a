package io.torus.launcher.jobs;

import io.torus.autograd.Tensor;
import io.torus.nn.Init;
import io.torus.nn.Linear;
import io.torus.nn.Module;
import io.torus.nn.Parameter;

/**
 * LeNet-5 for 28×28 MNIST digits, as in PyTorch's tutorials: conv 1→6 5×5 (padding 2, so the
 * first map stays 28×28), relu, max-pool 2; conv 6→16 5×5, relu, max-pool 2 (16×5×5 = 400
 * features); linear 400→120, relu, 84, relu, 10. Input [n, 1, 28, 28], output logits [n, 10].
 * Parameters are named as PyTorch's {@code nn.Module} version names them ({@code conv1.weight},
 * {@code fc3.bias}) and initialized as its layers are.
 */
final class LeNet extends Module {
    private final Conv conv1 = registerModule("conv1", new Conv(1, 6, 5, 2));
    private final Conv conv2 = registerModule("conv2", new Conv(6, 16, 5, 0));
    private final Linear fc1 = registerModule("fc1", new Linear(16 * 5 * 5, 120));
    private final Linear fc2 = registerModule("fc2", new Linear(120, 84));
    private final Linear fc3 = registerModule("fc3", new Linear(84, 10));

    @Override
    public Tensor forward(Tensor x) {
        Tensor h = conv1.forward(x).relu().maxPool2d(2);
        h = conv2.forward(h).relu().maxPool2d(2);
        h = h.flatten(1, 3);
        return fc3.forward(fc2.forward(fc1.forward(h).relu()).relu());
    }

    /**
     * A 2-D convolution layer with stride 1 over {@link Tensor#conv2d}, initialized as PyTorch's
     * {@code nn.Conv2d}: weight and bias uniform in ±1/√fan_in (Kaiming-uniform with a = √5).
     */
    static final class Conv extends Module {
        private final Parameter weight;
        private final Parameter bias;
        private final int padding;

        Conv(int in, int out, int kernel, int padding) {
            this.padding = padding;
            double bound = 1 / Math.sqrt((double) in * kernel * kernel);
            weight = registerParameter("weight", new Parameter(Tensor.zeros(out, in, kernel, kernel)));
            bias = registerParameter("bias", new Parameter(Tensor.zeros(out)));
            Init.uniform_(weight, -bound, bound);
            Init.uniform_(bias, -bound, bound);
        }

        @Override
        public Tensor forward(Tensor x) {
            return x.conv2d(weight, bias, 1, padding);
        }
    }
}
