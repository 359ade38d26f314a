package io.torus.nn;

import io.torus.autograd.Tensor;
import io.torus.autograd.functions.Losses;

/** Functional forms of the layers and losses. */
public final class F {
    private F() {
    }

    public static Tensor relu(Tensor x) {
        return x.relu();
    }

    public static Tensor sigmoid(Tensor x) {
        return x.sigmoid();
    }

    public static Tensor logSoftmax(Tensor x, int dim) {
        return x.logSoftmax(dim);
    }

    public static Tensor softmax(Tensor x, int dim) {
        return x.logSoftmax(dim).exp();
    }

    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        Tensor y = x.matmul(weight.t());
        return bias == null ? y : y.add(bias);
    }

    public static Tensor nllLoss(Tensor logProbs, Tensor target, Reduction reduction) {
        return Losses.nllLoss(logProbs, target, reduction == Reduction.MEAN);
    }

    public static Tensor crossEntropy(Tensor logits, Tensor target) {
        return crossEntropy(logits, target, Reduction.MEAN);
    }

    public static Tensor crossEntropy(Tensor logits, Tensor target, Reduction reduction) {
        return nllLoss(logits.logSoftmax(1), target, reduction);
    }

    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias) {
        return x.conv2d(weight, bias);
    }

    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int stride, int padding) {
        return x.conv2d(weight, bias, stride, padding);
    }

    public static Tensor maxPool2d(Tensor x, int kernel) {
        return x.maxPool2d(kernel);
    }

    public static Tensor maxPool2d(Tensor x, int kernel, int stride, int padding) {
        return x.maxPool2d(kernel, stride, padding);
    }

    public static Tensor avgPool2d(Tensor x, int kernel) {
        return x.avgPool2d(kernel);
    }
}
