package io.torus.data;

import io.torus.autograd.Tensor;
import io.torus.tensor.DType;
import io.torus.tensor.NDArray;
import io.torus.tensor.Shape;
import io.torus.tensor.op.ReduceOp;

import java.util.Arrays;
import java.util.List;

/**
 * The usual input transforms, as torchvision's: {@link #toTensor()} turns pixel values 0..255
 * into FLOAT32 in [0, 1], {@link #normalize} subtracts a mean and divides by a standard deviation
 * (one for all values, or one per channel), {@link #compose} chains transforms.
 * <pre>{@code
 * Transform t = Transforms.compose(Transforms.toTensor(), Transforms.normalize(0.2860, 0.3530));
 * TensorDataset train = FashionMnist.loadRaw(dir, Mnist.Split.TRAIN).transform(t);    // all at once
 * Dataset<Sample> lazy = new TransformedDataset(FashionMnist.loadRaw(dir, TRAIN), t);  // per batch
 * }</pre>
 */
public final class Transforms {
    private Transforms() {
    }

    /**
     * Integer pixel values in 0..255 (INT32, INT64) to FLOAT32 divided by 255, as torchvision's
     * {@code ToTensor} on 8-bit images (no layout change: Torus images are already channel-first).
     *
     * @throws IllegalArgumentException for a floating-point input or a value outside 0..255, naming it
     */
    public static Transform toTensor() {
        return new ToTensor();
    }

    /** {@code (x − mean) / std} for every value of a floating-point input. */
    public static Transform normalize(double mean, double std) {
        checkStd(std, "std");
        return new Normalize(new double[] {mean}, new double[] {std}, false);
    }

    /**
     * {@code (x[c] − mean[c]) / std[c]} for each channel {@code c}: dim 0 of a sample, dim 1 of a
     * batch, as torchvision's {@code Normalize(mean, std)} on {@code [C, H, W]} images.
     */
    public static Transform normalize(double[] mean, double[] std) {
        if (mean.length == 0 || mean.length != std.length) {
            throw new IllegalArgumentException("normalize: need one mean and one std per channel, got " + mean.length + " means and "
                    + std.length + " stds");
        }
        for (int c = 0; c < std.length; c++) {
            checkStd(std[c], "std[" + c + "]");
        }
        return new Normalize(mean.clone(), std.clone(), true);
    }

    /** Each transform in turn, the first applied first. */
    public static Transform compose(Transform... transforms) {
        return new Compose(List.of(transforms));
    }

    private static void checkStd(double std, String name) {
        if (!(std > 0) || Double.isInfinite(std)) {
            throw new IllegalArgumentException("normalize: " + name + " is " + std + ", expected a positive finite number");
        }
    }

    private record ToTensor() implements Transform {
        @Override
        public Tensor apply(Tensor x) {
            if (x.dtype().isFloatingPoint() || x.dtype() == DType.BOOL) {
                throw new IllegalArgumentException("toTensor: expected integer pixel values in 0..255, got a " + x.dtype() + " tensor "
                        + Shape.str(x.shape()) + (x.dtype().isFloatingPoint() ? " (already converted?)" : ""));
            }
            if (x.numel() > 0) {
                long min = (long) x.data().reduce(ReduceOp.MIN, new int[0], false).item();
                long max = (long) x.data().reduce(ReduceOp.MAX, new int[0], false).item();
                if (min < 0 || max > 255) {
                    throw new IllegalArgumentException("toTensor: pixel value " + (min < 0 ? min : max)
                            + " is outside 0..255 (tensor " + Shape.str(x.shape()) + ")");
                }
            }
            return x.to(DType.FLOAT32).div(255.0);
        }

        @Override
        public Tensor applyToBatch(Tensor batch) {
            return apply(batch);
        }
    }

    private record Normalize(double[] mean, double[] std, boolean perChannel) implements Transform {
        @Override
        public Tensor apply(Tensor x) {
            return normalize(x, 0);
        }

        @Override
        public Tensor applyToBatch(Tensor batch) {
            return normalize(batch, 1);
        }

        private Tensor normalize(Tensor x, int channelDim) {
            if (!x.dtype().isFloatingPoint()) {
                throw new IllegalArgumentException("normalize: expected a floating-point tensor, got " + x.dtype() + " "
                        + Shape.str(x.shape()) + " (apply Transforms.toTensor() first)");
            }
            if (!perChannel) {
                return x.sub(mean[0]).div(std[0]);
            }
            int channels = mean.length;
            if (x.dim() <= channelDim || x.shape()[channelDim] != channels) {
                throw new IllegalArgumentException("normalize: expected " + channels + " channels in dim " + channelDim + " of "
                        + (channelDim == 0 ? "a sample" : "a batch") + ", got shape " + Shape.str(x.shape()));
            }
            int[] shape = new int[x.dim()];
            Arrays.fill(shape, 1);
            shape[channelDim] = channels;
            Tensor m = Tensor.wrap(NDArray.of(mean.clone(), shape).to(x.dtype()));
            Tensor s = Tensor.wrap(NDArray.of(std.clone(), shape).to(x.dtype()));
            return x.sub(m).div(s);
        }

        @Override
        public String toString() {
            return "Normalize(mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + ")";
        }
    }

    private record Compose(List<Transform> transforms) implements Transform {
        @Override
        public Tensor apply(Tensor x) {
            for (Transform t : transforms) {
                x = t.apply(x);
            }
            return x;
        }

        @Override
        public Tensor applyToBatch(Tensor batch) {
            for (Transform t : transforms) {
                batch = t.applyToBatch(batch);
            }
            return batch;
        }
    }
}
