package io.torus.launcher.jobs;

import io.torus.autograd.Tensor;
import io.torus.nn.Conv2d;
import io.torus.nn.Linear;
import io.torus.nn.MaxPool2d;
import io.torus.nn.Module;

/**
 * LeNet-5 for 28×28 MNIST digits, as in PyTorch's tutorials: conv 1→6 5×5 (padding 2, so the
 * first map stays 28×28), relu, max-pool 2; conv 6→16 5×5, relu, max-pool 2 (16×5×5 = 400
 * features); linear 400→120, relu, 84, relu, 10. Input [n, 1, 28, 28], output logits [n, 10].
 * Parameters are named as in PyTorch's version ({@code conv1.weight}, ..., {@code fc3.bias}).
 */
public final class LeNet extends Module {
    private final Conv2d conv1 = registerModule("conv1", new Conv2d(1, 6, 5, 1, 2));
    private final Conv2d conv2 = registerModule("conv2", new Conv2d(6, 16, 5));
    private final MaxPool2d pool = registerModule("pool", new MaxPool2d(2));
    private final Linear fc1 = registerModule("fc1", new Linear(16 * 5 * 5, 120));
    private final Linear fc2 = registerModule("fc2", new Linear(120, 84));
    private final Linear fc3 = registerModule("fc3", new Linear(84, 10));

    @Override
    public Tensor forward(Tensor x) {
        Tensor h = pool.forward(conv1.forward(x).relu());
        h = pool.forward(conv2.forward(h).relu()).flatten(1, 3);
        return fc3.forward(fc2.forward(fc1.forward(h).relu()).relu());
    }
}
