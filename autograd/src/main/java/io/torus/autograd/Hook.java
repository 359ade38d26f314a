package io.torus.autograd;

/** A registered hook; {@link #remove()} unregisters it. */
public interface Hook {
    void remove();
}
