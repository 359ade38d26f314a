package io.torus.launcher.jobs;

import io.torus.autograd.Tensor;
import io.torus.data.TensorDataset;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LogRegJobTest {
    @Test
    void pair_keepsTheTwoDigitsInOrder_labelsTheSecondOne() {
        Tensor x = Tensor.of(new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 6, 2);
        TensorDataset d = LogRegJob.pair(new TensorDataset(x, Tensor.ofLongs(3, 1, 8, 8, 0, 3)), 3, 8);
        assertEquals(4, d.size());
        assertArrayEquals(new float[] {0, 1, 4, 5, 6, 7, 10, 11}, d.inputs().toFloatArray());
        assertArrayEquals(new int[] {4, 1}, d.targets().shape());
        assertArrayEquals(new float[] {0, 1, 1, 0}, d.targets().toFloatArray());
    }

    @Test
    void digits_twoDifferentDigits_elseAnErrorNamingTheValue() {
        assertArrayEquals(new int[] {4, 9}, LogRegJob.digits("4, 9"));
        for (String bad : new String[] {"3", "3,3", "3,10", "a,b", "1,2,3"}) {
            String msg = assertThrows(IllegalArgumentException.class, () -> LogRegJob.digits(bad)).getMessage();
            assertEquals("logreg: --digits " + bad + ": expected two different digits A,B such as 3,8", msg);
        }
    }
}
