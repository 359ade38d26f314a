package io.torus.tensor.backend.cpu;

/**
 * Whether the kernels may use the incubating Vector API ({@code jdk.incubator.vector}).
 *
 * <p>The module is only there when the JVM was started with
 * {@code --add-modules jdk.incubator.vector} (the parent POM's {@code torus.jvm.opens} adds it to
 * tests, {@code scripts/torus} and worker JVMs; a Spark executor or a user's own {@code java}
 * command may lack it). Classes that mention vector types ({@link VectorKernels},
 * {@link VectorGemm}) are touched only when {@link #ENABLED} is true, so without the module they
 * are never loaded and the scalar loops run instead. {@code -Dtorus.vector.disable=true} forces
 * the scalar loops (for comparisons, or for results that do not depend on JIT tiers: see
 * {@link VectorKernels}).
 */
final class VectorApi {
    /** True when {@code jdk.incubator.vector} is resolved, not disabled, and vectors hold at least 4 floats. */
    static final boolean ENABLED = probe();

    private VectorApi() {
    }

    private static boolean probe() {
        if (Boolean.getBoolean("torus.vector.disable")
                || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return false;
        }
        try {
            return VectorKernels.floatLanes() >= 4;
        } catch (Throwable t) { // a JVM whose incubator module does not match these classes
            System.err.println("torus: Vector API unusable (" + t + "); using scalar kernels");
            return false;
        }
    }
}
