package io.torus.launcher.bench;

import io.torus.autograd.Tensor;
import io.torus.tensor.NDArray;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * LeNet's first two layers, forward and backward, on a batch of MNIST-sized images: conv 1→6 5×5,
 * relu, maxpool 2, conv 6→16 5×5, relu, maxpool 2, sum, backward into the four parameters.
 *
 * <p>Note [Conv bound by reflection]: the conv2d and max-pool ops land in issue 3 in parallel with
 * this benchmark, so they are looked up at run time instead of compiled against: the instance
 * methods {@code Tensor.conv2d(weight, bias, stride, padding)} and {@code Tensor.maxPool2d(kernel
 * ...)}, or else the static {@code io.torus.nn.F.conv2d(x, weight, bias, ...)} and
 * {@code F.maxPool2d(x, kernel ...)}. Trailing {@code int}, {@code long} or {@code int[]}
 * parameters get stride 1, padding 0, dilation 1, groups 1 (conv) and kernel 2, stride 2, padding
 * 0, dilation 1 (pool); {@code boolean}s get false. When nothing fits, {@link #bind} says what is
 * missing and the benchmark prints "not available in this build". Once the ops are merged this
 * class can call them directly.
 */
final class LeNetConv {
    private static final int[] CONV_INTS = {1, 0, 1, 1};
    private static final int[] POOL_INTS = {2, 2, 0, 1};

    /** One bound op: a method and how to call it with the tensors given. */
    private record Op(Method method, boolean isStatic, int[] ints) {
        Tensor call(Tensor self, Tensor... tensors) {
            Class<?>[] types = method.getParameterTypes();
            Object[] args = new Object[types.length];
            int t = 0;
            int k = 0;
            for (int i = 0; i < types.length; i++) {
                if (types[i] == Tensor.class) {
                    args[i] = isStatic && i == 0 ? self : tensors[t++];
                } else if (types[i] == boolean.class) {
                    args[i] = false;
                } else {
                    int v = ints[Math.min(k++, ints.length - 1)];
                    args[i] = types[i] == int.class ? (Object) v : types[i] == long.class ? (Object) (long) v : new int[] {v, v};
                }
            }
            try {
                return (Tensor) method.invoke(isStatic ? null : self, args);
            } catch (InvocationTargetException e) {
                if (e.getCause() instanceof RuntimeException r) {
                    throw r;
                }
                throw new IllegalStateException(method + " failed", e.getCause());
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(method + " is not accessible", e);
            }
        }

        @Override
        public String toString() {
            return method.getDeclaringClass().getSimpleName() + "." + method.getName() + Arrays.stream(method.getParameterTypes())
                    .map(Class::getSimpleName).collect(Collectors.joining(", ", "(", ")"));
        }
    }

    /** What {@link #bind} found: a runnable step, or why there is none. */
    record Binding(LeNetConv conv, String missing) {
    }

    private final Op conv;
    private final Op pool;
    private final Tensor x;
    private final Tensor w1;
    private final Tensor b1;
    private final Tensor w2;
    private final Tensor b2;

    private LeNetConv(Op conv, Op pool, int batch) {
        this.conv = conv;
        this.pool = pool;
        Tensor.manualSeed(5);
        x = Tensor.randn(batch, 1, 28, 28);
        w1 = Tensor.normal(0, 0.2, 6, 1, 5, 5).requiresGrad_(true);
        b1 = Tensor.zeros(6).requiresGrad_(true);
        w2 = Tensor.normal(0, 0.08, 16, 6, 5, 5).requiresGrad_(true);
        b2 = Tensor.zeros(16).requiresGrad_(true);
    }

    /** Finds conv2d and maxPool2d in this build (see the Note), checks the output shape once. */
    static Binding bind(int batch) {
        Op conv = find("conv2d", 2, CONV_INTS);
        Op pool = find("maxPool2d", 0, POOL_INTS);
        if (conv == null || pool == null) {
            List<String> missing = new ArrayList<>();
            if (conv == null) {
                missing.add("Tensor.conv2d(weight, bias, stride, padding)");
            }
            if (pool == null) {
                missing.add("Tensor.maxPool2d(kernel)");
            }
            boolean nd = hasMethod(NDArray.class, "conv2d");
            return new Binding(null, String.join(" and ", missing) + " (nor io.torus.nn.F's) not found"
                    + (nd ? "; NDArray.conv2d exists" : "; NDArray.conv2d is missing too"));
        }
        LeNetConv c = new LeNetConv(conv, pool, batch);
        Tensor out = c.forward();
        int[] expected = {batch, 16, 4, 4};
        if (!Arrays.equals(out.shape(), expected)) {
            return new Binding(null, "bound " + conv + " and " + pool + ", but the output shape is " + Arrays.toString(out.shape())
                    + ", expected " + Arrays.toString(expected));
        }
        return new Binding(c, null);
    }

    String describe() {
        return conv + ", " + pool;
    }

    Tensor forward() {
        Tensor h = pool.call(conv.call(x, w1, b1).relu());
        return pool.call(conv.call(h, w2, b2).relu());
    }

    /** One training step's worth: gradients cleared, forward, sum, backward. */
    void step() {
        for (Tensor p : List.of(w1, b1, w2, b2)) {
            p.setGrad(null);
        }
        forward().sum().backward();
    }

    /** An instance method of Tensor, else a static one of io.torus.nn.F, with {@code tensors} tensor arguments then ints. */
    private static Op find(String name, int tensors, int[] ints) {
        Op op = findIn(Tensor.class, name, tensors, false, ints);
        if (op != null) {
            return op;
        }
        try {
            return findIn(Class.forName("io.torus.nn.F"), name, tensors + 1, true, ints);
        } catch (ClassNotFoundException e) {
            return null;
        }
    }

    private static Op findIn(Class<?> cls, String name, int tensors, boolean isStatic, int[] ints) {
        Op best = null;
        for (Method m : cls.getMethods()) {
            if (!m.getName().equals(name) || Modifier.isStatic(m.getModifiers()) != isStatic
                    || !Tensor.class.isAssignableFrom(m.getReturnType())) {
                continue;
            }
            Class<?>[] p = m.getParameterTypes();
            boolean fits = p.length >= tensors;
            for (int i = 0; fits && i < p.length; i++) {
                fits = i < tensors ? p[i] == Tensor.class
                        : p[i] == int.class || p[i] == long.class || p[i] == int[].class || p[i] == boolean.class;
            }
            // Prefer the overload with the most explicit parameters: it says stride and padding outright.
            if (fits && (best == null || p.length > best.method.getParameterCount())) {
                best = new Op(m, isStatic, ints);
            }
        }
        return best;
    }

    private static boolean hasMethod(Class<?> cls, String name) {
        return Arrays.stream(cls.getMethods()).anyMatch(m -> m.getName().equals(name));
    }
}
