package io.torus.tensor.op;

import io.torus.tensor.Shape;

/**
 * Window of a 2-D max or average pooling over NCHW input: kernel, stride, implicit padding and
 * dilation per spatial dim, PyTorch's {@code ceil_mode}, and (average pooling only)
 * {@code count_include_pad}. Validated on construction; {@link #outputShape} checks an input.
 *
 * <p>Output size per spatial dim, as PyTorch's {@code pooling_output_shape}:
 * {@code out = floor_or_ceil((in + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1},
 * and in ceil mode the last window must start inside the input or its left padding. Padding is
 * implicit: max pooling never picks it, average pooling counts it in the divisor only when
 * {@code countIncludePad} (the default, as in PyTorch).
 */
public record Pool2dParams(int kernelH, int kernelW, int strideH, int strideW, int paddingH, int paddingW,
                           int dilationH, int dilationW, boolean ceilMode, boolean countIncludePad) {

    public Pool2dParams {
        positive("kernel size", kernelH, kernelW);
        positive("stride", strideH, strideW);
        positive("dilation", dilationH, dilationW);
        if (paddingH < 0 || paddingW < 0) {
            throw new IllegalArgumentException("pool2d: padding must be non-negative, got " + paddingH + "x" + paddingW);
        }
        if (paddingH > kernelH / 2 || paddingW > kernelW / 2) {
            throw new IllegalArgumentException("pool2d: padding " + paddingH + "x" + paddingW
                    + " must be at most half of the kernel size " + kernelH + "x" + kernelW);
        }
    }

    /** A square window with stride equal to the kernel (PyTorch's default), no padding. */
    public static Pool2dParams of(int kernel) {
        return of(kernel, kernel, 0);
    }

    public static Pool2dParams of(int kernel, int stride, int padding) {
        return new Pool2dParams(kernel, kernel, stride, stride, padding, padding, 1, 1, false, true);
    }

    public Pool2dParams withDilation(int dilation) {
        return new Pool2dParams(kernelH, kernelW, strideH, strideW, paddingH, paddingW, dilation, dilation, ceilMode,
                countIncludePad);
    }

    public Pool2dParams withCeilMode(boolean ceil) {
        return new Pool2dParams(kernelH, kernelW, strideH, strideW, paddingH, paddingW, dilationH, dilationW, ceil,
                countIncludePad);
    }

    public Pool2dParams withCountIncludePad(boolean include) {
        return new Pool2dParams(kernelH, kernelW, strideH, strideW, paddingH, paddingW, dilationH, dilationW, ceilMode,
                include);
    }

    private static void positive(String what, int h, int w) {
        if (h <= 0 || w <= 0) {
            throw new IllegalArgumentException("pool2d: " + what + " must be positive, got " + h + "x" + w);
        }
    }

    /** The output shape {@code [N, C, OH, OW]} of pooling a 4-D input, or an error naming {@code op}. */
    public int[] outputShape(String op, int[] input) {
        if (input.length != 4) {
            throw new IllegalArgumentException(op + ": expected a 3-D (unbatched) or 4-D (batched) input [N, C, H, W], got "
                    + Shape.str(input));
        }
        if (op.startsWith("avg") && (dilationH != 1 || dilationW != 1)) {
            throw new IllegalArgumentException(op + ": dilation is not supported, got " + dilationH + "x" + dilationW);
        }
        int oh = outSize(input[2], kernelH, strideH, paddingH, dilationH);
        int ow = outSize(input[3], kernelW, strideW, paddingW, dilationW);
        if (oh < 1 || ow < 1) {
            throw new IllegalArgumentException(op + ": kernel " + kernelH + "x" + kernelW
                    + (dilationH > 1 || dilationW > 1 ? " (dilation " + dilationH + "x" + dilationW + ")" : "")
                    + " is larger than the padded input " + (input[2] + 2 * paddingH) + "x" + (input[3] + 2 * paddingW)
                    + " (input " + Shape.str(input) + ", padding " + paddingH + "x" + paddingW + "): output size " + oh + "x"
                    + ow + " is too small");
        }
        return new int[] {input[0], input[1], oh, ow};
    }

    private int outSize(int in, int kernel, int stride, int padding, int dilation) {
        int span = in + 2 * padding - dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0);
        int out = Math.floorDiv(span, stride) + 1;
        if (ceilMode && (out - 1) * stride >= in + padding) {
            out--;
        }
        return out;
    }
}
