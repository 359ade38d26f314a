package io.torus.comm;

/** How a collective combines the contributions of all ranks, element by element. */
public enum ReduceOp {
    SUM, AVG, MAX, MIN
}
