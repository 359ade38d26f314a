package io.torus.nn;

import io.torus.autograd.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModuleTest {

    @Test
    void namedParameters_dottedNamesInRegistrationOrder() {
        Sequential m = new Sequential(new Linear(4, 3), new ReLU(), new Linear(3, 2));
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), List.copyOf(m.namedParameters().keySet()));
        assertEquals(4 * 3 + 3 + 3 * 2 + 2, m.numParameters());
    }

    @Test
    void loadStateDict_strictReportsMissingUnexpectedAndMisshaped() {
        Sequential m = new Sequential(new Linear(4, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> m.loadStateDict(Map.of("0.weight", Tensor.zeros(2, 2), "extra", Tensor.zeros(1)), true));
        assertTrue(e.getMessage().contains("Missing key(s) in state_dict: [0.bias]"), e.getMessage());
        assertTrue(e.getMessage().contains("Unexpected key(s) in state_dict: [extra]"), e.getMessage());
        assertTrue(e.getMessage().contains("size mismatch for 0.weight"), e.getMessage());
    }

    @Test
    void loadStateDict_copiesValues() {
        Linear a = new Linear(2, 2);
        Linear b = new Linear(2, 2);
        b.loadStateDict(a.stateDict(), true);
        assertArrayEquals(a.weight().toFloatArray(), b.weight().toFloatArray());
    }

    @Test
    void linear_gradientsMatchFiniteDifferences() {
        Linear l = new Linear(3, 2);
        Tensor x = Tensor.of(new float[][] {{0.5f, -1f, 2f}, {1f, 0f, -0.5f}});
        Tensor target = Tensor.ofLongs(1, 0);
        Tensor loss = F.crossEntropy(l.forward(x), target);
        loss.backward();
        float[] w = l.weight().data().toFloatArray();
        float[] g = l.weight().grad().toFloatArray();
        double eps = 1e-2;
        for (int i = 0; i < w.length; i++) {
            double orig = l.weight().data().getDouble(i);
            l.weight().data().setDouble(i, orig + eps);
            double plus = F.crossEntropy(l.forward(x), target).item();
            l.weight().data().setDouble(i, orig - eps);
            double minus = F.crossEntropy(l.forward(x), target).item();
            l.weight().data().setDouble(i, orig);
            assertEquals((plus - minus) / (2 * eps), g[i], 2e-3, "weight element " + i);
        }
        assertEquals(w.length, g.length);
    }
}
