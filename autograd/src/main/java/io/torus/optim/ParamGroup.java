package io.torus.optim;

import io.torus.nn.Parameter;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parameters that share optimiser settings, as a PyTorch {@code param_groups} entry: the
 * parameters, the learning rate under the name {@code "lr"} and the optimiser's other
 * hyperparameters by their PyTorch names ({@code "momentum"}, {@code "weight_decay"},
 * {@code "beta1"}, ...). Flags such as {@code "nesterov"} are stored as 1 or 0.
 *
 * <p>A group built by the user names only what differs from the optimiser's defaults:
 * <pre>{@code
 * new SGD(List.of(new ParamGroup(backbone.parameters()),
 *                 new ParamGroup(head.parameters()).set("lr", 0.1)),
 *         0.01, 0.9, 0, 0, false);
 * }</pre>
 * The optimiser copies each group, fills in its defaults and rejects names it does not know;
 * {@link Optimizer#paramGroups()} returns those copies, whose settings (the lr above all, which
 * schedulers change) may be changed between steps.
 */
public final class ParamGroup {
    /** Where a scheduler keeps the lr it was built against, as PyTorch's {@code initial_lr}. */
    public static final String INITIAL_LR = "initial_lr";

    private final List<Parameter> params;
    private final Map<String, Double> options = new LinkedHashMap<>();

    /** A group that takes every setting from the optimiser's defaults. */
    public ParamGroup(List<Parameter> params) {
        if (params.isEmpty()) {
            throw new IllegalArgumentException("ParamGroup: a parameter group needs at least one parameter, got an empty list");
        }
        this.params = List.copyOf(params);
    }

    /** A group with its own learning rate. */
    public ParamGroup(List<Parameter> params, double lr) {
        this(params);
        set("lr", lr);
    }

    public List<Parameter> params() {
        return params;
    }

    public double lr() {
        return get("lr");
    }

    public ParamGroup setLr(double lr) {
        return set("lr", lr);
    }

    /** Sets a hyperparameter (a flag as 1 or 0) and returns this group. */
    public ParamGroup set(String option, double value) {
        if (Double.isNaN(value)) {
            throw new IllegalArgumentException("ParamGroup.set: " + option + " is NaN (expected a number)");
        }
        options.put(option, value);
        return this;
    }

    public boolean has(String option) {
        return options.containsKey(option);
    }

    /** The value of {@code option}; throws naming the option and the ones this group has. */
    public double get(String option) {
        Double v = options.get(option);
        if (v == null) {
            throw new IllegalArgumentException("ParamGroup: no option '" + option + "' (this group has " + options.keySet() + ")");
        }
        return v;
    }

    /** A flag option: true when its value is not 0. */
    public boolean flag(String option) {
        return get(option) != 0;
    }

    /** Every setting in insertion order (lr first once an optimiser has filled the defaults). */
    public Map<String, Double> options() {
        return Collections.unmodifiableMap(options);
    }

    void remove(String option) {
        options.remove(option);
    }

    @Override
    public String toString() {
        return "ParamGroup" + options + " (" + params.size() + " parameters)";
    }
}
