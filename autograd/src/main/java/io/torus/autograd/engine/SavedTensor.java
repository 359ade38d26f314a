package io.torus.autograd.engine;

import io.torus.autograd.GradFn;
import io.torus.autograd.Tensor;
import io.torus.tensor.Shape;

/**
 * A tensor saved for backward, with the storage version it had when saved. Unpacking it after an
 * in-place write (or after the graph was freed) throws an error that says what happened and what
 * to do, as PyTorch's saved_variable.cpp does.
 */
public final class SavedTensor {
    private Tensor tensor;
    private final int version;
    private final String savedBy;

    SavedTensor(Tensor tensor, Node savedBy) {
        this.tensor = tensor;
        this.version = tensor.data().version();
        this.savedBy = savedBy.name();
    }

    public Tensor unpack() {
        if (tensor == null) {
            throw new IllegalStateException("Trying to backward through the graph a second time (or directly access saved"
                    + " tensors after they have already been freed). Saved intermediate values of the graph are freed when"
                    + " you call backward() or Autograd.grad(). Specify retainGraph=true if you need to backward through the"
                    + " graph a second time or if you need to access saved tensors after calling backward.");
        }
        int now = tensor.data().version();
        if (now != version) {
            GradFn producer = tensor.gradFn();
            throw new IllegalStateException("one of the variables needed for gradient computation has been modified by an"
                    + " inplace operation: [" + tensor.dtype() + " " + Shape.str(tensor.shape()) + "]"
                    + (producer != null ? ", which is output 0 of " + producer.name() : "")
                    + ", saved by " + savedBy + ", is at version " + now + "; expected version " + version + " instead.");
        }
        return tensor;
    }

    void release() {
        tensor = null;
    }
}
