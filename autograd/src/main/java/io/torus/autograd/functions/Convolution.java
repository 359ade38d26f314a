package io.torus.autograd.functions;

import io.torus.autograd.Tensor;
import io.torus.autograd.engine.Node;
import io.torus.autograd.engine.SavedTensor;
import io.torus.tensor.NDArray;
import io.torus.tensor.op.Conv2dParams;

/**
 * 2-D convolution (NCHW, groups = 1). The backward pass asks the backend for exactly the
 * gradients the graph needs (input, weight, bias), as PyTorch's {@code convolution_backward} with
 * its output mask; the bias gradient comes out of the weight-gradient GEMM when both are wanted.
 * First-order only: with {@code createGraph} the gradients it returns are not differentiable again.
 */
public final class Convolution {
    private Convolution() {
    }

    /** {@code bias} may be null. A 3-D input {@code [C, H, W]} is one unbatched sample. */
    public static Tensor conv2d(Tensor input, Tensor weight, Tensor bias, Conv2dParams p) {
        NDArray out = input.data().conv2d(weight.data(), bias == null ? null : bias.data(), p);
        ConvolutionBackward0 n = null;
        if (Graph.needsGrad(input, weight, bias)) {
            n = new ConvolutionBackward0(p);
            n.input = n.save(input);
            n.weight = n.save(weight);
        }
        return Graph.record(n, out, input, weight, bias);
    }

    static final class ConvolutionBackward0 extends Node {
        private final Conv2dParams p;
        SavedTensor input;
        SavedTensor weight;

        ConvolutionBackward0(Conv2dParams p) {
            this.p = p;
        }

        @Override
        protected Tensor[] backward(Tensor[] g) {
            NDArray[] grads = g[0].data().conv2dBackward(input.unpack().data(), weight.unpack().data(), p,
                    needsInputGrad(0), needsInputGrad(1), needsInputGrad(2));
            Tensor[] result = new Tensor[3];
            for (int i = 0; i < 3; i++) {
                result[i] = grads[i] == null ? null : Tensor.wrap(grads[i]);
            }
            return result;
        }
    }
}
