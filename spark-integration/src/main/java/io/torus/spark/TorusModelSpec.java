package io.torus.spark;

import io.torus.nn.Linear;
import io.torus.nn.Module;
import io.torus.nn.ReLU;
import io.torus.nn.Sequential;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Names the network a {@link TorusEstimator} trains, as one string that fits in a Spark ML
 * {@code Param} and in a saved model's metadata, and builds it.
 *
 * <pre>
 *   mlp:784-128-10          Linear(784, 128), ReLU, Linear(128, 10)
 *   mlp:784-256-128-10      two hidden layers
 *   class:com.acme.MyNet    any Module with a public no-arg constructor, on the executors' classpath
 * </pre>
 * The first size of an {@code mlp} is the number of input features, the last the number of
 * classes; the model's outputs are logits, trained with cross-entropy.
 *
 * @param text the spec as written above
 */
public record TorusModelSpec(String text) implements Serializable {

    public TorusModelSpec {
        if (text == null) {
            throw new IllegalArgumentException("model spec is null: expected e.g. mlp:784-128-10 or class:NAME");
        }
        text = text.trim();
        if (text.startsWith("mlp:")) {
            layerSizes(text);  // validates
        } else if (!text.startsWith("class:") || text.length() == "class:".length()) {
            throw new IllegalArgumentException("model spec '" + text + "': expected mlp:IN-HIDDEN...-OUT (e.g. "
                    + "mlp:784-128-10) or class:FULLY.QUALIFIED.ModuleClass");
        }
    }

    public static TorusModelSpec parse(String text) {
        return new TorusModelSpec(text);
    }

    /** An MLP with these layer sizes, input first. */
    public static TorusModelSpec mlp(int... sizes) {
        return new TorusModelSpec("mlp:" + String.join("-", Arrays.stream(sizes).mapToObj(Integer::toString).toList()));
    }

    /** Number of input features for an {@code mlp}; -1 for a {@code class:} spec (not known before building). */
    public int inputDim() {
        return text.startsWith("mlp:") ? layerSizes(text)[0] : -1;
    }

    /** Builds a fresh module (random initial weights from the global generator). */
    public Module build() {
        if (text.startsWith("mlp:")) {
            int[] sizes = layerSizes(text);
            List<Module> layers = new ArrayList<>();
            for (int i = 0; i + 1 < sizes.length; i++) {
                if (i > 0) {
                    layers.add(new ReLU());
                }
                layers.add(new Linear(sizes[i], sizes[i + 1]));
            }
            return new Sequential(layers.toArray(Module[]::new));
        }
        String name = text.substring("class:".length());
        try {
            ClassLoader loader = Thread.currentThread().getContextClassLoader();
            Class<?> c = Class.forName(name, true, loader != null ? loader : TorusModelSpec.class.getClassLoader());
            if (!Module.class.isAssignableFrom(c)) {
                throw new IllegalArgumentException("model spec '" + text + "': " + name + " is not an "
                        + Module.class.getName());
            }
            return (Module) c.getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("model spec '" + text + "': cannot instantiate " + name
                    + " (it needs a public no-arg constructor and must be on the classpath): " + e, e);
        }
    }

    private static int[] layerSizes(String text) {
        String[] parts = text.substring("mlp:".length()).split("-");
        if (parts.length < 2) {
            throw new IllegalArgumentException("model spec '" + text + "': an mlp needs at least two sizes "
                    + "(inputs and classes), e.g. mlp:784-10");
        }
        int[] sizes = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                sizes[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                sizes[i] = 0;
            }
            if (sizes[i] < 1) {
                throw new IllegalArgumentException("model spec '" + text + "': layer size '" + parts[i]
                        + "' is not a positive integer");
            }
        }
        return sizes;
    }

    @Override
    public String toString() {
        return text;
    }
}
