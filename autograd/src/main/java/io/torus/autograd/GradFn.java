package io.torus.autograd;

import java.util.List;

/** The backward function that produced a non-leaf tensor, as {@link Tensor#gradFn()} shows it. */
public interface GradFn {
    /** PyTorch's name for the node, e.g. {@code MulBackward0}. */
    String name();

    /** The functions gradients flow to next, one per input (null where the input needs no grad). */
    List<GradFn> nextFunctions();
}
