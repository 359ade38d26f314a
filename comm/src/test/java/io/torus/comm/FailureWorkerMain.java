package io.torus.comm;

import io.torus.autograd.Tensor;

/**
 * One worker of {@link RealProcessFailureTest}, in its own JVM, configured by the launcher's
 * {@code TORUS_*} environment. Joins the job and runs all-reduces of {@code 2^22} floats back to
 * back, printing one line per event on stdout (other output may interleave):
 * <pre>
 * JOINED group                 joined (the group's toString names the transport)
 * STEP k                       collective k finished (in mode loop: with the right sum on every element)
 * WRONG k                      collective k finished with a wrong sum
 * FAILED epochMillis message   a collective failed (then one more is tried:)
 * LATER message                the next collective failed too, at once
 * DONE                         mode "mismatch-*" ran out of steps without failing
 * </pre>
 * Modes ({@code args[0]}): {@code loop} (until a failure), {@code mismatch-op} (rank 1 calls
 * broadcast where the others all-reduce, at collective 5), {@code mismatch-size} (rank 1 passes
 * one element more at collective 5).
 */
public final class FailureWorkerMain {
    static final int ELEMENTS = 1 << 22;
    static final int MISMATCH_AT = 5;

    public static void main(String[] args) {
        String mode = args[0];
        int exit = 0;
        try (ProcessGroup pg = ProcessGroup.fromEnv()) {
            say("JOINED " + pg);
            Tensor t = Tensor.zeros(ELEMENTS);
            float[] values = (float[]) t.data().storage().array();
            int from = t.data().offset();
            float expected = pg.worldSize() * (pg.worldSize() + 1) / 2f;
            Tensor larger = Tensor.zeros(ELEMENTS + 1);
            for (int k = 0; mode.equals("loop") || k < 2 * MISMATCH_AT; k++) {
                try {
                    boolean odd = pg.rank() == 1 && k == MISMATCH_AT;
                    if (odd && mode.equals("mismatch-op")) {
                        pg.broadcast(t, 0);
                    } else if (odd && mode.equals("mismatch-size")) {
                        pg.allReduce(larger, ReduceOp.SUM);
                    } else {
                        java.util.Arrays.fill(values, from, from + ELEMENTS, pg.rank() + 1);
                        pg.allReduce(t, ReduceOp.SUM);
                    }
                    boolean right = true;
                    for (int i = from; i < from + ELEMENTS; i++) {
                        right &= !mode.equals("loop") || values[i] == expected;
                    }
                    say((right ? "STEP " : "WRONG ") + k);
                } catch (RuntimeException e) {
                    say("FAILED " + System.currentTimeMillis() + " " + oneLine(e));
                    try {
                        pg.allReduce(t, ReduceOp.SUM);
                        say("LATER succeeded");
                    } catch (RuntimeException later) {
                        say("LATER " + oneLine(later));
                    }
                    exit = 3;
                    break;
                }
            }
            if (exit == 0) {
                say("DONE");
            }
        }
        System.exit(exit);
    }

    private static String oneLine(Throwable e) {
        return (e.getClass().getSimpleName() + ": " + e.getMessage()).replace('\n', ' ');
    }

    private static void say(String line) {
        synchronized (System.out) {
            System.out.println(line);
            System.out.flush();
        }
    }
}
