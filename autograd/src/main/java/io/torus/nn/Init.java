package io.torus.nn;

import io.torus.autograd.GradMode;
import io.torus.autograd.Tensor;

/** In-place initialisers (they run without recording a graph and return the tensor). */
public final class Init {
    private Init() {
    }

    public static Tensor uniform_(Tensor t, double a, double b) {
        try (GradMode.Scope s = GradMode.noGrad()) {
            t.data().uniform_(io.torus.tensor.Generator.global(), a, b);
        }
        return t;
    }

    public static Tensor normal_(Tensor t, double mean, double std) {
        try (GradMode.Scope s = GradMode.noGrad()) {
            t.data().normal_(io.torus.tensor.Generator.global(), mean, std);
        }
        return t;
    }

    public static Tensor constant_(Tensor t, double v) {
        try (GradMode.Scope s = GradMode.noGrad()) {
            t.data().fill_(v);
        }
        return t;
    }

    public static Tensor zeros_(Tensor t) {
        return constant_(t, 0);
    }

    public static Tensor ones_(Tensor t) {
        return constant_(t, 1);
    }
}
