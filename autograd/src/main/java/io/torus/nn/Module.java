package io.torus.nn;

import io.torus.autograd.GradMode;
import io.torus.autograd.Tensor;
import io.torus.tensor.Device;
import io.torus.tensor.Shape;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The base of every layer and model, as {@code torch.nn.Module}: a tree of named submodules,
 * each holding named parameters and buffers in registration order. Names are dotted paths
 * ({@code features.0.weight}) and are the keys of {@link #stateDict()}.
 */
public abstract class Module {
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Module> modules = new LinkedHashMap<>();
    private final List<ForwardPreHook> forwardPreHooks = new ArrayList<>();
    private final List<ForwardHook> forwardHooks = new ArrayList<>();
    private boolean training = true;

    /** A hook run after {@link #forward} by {@link #call}; it may return a replacement output, or null to keep it. */
    @FunctionalInterface
    public interface ForwardHook {
        Tensor apply(Module module, Tensor input, Tensor output);
    }

    /** A hook run before {@link #forward} by {@link #call}; it may return a replacement input, or null to keep it. */
    @FunctionalInterface
    public interface ForwardPreHook {
        Tensor apply(Module module, Tensor input);
    }

    public abstract Tensor forward(Tensor input);

    /**
     * Runs the forward pre-hooks, {@link #forward} and the forward hooks, in registration order, as
     * calling a PyTorch module does. Containers call their children through this; calling
     * {@code forward} directly skips the hooks.
     */
    public final Tensor call(Tensor input) {
        for (ForwardPreHook h : List.copyOf(forwardPreHooks)) {
            Tensor replaced = h.apply(this, input);
            input = replaced == null ? input : replaced;
        }
        Tensor out = forward(input);
        for (ForwardHook h : List.copyOf(forwardHooks)) {
            Tensor replaced = h.apply(this, input, out);
            out = replaced == null ? out : replaced;
        }
        return out;
    }

    /** Registers a hook that sees this module and the output of each {@link #call}. */
    public io.torus.autograd.Hook registerForwardHook(BiConsumer<Module, Tensor> hook) {
        return registerForwardHook((m, in, out) -> {
            hook.accept(m, out);
            return null;
        });
    }

    /** Registers a hook that sees this module, the input and the output of each {@link #call}, and may replace the output. */
    public io.torus.autograd.Hook registerForwardHook(ForwardHook hook) {
        forwardHooks.add(hook);
        return () -> forwardHooks.remove(hook);
    }

    /** Registers a hook that sees this module and the input of each {@link #call} before forward, and may replace the input. */
    public io.torus.autograd.Hook registerForwardPreHook(ForwardPreHook hook) {
        forwardPreHooks.add(hook);
        return () -> forwardPreHooks.remove(hook);
    }

    protected <P extends Parameter> P registerParameter(String name, P p) {
        checkName(name);
        parameters.put(name, p);
        return p;
    }

    protected Tensor registerBuffer(String name, Tensor t) {
        checkName(name);
        buffers.put(name, t);
        return t;
    }

    protected <M extends Module> M registerModule(String name, M m) {
        checkName(name);
        modules.put(name, m);
        return m;
    }

    private void checkName(String name) {
        if (name == null || name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException("module attribute name '" + name + "': expected a non-empty name without dots");
        }
        if (parameters.containsKey(name) || buffers.containsKey(name) || modules.containsKey(name)) {
            throw new IllegalArgumentException("attribute '" + name + "' already exists in " + getClass().getSimpleName());
        }
    }

    public Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        Set<Parameter> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        namedModules().forEach((prefix, m) -> m.parameters.forEach((n, p) -> {
            if (seen.add(p)) {
                out.put(prefix.isEmpty() ? n : prefix + "." + n, p);
            }
        }));
        return out;
    }

    public List<Parameter> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    public Map<String, Tensor> namedBuffers() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        namedModules().forEach((prefix, m) -> m.buffers.forEach((n, b) -> out.put(prefix.isEmpty() ? n : prefix + "." + n, b)));
        return out;
    }

    public List<Tensor> buffers() {
        return new ArrayList<>(namedBuffers().values());
    }

    public List<Module> children() {
        return new ArrayList<>(modules.values());
    }

    /** This module (name "") and all descendants, depth first, with dotted names. */
    public Map<String, Module> namedModules() {
        Map<String, Module> out = new LinkedHashMap<>();
        collect("", this, out);
        return out;
    }

    private static void collect(String prefix, Module m, Map<String, Module> out) {
        out.put(prefix, m);
        m.modules.forEach((n, c) -> collect(prefix.isEmpty() ? n : prefix + "." + n, c, out));
    }

    /**
     * Parameters and buffers by dotted name (the tensors themselves, not copies), in PyTorch's
     * order: module by module, depth first, each module's parameters and then its buffers
     * ({@code 0.weight, 0.bias, 1.weight, 1.bias, 1.running_mean, ...}). A parameter shared by two
     * modules appears under both names, as in PyTorch.
     */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        namedModules().forEach((prefix, m) -> {
            String dot = prefix.isEmpty() ? "" : prefix + ".";
            m.parameters.forEach((n, p) -> out.put(dot + n, p));
            m.buffers.forEach((n, b) -> out.put(dot + n, b));
        });
        return out;
    }

    /** Copies values into parameters and buffers; strict mode rejects missing and unexpected keys. */
    public void loadStateDict(Map<String, Tensor> state, boolean strict) {
        Map<String, Tensor> own = stateDict();
        Set<String> missing = new LinkedHashSet<>(own.keySet());
        missing.removeAll(state.keySet());
        Set<String> unexpected = new LinkedHashSet<>(state.keySet());
        unexpected.removeAll(own.keySet());
        List<String> errors = new ArrayList<>();
        if (strict && !missing.isEmpty()) {
            errors.add("Missing key(s) in state_dict: " + missing);
        }
        if (strict && !unexpected.isEmpty()) {
            errors.add("Unexpected key(s) in state_dict: " + unexpected);
        }
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            Tensor target = own.get(e.getKey());
            if (target != null && !Arrays.equals(target.shape(), e.getValue().shape())) {
                errors.add("size mismatch for " + e.getKey() + ": copying a param with shape " + Shape.str(e.getValue().shape())
                        + ", the shape in current model is " + Shape.str(target.shape()));
            }
        }
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException("Error(s) in loading state_dict for " + getClass().getSimpleName() + ": "
                    + String.join("; ", errors));
        }
        try (GradMode.Scope s = GradMode.noGrad()) {
            state.forEach((k, v) -> {
                Tensor target = own.get(k);
                if (target != null) {
                    target.data().copy_(v.data());
                }
            });
        }
    }

    public Module train() {
        return train(true);
    }

    public Module train(boolean mode) {
        namedModules().values().forEach(m -> m.training = mode);
        return this;
    }

    public Module eval() {
        return train(false);
    }

    public boolean isTraining() {
        return training;
    }

    public void zeroGrad() {
        for (Parameter p : parameters()) {
            p.setGrad(null);
        }
    }

    public Module apply(Consumer<Module> fn) {
        for (Module m : children()) {
            m.apply(fn);
        }
        fn.accept(this);
        return this;
    }

    /**
     * Moves every parameter and buffer to {@code device} in place (the Parameter objects stay the
     * same, so an optimizer built before still holds them), as PyTorch's {@code module.to(device)}.
     * A CUDA device that is not usable fails before anything moves, saying what is missing.
     */
    public Module to(Device device) {
        if (device.isCuda()) {
            io.torus.tensor.NDArray.zeros(device, io.torus.tensor.DType.FLOAT32, 0); // fails here, before any move, if unusable
        }
        for (Tensor t : stateDict().values()) {
            t.moveTo_(device);
        }
        return this;
    }

    /** {@code True} or {@code False}, as PyTorch prints booleans in {@link #extraRepr()}. */
    protected static String pyBool(boolean b) {
        return b ? "True" : "False";
    }

    /** The layer's settings for {@link #toString()}, as PyTorch's {@code extra_repr}; empty by default. */
    protected String extraRepr() {
        return "";
    }

    /** PyTorch's module print: {@code Name(extra)}, or with children one per line, {@code (name): child}. */
    @Override
    public String toString() {
        String name = getClass().getSimpleName();
        String extra = extraRepr();
        if (modules.isEmpty()) {
            return name + "(" + extra + ")";
        }
        StringBuilder sb = new StringBuilder(name).append('(');
        if (!extra.isEmpty()) {
            sb.append("\n  ").append(extra);
        }
        modules.forEach((n, m) -> sb.append("\n  (").append(n).append("): ").append(m.toString().replace("\n", "\n  ")));
        return sb.append("\n)").toString();
    }

    /** Number of parameter elements. */
    public long numParameters() {
        return parameters().stream().mapToLong(Tensor::numel).sum();
    }

    static Collection<Parameter> ownParameters(Module m) {
        return m.parameters.values();
    }
}
