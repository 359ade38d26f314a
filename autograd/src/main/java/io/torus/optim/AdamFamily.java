package io.torus.optim;

import io.torus.nn.Parameter;
import io.torus.tensor.DType;
import io.torus.tensor.NDArray;
import io.torus.tensor.op.BinaryOp;
import io.torus.tensor.op.UnaryOp;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The update shared by {@link Adam} and {@link AdamW} (Kingma &amp; Ba 2015, Algorithm 1;
 * Loshchilov &amp; Hutter 2019 for the decoupled decay), in the order of PyTorch 1.13's
 * {@code _single_tensor_adam}/{@code _single_tensor_adamw}, for step {@code t} (counted from 1):
 * <pre>
 *   Adam:   g = grad + weight_decay·p            (L2 penalty folded into the gradient)
 *   AdamW:  p = p·(1 − lr·weight_decay)          (decoupled decay), g = grad
 *   m = beta1·m + (1 − beta1)·g                  (state "exp_avg", zeros before step 1)
 *   v = beta2·v + (1 − beta2)·g²                 (state "exp_avg_sq")
 *   v̂ = amsgrad ? (vmax = max(vmax, v)) : v      (state "max_exp_avg_sq" with amsgrad)
 *   p = p − lr/(1 − beta1^t) · m / (sqrt(v̂)/sqrt(1 − beta2^t) + eps)
 * </pre>
 * Settings: {@code lr}, {@code beta1}, {@code beta2}, {@code eps}, {@code weight_decay},
 * {@code amsgrad} (1 or 0); the step count {@code t} is the 0-d INT64 state {@code "step"}.
 */
abstract class AdamFamily extends Optimizer {
    private static final List<StateSpec> STATE = List.of(new StateSpec("step", true), new StateSpec("exp_avg", false),
            new StateSpec("exp_avg_sq", false), new StateSpec("max_exp_avg_sq", false));

    private final boolean decoupled;

    AdamFamily(List<Parameter> params, Map<String, Double> defaults, boolean decoupled) {
        super(params, defaults);
        this.decoupled = decoupled;
    }

    AdamFamily(Collection<ParamGroup> groups, Map<String, Double> defaults, boolean decoupled) {
        super(groups, defaults);
        this.decoupled = decoupled;
    }

    static Map<String, Double> defaults(double lr, double beta1, double beta2, double eps, double weightDecay, boolean amsgrad) {
        Map<String, Double> d = new LinkedHashMap<>();
        d.put("lr", lr);
        d.put("beta1", beta1);
        d.put("beta2", beta2);
        d.put("eps", eps);
        d.put("weight_decay", weightDecay);
        d.put("amsgrad", amsgrad ? 1.0 : 0.0);
        return d;
    }

    @Override
    protected void validate(ParamGroup group, int index) {
        super.validate(group, index);
        for (int i = 0; i < 2; i++) {
            double beta = group.get("beta" + (i + 1));
            if (!(beta >= 0 && beta < 1)) {
                throw new IllegalArgumentException("Invalid beta parameter at index " + i + ": " + beta
                        + " (expected 0 <= beta < 1) in parameter group " + index);
            }
        }
        if (!(group.get("eps") >= 0)) {
            throw new IllegalArgumentException("Invalid epsilon value: " + group.get("eps") + " (expected >= 0) in parameter group "
                    + index);
        }
        if (!(group.get("weight_decay") >= 0)) {
            throw new IllegalArgumentException("Invalid weight_decay value: " + group.get("weight_decay")
                    + " (expected >= 0) in parameter group " + index);
        }
    }

    @Override
    protected List<StateSpec> stateSpec() {
        return STATE;
    }

    @Override
    protected void update(Parameter p, NDArray grad, ParamGroup group, Map<String, NDArray> state) {
        double lr = group.lr();
        double beta1 = group.get("beta1");
        double beta2 = group.get("beta2");
        double weightDecay = group.get("weight_decay");
        boolean amsgrad = group.flag("amsgrad");
        NDArray param = p.data();
        if (state.isEmpty()) {
            state.put("step", NDArray.zeros(DType.INT64));
            state.put("exp_avg", NDArray.zeros(param.device(), param.dtype(), param.shape()));
            state.put("exp_avg_sq", NDArray.zeros(param.device(), param.dtype(), param.shape()));
        }
        if (amsgrad) {
            state.computeIfAbsent("max_exp_avg_sq", k -> NDArray.zeros(param.device(), param.dtype(), param.shape()));
        }
        NDArray stepT = state.get("step");
        long t = stepT.getLong(0) + 1;
        stepT.setDouble(0, t);

        NDArray g = grad;
        if (weightDecay != 0) {
            if (decoupled) {
                param.binary_(BinaryOp.MUL, 1 - lr * weightDecay);
            } else {
                g = g.add(param.binary(BinaryOp.MUL, weightDecay));
            }
        }
        NDArray m = state.get("exp_avg");
        NDArray v = state.get("exp_avg_sq");
        m.binary_(BinaryOp.MUL, beta1).binary_(BinaryOp.ADD, g.binary(BinaryOp.MUL, 1 - beta1));
        v.binary_(BinaryOp.MUL, beta2).binary_(BinaryOp.ADD, g.mul(g).binary(BinaryOp.MUL, 1 - beta2));
        NDArray vHat = v;
        if (amsgrad) {
            vHat = state.get("max_exp_avg_sq").binary_(BinaryOp.MAX, v);
        }
        double stepSize = lr / (1 - Math.pow(beta1, t));
        double biasCorrection2Sqrt = Math.sqrt(1 - Math.pow(beta2, t));
        NDArray denom = vHat.unary(UnaryOp.SQRT).binary_(BinaryOp.DIV, biasCorrection2Sqrt).binary_(BinaryOp.ADD, group.get("eps"));
        param.binary_(BinaryOp.SUB, m.div(denom).binary_(BinaryOp.MUL, stepSize));
    }
}
