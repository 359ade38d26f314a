package io.torus.nn;

/**
 * Which fan the Kaiming initialisers scale by, as PyTorch's {@code mode='fan_in'|'fan_out'}:
 * {@code FAN_IN} preserves the variance of the activations in the forward pass, {@code FAN_OUT}
 * that of the gradients in the backward pass. See {@link Init#fans}.
 */
public enum FanMode {
    FAN_IN, FAN_OUT
}
