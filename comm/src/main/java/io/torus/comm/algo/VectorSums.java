package io.torus.comm.algo;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@code acc[i] += in[i]} with the incubating Vector API, for {@link Reductions}' SUM and AVG on
 * floating-point arrays: the hot loop of every all-reduce. C2 does not vectorize the plain loop
 * when the two slices start at unrelated offsets (as a ring's pieces do), and the scalar loop runs
 * at a third of the speed. Each lane is the same IEEE addition as the scalar loop, so results are
 * bit-identical either way. Loaded only when {@link #ENABLED} says the module is present.
 */
final class VectorSums {
    /** True when {@code jdk.incubator.vector} is resolved and not disabled ({@code -Dtorus.vector.disable=true}). */
    static final boolean ENABLED = !Boolean.getBoolean("torus.vector.disable")
            && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent() && Lanes.probe();

    private VectorSums() {
    }

    static void add(float[] acc, int a, float[] in, int b, int n) {
        Lanes.add(acc, a, in, b, n);
    }

    static void add(double[] acc, int a, double[] in, int b, int n) {
        Lanes.add(acc, a, in, b, n);
    }

    /** {@code acc[a + i] += in[i]}, {@code in} being {@code n} little-endian floats at byte {@code at} of a little-endian buffer. */
    static void add(float[] acc, int a, ByteBuffer in, int at, int n) {
        Lanes.add(acc, a, in, at, n);
    }

    /** {@code acc[a + i] += in[i]}, {@code in} being {@code n} little-endian doubles at byte {@code at} of a little-endian buffer. */
    static void add(double[] acc, int a, ByteBuffer in, int at, int n) {
        Lanes.add(acc, a, in, at, n);
    }

    /** {@code out[i] = acc[a + i] + in[i]}, {@code in} and {@code out} little-endian floats at bytes {@code inAt} and {@code outAt}. */
    static void add(float[] acc, int a, ByteBuffer in, int inAt, ByteBuffer out, int outAt, int n) {
        Lanes.add(acc, a, in, inAt, out, outAt, n);
    }

    /** {@code out[i] = acc[a + i] + in[i]}, {@code in} and {@code out} little-endian doubles at bytes {@code inAt} and {@code outAt}. */
    static void add(double[] acc, int a, ByteBuffer in, int inAt, ByteBuffer out, int outAt, int n) {
        Lanes.add(acc, a, in, inAt, out, outAt, n);
    }

    /**
     * {@code acc[a + i] = (acc[a + i] + in[i]) / divisor}, the division skipped when {@code divisor} is 1, and the result also
     * stored to {@code out}; {@code in} and {@code out} little-endian floats at bytes {@code inAt} and {@code outAt}.
     */
    static void addDivideCopy(float[] acc, int a, ByteBuffer in, int inAt, int divisor, ByteBuffer out, int outAt, int n) {
        Lanes.addDivideCopy(acc, a, in, inAt, divisor, out, outAt, n);
    }

    /** The code that names vector types, in its own class so that it is loaded only when enabled. */
    private static final class Lanes {
        private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
        private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;

        static boolean probe() {
            try {
                return FS.length() >= 4;
            } catch (Throwable t) {
                return false;
            }
        }

        static void add(float[] acc, int a, float[] in, int b, int n) {
            int i = 0;
            for (int bound = FS.loopBound(n); i < bound; i += FS.length()) {
                FloatVector.fromArray(FS, acc, a + i).add(FloatVector.fromArray(FS, in, b + i)).intoArray(acc, a + i);
            }
            for (; i < n; i++) {
                acc[a + i] += in[b + i];
            }
        }

        static void add(float[] acc, int a, ByteBuffer in, int at, int n) {
            int i = 0;
            for (int bound = FS.loopBound(n); i < bound; i += FS.length()) {
                FloatVector.fromArray(FS, acc, a + i)
                        .add(FloatVector.fromByteBuffer(FS, in, at + i * Float.BYTES, ByteOrder.LITTLE_ENDIAN))
                        .intoArray(acc, a + i);
            }
            for (; i < n; i++) {
                acc[a + i] += in.getFloat(at + i * Float.BYTES);
            }
        }

        static void add(double[] acc, int a, ByteBuffer in, int at, int n) {
            int i = 0;
            for (int bound = DS.loopBound(n); i < bound; i += DS.length()) {
                DoubleVector.fromArray(DS, acc, a + i)
                        .add(DoubleVector.fromByteBuffer(DS, in, at + i * Double.BYTES, ByteOrder.LITTLE_ENDIAN))
                        .intoArray(acc, a + i);
            }
            for (; i < n; i++) {
                acc[a + i] += in.getDouble(at + i * Double.BYTES);
            }
        }

        static void add(float[] acc, int a, ByteBuffer in, int inAt, ByteBuffer out, int outAt, int n) {
            int i = 0;
            for (int bound = FS.loopBound(n); i < bound; i += FS.length()) {
                FloatVector.fromArray(FS, acc, a + i)
                        .add(FloatVector.fromByteBuffer(FS, in, inAt + i * Float.BYTES, ByteOrder.LITTLE_ENDIAN))
                        .intoByteBuffer(out, outAt + i * Float.BYTES, ByteOrder.LITTLE_ENDIAN);
            }
            for (; i < n; i++) {
                out.putFloat(outAt + i * Float.BYTES, acc[a + i] + in.getFloat(inAt + i * Float.BYTES));
            }
        }

        static void add(double[] acc, int a, ByteBuffer in, int inAt, ByteBuffer out, int outAt, int n) {
            int i = 0;
            for (int bound = DS.loopBound(n); i < bound; i += DS.length()) {
                DoubleVector.fromArray(DS, acc, a + i)
                        .add(DoubleVector.fromByteBuffer(DS, in, inAt + i * Double.BYTES, ByteOrder.LITTLE_ENDIAN))
                        .intoByteBuffer(out, outAt + i * Double.BYTES, ByteOrder.LITTLE_ENDIAN);
            }
            for (; i < n; i++) {
                out.putDouble(outAt + i * Double.BYTES, acc[a + i] + in.getDouble(inAt + i * Double.BYTES));
            }
        }

        static void addDivideCopy(float[] acc, int a, ByteBuffer in, int inAt, int divisor, ByteBuffer out, int outAt, int n) {
            float d = divisor;
            boolean divide = divisor != 1;
            int i = 0;
            for (int bound = FS.loopBound(n); i < bound; i += FS.length()) {
                FloatVector v = FloatVector.fromArray(FS, acc, a + i)
                        .add(FloatVector.fromByteBuffer(FS, in, inAt + i * Float.BYTES, ByteOrder.LITTLE_ENDIAN));
                if (divide) {
                    v = v.div(d);
                }
                v.intoArray(acc, a + i);
                v.intoByteBuffer(out, outAt + i * Float.BYTES, ByteOrder.LITTLE_ENDIAN);
            }
            for (; i < n; i++) {
                float x = acc[a + i] + in.getFloat(inAt + i * Float.BYTES);
                if (divide) {
                    x /= d;
                }
                acc[a + i] = x;
                out.putFloat(outAt + i * Float.BYTES, x);
            }
        }

        static void add(double[] acc, int a, double[] in, int b, int n) {
            int i = 0;
            for (int bound = DS.loopBound(n); i < bound; i += DS.length()) {
                DoubleVector.fromArray(DS, acc, a + i).add(DoubleVector.fromArray(DS, in, b + i)).intoArray(acc, a + i);
            }
            for (; i < n; i++) {
                acc[a + i] += in[b + i];
            }
        }
    }
}
