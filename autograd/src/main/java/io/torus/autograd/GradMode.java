package io.torus.autograd;

/**
 * Whether operations on this thread record a graph. Scopes nest and restore the previous mode:
 * <pre>{@code
 * try (var scope = GradMode.noGrad()) {
 *     optimizerStep(); // no graph is recorded here
 * }
 * }</pre>
 */
public final class GradMode {
    private static final ThreadLocal<Boolean> ENABLED = ThreadLocal.withInitial(() -> true);

    private GradMode() {
    }

    public static boolean isEnabled() {
        return ENABLED.get();
    }

    /** A scope in which no graph is recorded. */
    public static Scope noGrad() {
        return set(false);
    }

    /** A scope in which the graph is recorded again (inside a noGrad scope). */
    public static Scope enableGrad() {
        return set(true);
    }

    /** Sets the mode until the returned scope closes. */
    public static Scope set(boolean enabled) {
        boolean previous = ENABLED.get();
        ENABLED.set(enabled);
        return () -> ENABLED.set(previous);
    }

    /** A try-with-resources scope that restores the previous mode and throws nothing. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }
}
