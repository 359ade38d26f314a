package io.torus.optim;

import io.torus.autograd.Tensor;
import io.torus.nn.Parameter;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SGDTest {

    @Test
    void step_momentumFollowsPublishedRule() {
        Parameter p = new Parameter(Tensor.of(1.0));
        SGD opt = new SGD(List.of(p), 0.1, 0.9);
        // loss = p^2 -> g = 2p. Worked by hand: p1 = 1 - 0.1*2 = 0.8; b1 = 2;
        // g2 = 1.6, b2 = 0.9*2 + 1.6 = 3.4, p2 = 0.8 - 0.34 = 0.46
        double[] expected = {0.8, 0.46};
        for (double e : expected) {
            opt.zeroGrad();
            p.mul(p).sum().backward();
            opt.step();
            assertEquals(e, p.item(), 1e-12);
        }
    }

    @Test
    void step_weightDecayAndNesterov() {
        Parameter p = new Parameter(Tensor.of(1.0));
        SGD opt = new SGD(List.of(p), 0.1, 0.5, 0, 0.1, true);
        p.mul(p).sum().backward();
        opt.step();
        // g = 2 + 0.1 = 2.1; b = 2.1; nesterov g = 2.1 + 0.5*2.1 = 3.15; p = 1 - 0.315
        assertEquals(0.685, p.item(), 1e-12);
    }
}
