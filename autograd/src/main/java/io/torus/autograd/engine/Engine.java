package io.torus.autograd.engine;

import io.torus.autograd.GradMode;
import io.torus.autograd.Tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * Runs a backward pass in the three steps of PyTorch's engine.cpp:
 * <ol>
 *   <li><b>Count dependencies</b>: walk the graph from the roots with an explicit work list (no
 *       recursion, so a 100,000-op chain is fine) and count, for every reachable node, the edges
 *       that point at it.</li>
 *   <li><b>Ready queue</b>: a node runs once every edge into it has delivered; among ready nodes
 *       the most recently created runs first.</li>
 *   <li><b>Input buffers</b>: gradients arriving at the same output slot are summed before the
 *       node runs; {@link AccumulateGrad} nodes at the leaves add into {@code grad}.</li>
 * </ol>
 * Without {@code retainGraph} every node that ran releases its saved tensors afterwards. The
 * engine keeps no state between calls, so backward passes on disjoint graphs may run
 * concurrently on different threads.
 *
 * <p>Note [Stolen gradients]: a leaf's first gradient used to be copied into {@code grad}, since
 * the tensor arriving at {@code AccumulateGrad} may be held elsewhere (an incoming gradient passed
 * through by an add, a saved tensor, the caller's own root gradient), and a later accumulation
 * writes into {@code grad} in place. PyTorch steals it when its reference count says nobody else
 * holds it; Java has no reference counts, so the engine tracks it instead: a gradient is
 * <em>owned</em> when the node that produced it declares its gradients fresh
 * ({@link Node#freshGradients()}, e.g. the fused linear) or when the engine made it by summing
 * two arrivals. {@code AccumulateGrad} keeps an owned, contiguous gradient as it is when no
 * graph is being recorded and the leaf has no hooks that could have kept a reference to it. For
 * an MLP this saves a copy of every weight gradient per step (the 784 x 256 one: 0.8 MB).
 */
public final class Engine {
    private Engine() {
    }

    /**
     * Backpropagates {@code grads} from {@code roots}. When {@code capture} is non-empty (the
     * {@code Autograd.grad} form) the gradients arriving at those edges are returned instead of
     * being accumulated into leaves, and no {@code AccumulateGrad} node runs.
     */
    public static Tensor[] execute(List<Edge> roots, List<Tensor> grads, boolean retainGraph, boolean createGraph,
                                   List<Edge> capture) {
        Map<Node, Integer> dependencies = countDependencies(roots);
        Set<Tensor> owned = Collections.newSetFromMap(new IdentityHashMap<>());
        Map<Node, Tensor[]> buffers = new IdentityHashMap<>();
        PriorityQueue<Node> ready = new PriorityQueue<>(Comparator.comparingLong(Node::sequenceNr).reversed());
        Map<Node, List<int[]>> captureSlots = new HashMap<>();
        Tensor[] captured = new Tensor[capture.size()];
        for (int i = 0; i < capture.size(); i++) {
            Edge e = capture.get(i);
            if (e != null) {
                captureSlots.computeIfAbsent(e.node(), n -> new ArrayList<>()).add(new int[] {e.inputNr(), i});
            }
        }
        for (int i = 0; i < roots.size(); i++) {
            Edge r = roots.get(i);
            if (r == null) {
                continue;
            }
            accumulate(buffers, r, grads.get(i), owned);
        }
        for (Edge r : roots) {
            if (r != null && dependencies.get(r.node()) == 0 && !ready.contains(r.node())) {
                ready.add(r.node());
            }
        }
        List<Node> ran = new ArrayList<>();
        try (GradMode.Scope mode = GradMode.set(createGraph)) {
            while (!ready.isEmpty()) {
                Node node = ready.poll();
                Tensor[] in = buffers.remove(node);
                if (in == null) {
                    in = new Tensor[node.numOutputs()];
                }
                node.runPreHooks(in);
                List<int[]> slots = captureSlots.get(node);
                if (slots != null) {
                    for (int[] s : slots) {
                        captured[s[1]] = in[s[0]];
                    }
                }
                Tensor[] out = null;
                boolean skip = (!capture.isEmpty() && node instanceof AccumulateGrad) || allNull(in);
                if (!skip) {
                    if (node.released()) {
                        throw new IllegalStateException("Trying to backward through the graph a second time (or directly"
                                + " access saved tensors after they have already been freed). Saved intermediate values of"
                                + " the graph are freed when you call backward() or Autograd.grad(). Specify"
                                + " retainGraph=true if you need to backward through the graph a second time.");
                    }
                    if (node instanceof AccumulateGrad leaf) {
                        out = leaf.accumulate(in[0], !createGraph && owned.contains(in[0]) && !node.hasPreHooks());
                    } else {
                        out = node.validate(node.backward(in));
                        if (node.freshGradients()) {
                            for (Tensor t : out) {
                                if (t != null) {
                                    owned.add(t);
                                }
                            }
                        }
                    }
                    ran.add(node);
                }
                Edge[] next = node.next();
                for (int i = 0; i < next.length; i++) {
                    Edge e = next[i];
                    if (e == null) {
                        continue;
                    }
                    if (out != null && out[i] != null) {
                        accumulate(buffers, e, out[i], owned);
                    }
                    int left = dependencies.merge(e.node(), -1, Integer::sum);
                    if (left == 0) {
                        ready.add(e.node());
                    }
                }
            }
        }
        if (!retainGraph) {
            ran.forEach(n -> {
                if (!(n instanceof AccumulateGrad)) {
                    n.release();
                }
            });
        }
        return captured;
    }

    private static boolean allNull(Tensor[] in) {
        for (Tensor t : in) {
            if (t != null) {
                return false;
            }
        }
        return true;
    }

    private static void accumulate(Map<Node, Tensor[]> buffers, Edge e, Tensor g, Set<Tensor> owned) {
        Tensor[] buf = buffers.computeIfAbsent(e.node(), n -> new Tensor[n.numOutputs()]);
        Tensor old = buf[e.inputNr()];
        if (old == null) {
            buf[e.inputNr()] = g;
        } else {
            Tensor sum = old.add(g);
            owned.add(sum);
            buf[e.inputNr()] = sum;
        }
    }

    private static Map<Node, Integer> countDependencies(List<Edge> roots) {
        Map<Node, Integer> deps = new IdentityHashMap<>();
        Deque<Node> work = new ArrayDeque<>();
        for (Edge r : roots) {
            if (r != null && !deps.containsKey(r.node())) {
                deps.put(r.node(), 0);
                work.push(r.node());
            }
        }
        while (!work.isEmpty()) {
            Node n = work.pop();
            for (Edge e : n.next()) {
                if (e == null) {
                    continue;
                }
                Integer c = deps.get(e.node());
                if (c == null) {
                    deps.put(e.node(), 1);
                    work.push(e.node());
                } else {
                    deps.put(e.node(), c + 1);
                }
            }
        }
        return deps;
    }
}
