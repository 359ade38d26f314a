package io.torus.nn;

/** How a loss combines per-element losses. */
public enum Reduction {
    MEAN, SUM, NONE
}
