package io.torus.autograd.engine;

import io.torus.autograd.GradFn;
import io.torus.autograd.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;

/**
 * A backward function in the graph. It receives the gradients of its forward outputs and returns
 * the gradients of its forward inputs, one per {@link #next} edge (null edges need none).
 * Subclasses implement {@link #backward}; saved tensors live in {@link SavedTensor} fields and are
 * dropped by {@link #release()} once a backward without {@code retainGraph} has used them.
 *
 * <p>Nodes are numbered in creation order; the engine runs ready nodes highest number first, which
 * is the reverse of the forward order — the order DDP's gradient buckets rely on.
 */
public abstract class Node implements GradFn {
    private static final AtomicLong SEQUENCE = new AtomicLong();

    private final long sequenceNr = SEQUENCE.incrementAndGet();
    private Edge[] next;
    private int[][] inputShapes;
    private io.torus.tensor.DType[] inputDtypes;
    private final int numOutputs;
    private List<List<UnaryOperator<Tensor>>> preHooks;
    private boolean released;
    private List<SavedTensor> saved;

    protected Node(int numOutputs) {
        this.numOutputs = numOutputs;
    }

    protected Node() {
        this(1);
    }

    /** Connects this node to the producers of its inputs; called once when the op is recorded. */
    public final void connect(Tensor... inputs) {
        next = new Edge[inputs.length];
        inputShapes = new int[inputs.length][];
        inputDtypes = new io.torus.tensor.DType[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            next[i] = inputs[i] == null ? null : inputs[i].gradientEdge();
            if (next[i] != null) {
                inputShapes[i] = inputs[i].shape();
                inputDtypes[i] = inputs[i].dtype();
            }
        }
    }

    /**
     * Checks what {@link #backward} returned against the inputs recorded at {@link #connect}, as
     * PyTorch's validate_outputs does: one gradient per input, each of its input's shape, cast to
     * its input's dtype (a FLOAT32 input fed a FLOAT64 gradient gets FLOAT32).
     */
    final Tensor[] validate(Tensor[] grads) {
        if (grads.length != next.length) {
            throw new IllegalStateException(name() + " returned " + grads.length + " gradients, expected " + next.length);
        }
        for (int i = 0; i < grads.length; i++) {
            Tensor g = grads[i];
            if (g == null || next[i] == null) {
                continue;
            }
            if (!java.util.Arrays.equals(g.shape(), inputShapes[i])) {
                throw new IllegalStateException("Function " + name() + " returned an invalid gradient at index " + i
                        + " - got " + java.util.Arrays.toString(g.shape()) + " but expected shape "
                        + java.util.Arrays.toString(inputShapes[i]));
            }
            if (g.dtype() != inputDtypes[i]) {
                grads[i] = g.to(inputDtypes[i]);
            }
        }
        return grads;
    }

    public final Edge[] next() {
        return next;
    }

    public final int numOutputs() {
        return numOutputs;
    }

    public final long sequenceNr() {
        return sequenceNr;
    }

    /** Whether input {@code i} wants a gradient. */
    protected final boolean needsInputGrad(int i) {
        return next[i] != null;
    }

    @Override
    public String name() {
        return getClass().getSimpleName();
    }

    @Override
    public List<GradFn> nextFunctions() {
        List<GradFn> fns = new ArrayList<>();
        for (Edge e : next) {
            fns.add(e == null ? null : e.node());
        }
        return Collections.unmodifiableList(fns);
    }

    /**
     * Whether every gradient {@link #backward} returns is a fresh array that nothing else holds:
     * not an incoming gradient passed through, not a saved tensor, not a view of one, and no two
     * of them the same. The engine then lets {@link AccumulateGrad} keep such a gradient instead
     * of copying it (Note [Stolen gradients] in {@link Engine}). Off unless a node says so.
     */
    protected boolean freshGradients() {
        return false;
    }

    /** Gradients of the inputs from the gradients of the outputs (never null for a single output). */
    protected abstract Tensor[] backward(Tensor[] gradOutputs);

    /** Saves a tensor for backward; it is checked for in-place writes when unpacked. */
    public final SavedTensor save(Tensor t) {
        SavedTensor s = new SavedTensor(t, this);
        if (saved == null) {
            saved = new ArrayList<>();
        }
        saved.add(s);
        return s;
    }

    /** Drops the saved tensors; a later backward through this node fails with a clear error. */
    final void release() {
        released = true;
        if (saved != null) {
            saved.forEach(SavedTensor::release);
        }
    }

    final boolean released() {
        return released;
    }

    /** Registers a hook on the gradient of output {@code outputNr}; it may return a replacement. */
    public final Runnable addPreHook(int outputNr, UnaryOperator<Tensor> hook) {
        if (preHooks == null) {
            preHooks = new ArrayList<>();
            for (int i = 0; i < numOutputs; i++) {
                preHooks.add(new ArrayList<>());
            }
        }
        List<UnaryOperator<Tensor>> list = preHooks.get(outputNr);
        list.add(hook);
        return () -> list.remove(hook);
    }

    final boolean hasPreHooks() {
        if (preHooks != null) {
            for (List<UnaryOperator<Tensor>> l : preHooks) {
                if (!l.isEmpty()) {
                    return true;
                }
            }
        }
        return false;
    }

    final void runPreHooks(Tensor[] grads) {
        if (preHooks == null) {
            return;
        }
        for (int i = 0; i < numOutputs; i++) {
            for (UnaryOperator<Tensor> h : List.copyOf(preHooks.get(i))) {
                if (grads[i] != null) {
                    Tensor r = h.apply(grads[i]);
                    if (r != null) {
                        grads[i] = r;
                    }
                }
            }
        }
    }

    @Override
    public String toString() {
        return "<" + name() + ">";
    }
}
