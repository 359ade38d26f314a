package io.torus.autograd;

import io.torus.autograd.engine.SavedTensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a custom {@link Function} keeps between its forward and its backward: saved tensors
 * (checked for in-place modification when unpacked), arbitrary non-tensor state, which inputs
 * need a gradient, and which outputs were modified in place or are not differentiable.
 */
public final class Context {
    private final boolean[] needsInputGrad;
    private final List<Tensor> toSave = new ArrayList<>();
    private List<SavedTensor> saved;
    private final Map<String, Object> state = new HashMap<>();
    private final Set<Tensor> dirty = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Set<Tensor> nonDifferentiable = Collections.newSetFromMap(new IdentityHashMap<>());

    Context(boolean[] needsInputGrad) {
        this.needsInputGrad = needsInputGrad;
    }

    /** Keeps tensors for backward; call from forward. Inputs and outputs may both be saved. */
    public void saveForBackward(Tensor... tensors) {
        toSave.clear();
        toSave.addAll(List.of(tensors));
    }

    /** The tensors saved in forward, in order; fails if one was modified in place since. */
    public List<Tensor> savedTensors() {
        if (saved == null) {
            return List.copyOf(toSave);
        }
        List<Tensor> out = new ArrayList<>(saved.size());
        for (SavedTensor s : saved) {
            out.add(s == null ? null : s.unpack());
        }
        return out;
    }

    /** Whether input {@code i} of forward requires a gradient. */
    public boolean needsInputGrad(int i) {
        if (i < 0 || i >= needsInputGrad.length) {
            throw new IllegalArgumentException("needsInputGrad: input " + i + " out of range (forward took "
                    + needsInputGrad.length + " inputs)");
        }
        return needsInputGrad[i];
    }

    public void put(String key, Object value) {
        state.put(key, value);
    }

    @SuppressWarnings("unchecked")
    public <T> T get(String key) {
        if (!state.containsKey(key)) {
            throw new IllegalArgumentException("Context.get: no value stored under '" + key + "' (stored: " + state.keySet() + ")");
        }
        return (T) state.get(key);
    }

    /** Declares inputs that forward modified in place (they must be returned as outputs). */
    public void markDirty(Tensor... tensors) {
        dirty.addAll(List.of(tensors));
    }

    /** Declares outputs that have no gradient (e.g. indices); backward receives null for them. */
    public void markNonDifferentiable(Tensor... tensors) {
        nonDifferentiable.addAll(List.of(tensors));
    }

    List<Tensor> toSave() {
        return toSave;
    }

    void setSaved(List<SavedTensor> saved) {
        this.saved = saved;
    }

    boolean isDirty(Tensor t) {
        return dirty.contains(t);
    }

    boolean isNonDifferentiable(Tensor t) {
        return nonDifferentiable.contains(t);
    }

    void release() {
        saved = List.of();
        toSave.clear();
    }
}
