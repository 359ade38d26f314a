package io.torus.data;

import io.torus.autograd.Tensor;

/** One example: its input and its target. */
public record Sample(Tensor input, Tensor target) {
}
