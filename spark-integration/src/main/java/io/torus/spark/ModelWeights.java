package io.torus.spark;

import io.torus.autograd.Tensor;
import io.torus.tensor.DType;
import io.torus.tensor.NDArray;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A trained model's state dict in plain Java arrays, so that it can travel to the executors as a
 * Spark broadcast variable (a {@code Tensor} is not {@code Serializable}). FLOAT32 stays
 * {@code float[]}, FLOAT64 {@code double[]}, integer and boolean tensors travel as {@code long[]}.
 *
 * @param spec    the network the weights belong to
 * @param entries the state dict in its order
 */
public record ModelWeights(TorusModelSpec spec, List<Entry> entries) implements Serializable {

    /** One tensor of the state dict. */
    public record Entry(String name, DType dtype, int[] shape, Serializable data) implements Serializable {
    }

    public ModelWeights {
        entries = List.copyOf(entries);
    }

    public static ModelWeights of(TorusModelSpec spec, Map<String, Tensor> stateDict) {
        List<Entry> entries = new ArrayList<>();
        stateDict.forEach((name, t) -> {
            Serializable data = switch (t.dtype()) {
                case FLOAT32 -> t.toFloatArray();
                case FLOAT64 -> t.toDoubleArray();
                default -> t.toLongArray();
            };
            entries.add(new Entry(name, t.dtype(), t.shape(), data));
        });
        return new ModelWeights(spec, entries);
    }

    /** The state dict as tensors, in order. */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (Entry e : entries) {
            Tensor t = switch (e.dtype()) {
                case FLOAT32 -> Tensor.wrap(NDArray.of((float[]) e.data(), e.shape()));
                case FLOAT64 -> Tensor.wrap(NDArray.of((double[]) e.data(), e.shape()));
                default -> Tensor.wrap(NDArray.of((long[]) e.data(), e.shape())).to(e.dtype());
            };
            m.put(e.name(), t);
        }
        return m;
    }

    /** A fresh module of {@link #spec()} holding these weights, in eval mode. */
    public io.torus.nn.Module build() {
        io.torus.nn.Module m = spec.build();
        m.loadStateDict(stateDict(), true);
        m.eval();
        return m;
    }
}
