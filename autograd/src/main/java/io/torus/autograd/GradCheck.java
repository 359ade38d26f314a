package io.torus.autograd;

import io.torus.tensor.DType;
import io.torus.tensor.NDArray;
import io.torus.tensor.Shape;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Compares analytical gradients with central finite differences, as {@code torch.autograd.gradcheck}
 * does. Inputs should be FLOAT64 for the comparison to be meaningful; the function's output is
 * reduced to a scalar by a fixed random projection so that every output element is checked.
 */
public final class GradCheck {
    private GradCheck() {
    }

    /** Returns true, or throws an AssertionError naming the input, element and both values. */
    public static boolean gradcheck(Function<List<Tensor>, Tensor> f, List<Tensor> inputs, double eps, double atol,
                                    double rtol) {
        Tensor probe;
        try (GradMode.Scope s = GradMode.noGrad()) {
            Tensor out = f.apply(inputs);
            probe = Tensor.wrap(NDArray.uniform(new io.torus.tensor.Generator(42), 0.5, 1.5, DType.FLOAT64, out.shape()));
        }
        List<Tensor> diffInputs = new ArrayList<>();
        for (Tensor t : inputs) {
            if (t.requiresGrad()) {
                diffInputs.add(t);
            }
        }
        Tensor out = f.apply(inputs);
        Tensor scalar = out.to(DType.FLOAT64).mul(probe).sum();
        List<Tensor> analytical = Autograd.grad(List.of(scalar), diffInputs, null, false, false, true);
        for (int k = 0; k < diffInputs.size(); k++) {
            Tensor x = diffInputs.get(k);
            NDArray data = x.data();
            long n = x.numel();
            for (long i = 0; i < n; i++) {
                double orig = data.getDouble(i);
                double plus;
                double minus;
                try (GradMode.Scope s = GradMode.noGrad()) {
                    data.setDouble(i, orig + eps);
                    plus = f.apply(inputs).to(DType.FLOAT64).mul(probe).sum().item();
                    data.setDouble(i, orig - eps);
                    minus = f.apply(inputs).to(DType.FLOAT64).mul(probe).sum().item();
                    data.setDouble(i, orig);
                }
                double numeric = (plus - minus) / (2 * eps);
                double analytic = analytical.get(k) == null ? 0 : analytical.get(k).data().getDouble(i);
                if (Math.abs(numeric - analytic) > atol + rtol * Math.abs(numeric)) {
                    throw new AssertionError("gradcheck: input " + k + " " + Shape.str(x.shape()) + " element " + i
                            + ": numerical " + numeric + " vs analytical " + analytic);
                }
            }
        }
        return true;
    }
}
