package io.torus.tensor.op;

import io.torus.tensor.Shape;

/**
 * Stride, zero padding and dilation of a 2-D convolution (groups = 1), each given for height and
 * width, validated on construction. {@link #outputShape} checks an input/weight pair against them
 * and returns the output's shape; every backend relies on that check having been made.
 *
 * <p>Output size per spatial dim, as in PyTorch:
 * {@code out = (in + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1}.
 */
public record Conv2dParams(int strideH, int strideW, int paddingH, int paddingW, int dilationH, int dilationW) {

    public Conv2dParams {
        positive("stride", strideH, strideW);
        positive("dilation", dilationH, dilationW);
        if (paddingH < 0 || paddingW < 0) {
            throw new IllegalArgumentException("conv2d: padding must be non-negative, got " + paddingH + "x" + paddingW);
        }
    }

    /** Square stride and padding, no dilation (PyTorch's {@code stride=s, padding=p}). */
    public static Conv2dParams of(int stride, int padding) {
        return new Conv2dParams(stride, stride, padding, padding, 1, 1);
    }

    public static Conv2dParams of(int stride, int padding, int dilation) {
        return new Conv2dParams(stride, stride, padding, padding, dilation, dilation);
    }

    /** Stride 1, no padding, no dilation. */
    public static Conv2dParams defaults() {
        return of(1, 0);
    }

    private static void positive(String what, int h, int w) {
        if (h <= 0 || w <= 0) {
            throw new IllegalArgumentException("conv2d: " + what + " must be positive, got " + h + "x" + w);
        }
    }

    /**
     * The output shape {@code [N, O, OH, OW]} of a convolution of a 4-D input {@code [N, C, H, W]}
     * with a weight {@code [O, C, KH, KW]} and an optional bias {@code [O]}, or an error naming the
     * offending shapes.
     */
    public int[] outputShape(int[] input, int[] weight, int[] bias) {
        if (input.length != 4) {
            throw new IllegalArgumentException("conv2d: expected a 3-D (unbatched) or 4-D (batched) input [N, C, H, W], got "
                    + Shape.str(input));
        }
        if (weight.length != 4) {
            throw new IllegalArgumentException("conv2d: weight must be 4-D [out_channels, in_channels, kH, kW], got "
                    + Shape.str(weight));
        }
        if (input[1] != weight[1]) {
            throw new IllegalArgumentException("conv2d: input " + Shape.str(input) + " has " + input[1] + " channels, weight "
                    + Shape.str(weight) + " expects " + weight[1]);
        }
        if (bias != null && (bias.length != 1 || bias[0] != weight[0])) {
            throw new IllegalArgumentException("conv2d: bias " + Shape.str(bias) + " does not match weight " + Shape.str(weight)
                    + " (expected [" + weight[0] + "])");
        }
        if (weight[2] == 0 || weight[3] == 0) {
            throw new IllegalArgumentException("conv2d: weight " + Shape.str(weight) + " has an empty kernel");
        }
        int ph = input[2] + 2 * paddingH;
        int pw = input[3] + 2 * paddingW;
        int kh = dilationH * (weight[2] - 1) + 1;
        int kw = dilationW * (weight[3] - 1) + 1;
        if (kh > ph || kw > pw) {
            throw new IllegalArgumentException("conv2d: kernel " + weight[2] + "x" + weight[3]
                    + (dilationH > 1 || dilationW > 1 ? " (dilated " + kh + "x" + kw + ")" : "")
                    + " is larger than the padded input " + ph + "x" + pw + " (input " + Shape.str(input) + ", padding "
                    + paddingH + "x" + paddingW + ")");
        }
        return new int[] {input[0], weight[0], (ph - kh) / strideH + 1, (pw - kw) / strideW + 1};
    }
}
