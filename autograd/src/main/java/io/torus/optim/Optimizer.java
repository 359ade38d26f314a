package io.torus.optim;

import io.torus.autograd.GradMode;
import io.torus.autograd.Tensor;
import io.torus.nn.Parameter;
import io.torus.tensor.DType;
import io.torus.tensor.NDArray;
import io.torus.tensor.Shape;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Updates parameters from their gradients, one {@link ParamGroup} at a time.
 *
 * <p>Subclasses declare their hyperparameters with defaults (the map passed to the constructor,
 * {@code "lr"} first), the per-parameter state they keep ({@link #stateSpec()}), and the update of
 * one parameter ({@link #update}); this class owns the groups, the state, {@link #step()} and the
 * state dict.
 *
 * <p>Note [Optimizer state dict]. {@link #stateDict()} is a flat, ordered map that
 * {@link io.torus.io.Checkpoint} can save, laid out as PyTorch's nested one flattened with dots.
 * Parameters are numbered 0, 1, ... across the groups in group order. For group {@code g}:
 * {@code param_groups.g.params} (INT64, the numbers of its parameters) and one 0-d FLOAT64 tensor
 * per setting ({@code param_groups.g.lr}, {@code param_groups.g.momentum}, ...). For parameter
 * {@code i} that has state: {@code state.i.NAME} for each state tensor ({@code momentum_buffer};
 * {@code step}, {@code exp_avg}, {@code exp_avg_sq}). {@link #loadStateDict} checks the group
 * layout, the settings' names and the state's names and shapes against this optimiser and names
 * the first thing that differs.
 */
public abstract class Optimizer {
    /** One kind of per-parameter state: either shaped like its parameter or a 0-d INT64 counter. */
    protected record StateSpec(String name, boolean counter) {
    }

    private final String name;
    private final Map<String, Double> defaults;
    private final List<ParamGroup> groups = new ArrayList<>();
    private final Map<Parameter, Map<String, NDArray>> state = new IdentityHashMap<>();

    /** One group holding {@code params}, every setting from {@code defaults}. */
    protected Optimizer(List<Parameter> params, Map<String, Double> defaults) {
        this(List.of(new ParamGroup(emptyCheck(params))), defaults);
    }

    /**
     * Groups with their own settings; what a group leaves out comes from {@code defaults}
     * ({@code "lr"} first, then the optimiser's hyperparameters in their documented order).
     */
    protected Optimizer(Collection<ParamGroup> groups, Map<String, Double> defaults) {
        this.name = getClass().getSimpleName();
        if (groups.isEmpty()) {
            throw new IllegalArgumentException(name + ": optimizer got an empty list of parameter groups");
        }
        if (!defaults.containsKey("lr")) {
            throw new IllegalArgumentException(name + ": defaults must contain lr, got " + defaults.keySet());
        }
        this.defaults = Collections.unmodifiableMap(new LinkedHashMap<>(defaults));
        for (ParamGroup given : groups) {
            addParamGroup(given);
        }
    }

    /**
     * Adds a group (PyTorch's {@code add_param_group}), filling in the defaults; typically to train
     * layers unfrozen part-way through. A scheduler built earlier does not cover it.
     *
     * @throws IllegalArgumentException for a setting this optimiser does not take, a parameter
     *     already in a group, or a setting out of range, naming the group
     */
    public final void addParamGroup(ParamGroup given) {
        int g = groups.size();
        for (String option : given.options().keySet()) {
            if (!defaults.containsKey(option) && !option.equals(ParamGroup.INITIAL_LR)) {
                throw new IllegalArgumentException(name + ": parameter group " + g + " sets '" + option + "', which "
                        + name + " does not take (it takes " + defaults.keySet() + ")");
            }
        }
        Set<Parameter> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        groups.forEach(existing -> seen.addAll(existing.params()));
        for (Parameter p : given.params()) {
            if (!seen.add(p)) {
                throw new IllegalArgumentException(name + ": a parameter of shape " + Shape.str(p.shape())
                        + " appears in more than one parameter group (again in group " + g + ")");
            }
        }
        ParamGroup group = new ParamGroup(given.params());
        defaults.forEach((k, v) -> group.set(k, given.has(k) ? given.get(k) : v));
        if (given.has(ParamGroup.INITIAL_LR)) {
            group.set(ParamGroup.INITIAL_LR, given.get(ParamGroup.INITIAL_LR));
        }
        validate(group, g);
        groups.add(group);
    }

    private static List<Parameter> emptyCheck(List<Parameter> params) {
        if (params.isEmpty()) {
            throw new IllegalArgumentException("optimizer got an empty parameter list");
        }
        return params;
    }

    // ---------------------------------------------------------------- what subclasses define

    /**
     * Rejects settings that make no sense; the message names the group, the setting and its value.
     * Runs inside the constructor, so it must read only {@code group}, not the subclass's fields.
     */
    protected void validate(ParamGroup group, int index) {
        double lr = group.lr();
        if (!(lr >= 0)) {
            throw new IllegalArgumentException("Invalid learning rate: " + lr + " (expected >= 0) in parameter group " + index);
        }
    }

    /** The per-parameter state this optimiser keeps, in the order the state dict lists it. */
    protected abstract List<StateSpec> stateSpec();

    /**
     * Updates {@code p} in place from its gradient {@code grad} (the parameter's own dtype),
     * reading settings from {@code group} and keeping tensors in {@code state} (empty before the
     * parameter's first step; names from {@link #stateSpec()}). Runs with gradients disabled.
     */
    protected abstract void update(Parameter p, NDArray grad, ParamGroup group, Map<String, NDArray> state);

    // ---------------------------------------------------------------- training loop

    /** One update of every parameter that has a gradient; parameters without one are skipped. */
    public void step() {
        try (GradMode.Scope s = GradMode.noGrad()) {
            for (ParamGroup g : groups) {
                for (Parameter p : g.params()) {
                    if (p.grad() != null) {
                        update(p, p.grad().data(), g, state.computeIfAbsent(p, k -> new LinkedHashMap<>()));
                    }
                }
            }
        }
    }

    /** Sets every gradient to null (PyTorch's default {@code set_to_none=True}). */
    public void zeroGrad() {
        for (ParamGroup g : groups) {
            for (Parameter p : g.params()) {
                p.setGrad(null);
            }
        }
    }

    /** The groups with their current settings; change a group's lr or options between steps. */
    public List<ParamGroup> paramGroups() {
        return Collections.unmodifiableList(groups);
    }

    /** The default settings, {@code "lr"} first. */
    public Map<String, Double> defaults() {
        return defaults;
    }

    /** Every parameter, in group order (the numbering of the state dict). */
    public List<Parameter> params() {
        List<Parameter> all = new ArrayList<>();
        groups.forEach(g -> all.addAll(g.params()));
        return all;
    }

    /** The learning rate of the first group. */
    public double lr() {
        return groups.get(0).lr();
    }

    /** Sets the learning rate of every group. */
    public void setLr(double lr) {
        if (!(lr >= 0)) {
            throw new IllegalArgumentException(name + ".setLr: invalid learning rate " + lr + " (expected >= 0)");
        }
        groups.forEach(g -> g.setLr(lr));
    }

    /** The state of one parameter by name: the live tensors, for inspection (empty before its first step). */
    public Map<String, Tensor> state(Parameter p) {
        Map<String, NDArray> s = state.getOrDefault(p, Map.of());
        Map<String, Tensor> out = new LinkedHashMap<>();
        s.forEach((k, v) -> out.put(k, Tensor.wrap(v)));
        return Collections.unmodifiableMap(out);
    }

    // ---------------------------------------------------------------- state dict

    /** A snapshot (copies) of the groups' settings and the per-parameter state: Note [Optimizer state dict]. */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        int index = 0;
        for (int g = 0; g < groups.size(); g++) {
            ParamGroup group = groups.get(g);
            long[] ids = new long[group.params().size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = index++;
            }
            out.put("param_groups." + g + ".params", Tensor.wrap(NDArray.of(ids, ids.length)));
            for (Map.Entry<String, Double> o : group.options().entrySet()) {
                out.put("param_groups." + g + "." + o.getKey(), Tensor.wrap(NDArray.scalar(o.getValue(), DType.FLOAT64)));
            }
        }
        List<Parameter> all = params();
        for (int i = 0; i < all.size(); i++) {
            Map<String, NDArray> s = state.get(all.get(i));
            if (s != null) {
                for (StateSpec spec : stateSpec()) {
                    NDArray v = s.get(spec.name());
                    if (v != null) {
                        out.put("state." + i + "." + spec.name(), Tensor.wrap(v.copy()));
                    }
                }
            }
        }
        return out;
    }

    /**
     * Replaces the groups' settings and the per-parameter state with copies of those in
     * {@code stateDict} (as written by {@link #stateDict()} of an optimiser of the same kind over
     * parameters of the same shapes in the same groups). Nothing changes when a check fails.
     *
     * @throws IllegalArgumentException naming the first key, group, shape or setting that does not
     *     match this optimiser
     */
    public void loadStateDict(Map<String, Tensor> stateDict) {
        String what = name + ".loadStateDict: ";
        // Group the keys: param_groups.G.OPTION and state.I.NAME.
        Map<Integer, Map<String, Tensor>> groupKeys = new TreeMap<>();
        Map<Integer, Map<String, Tensor>> stateKeys = new TreeMap<>();
        for (Map.Entry<String, Tensor> e : stateDict.entrySet()) {
            String[] parts = e.getKey().split("\\.", 3);
            Map<Integer, Map<String, Tensor>> into = parts[0].equals("param_groups") ? groupKeys
                    : parts[0].equals("state") ? stateKeys : null;
            Integer n = parts.length == 3 ? parseIndex(parts[1]) : null;
            if (into == null || n == null) {
                throw new IllegalArgumentException(what + "unexpected key '" + e.getKey()
                        + "' (expected param_groups.G.SETTING or state.I.NAME)");
            }
            into.computeIfAbsent(n, k -> new LinkedHashMap<>()).put(parts[2], e.getValue());
        }
        if (!groupKeys.keySet().equals(range(groups.size()))) {
            throw new IllegalArgumentException(what + "the state dict has parameter groups " + groupKeys.keySet() + ", this "
                    + name + " has " + groups.size() + " " + range(groups.size()));
        }
        List<Parameter> all = params();
        List<Map<String, Double>> newOptions = new ArrayList<>();
        int index = 0;
        for (int g = 0; g < groups.size(); g++) {
            Map<String, Tensor> keys = groupKeys.get(g);
            ParamGroup group = groups.get(g);
            Tensor ids = keys.get("params");
            long[] expected = new long[group.params().size()];
            for (int i = 0; i < expected.length; i++) {
                expected[i] = index++;
            }
            if (ids == null || !Arrays.equals(ids.toLongArray(), expected)) {
                throw new IllegalArgumentException(what + "parameter group " + g + " holds parameters "
                        + (ids == null ? "(key param_groups." + g + ".params missing)" : Arrays.toString(ids.toLongArray()))
                        + " in the state dict but " + Arrays.toString(expected) + " here (" + expected.length + " parameters)");
            }
            Map<String, Double> options = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : keys.entrySet()) {
                String option = e.getKey();
                if (option.equals("params")) {
                    continue;
                }
                if (!defaults.containsKey(option) && !option.equals(ParamGroup.INITIAL_LR)) {
                    throw new IllegalArgumentException(what + "param_groups." + g + "." + option + " is not a setting of "
                            + name + " (it takes " + defaults.keySet() + ")");
                }
                if (e.getValue().numel() != 1) {
                    throw new IllegalArgumentException(what + "param_groups." + g + "." + option + " has shape "
                            + Shape.str(e.getValue().shape()) + ", expected a 0-d tensor");
                }
                options.put(option, e.getValue().item());
            }
            Set<String> missing = new LinkedHashSet<>(defaults.keySet());
            missing.removeAll(options.keySet());
            if (!missing.isEmpty()) {
                throw new IllegalArgumentException(what + "parameter group " + g + " lacks " + missing + " in the state dict");
            }
            newOptions.add(options);
        }
        Map<Parameter, Map<String, NDArray>> newState = new IdentityHashMap<>();
        for (Map.Entry<Integer, Map<String, Tensor>> e : stateKeys.entrySet()) {
            int i = e.getKey();
            if (i >= all.size()) {
                throw new IllegalArgumentException(what + "the state dict has state for parameter " + i + " but this " + name
                        + " has " + all.size() + " parameters (0.." + (all.size() - 1) + ")");
            }
            Parameter p = all.get(i);
            Map<String, NDArray> s = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> v : e.getValue().entrySet()) {
                StateSpec spec = stateSpec().stream().filter(x -> x.name().equals(v.getKey())).findFirst().orElseThrow(
                        () -> new IllegalArgumentException(what + "state." + i + "." + v.getKey() + " is not state of " + name
                                + " (it keeps " + stateSpec().stream().map(StateSpec::name).toList() + ")"));
                NDArray value = v.getValue().data();
                int[] shape = spec.counter() ? new int[0] : p.shape();
                if (!Arrays.equals(value.shape(), shape)) {
                    throw new IllegalArgumentException(what + "state." + i + "." + spec.name() + " has shape "
                            + Shape.str(value.shape()) + " but parameter " + i + " needs " + Shape.str(shape));
                }
                s.put(spec.name(), value.to(spec.counter() ? DType.INT64 : p.dtype()).copy());
            }
            newState.put(p, s);
        }
        for (int g = 0; g < groups.size(); g++) {
            ParamGroup check = new ParamGroup(groups.get(g).params());
            newOptions.get(g).forEach(check::set);
            validate(check, g);
        }
        // Every check passed: apply.
        for (int g = 0; g < groups.size(); g++) {
            ParamGroup group = groups.get(g);
            newOptions.get(g).forEach(group::set);
            if (!newOptions.get(g).containsKey(ParamGroup.INITIAL_LR)) {
                group.remove(ParamGroup.INITIAL_LR);
            }
        }
        state.clear();
        state.putAll(newState);
    }

    private static Integer parseIndex(String s) {
        if (s.isEmpty() || s.length() > 9 || !s.chars().allMatch(Character::isDigit)) {
            return null;
        }
        return Integer.parseInt(s);
    }

    private static Set<Integer> range(int n) {
        Set<Integer> out = new LinkedHashSet<>();
        for (int i = 0; i < n; i++) {
            out.add(i);
        }
        return out;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(name).append(" (");
        for (int g = 0; g < groups.size(); g++) {
            sb.append("\nParameter Group ").append(g);
            groups.get(g).options().forEach((k, v) -> sb.append("\n    ").append(k).append(": ").append(v));
        }
        return sb.append("\n)").toString();
    }
}
