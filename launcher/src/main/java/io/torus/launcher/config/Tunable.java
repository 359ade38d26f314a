package io.torus.launcher.config;

import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * One key of {@code conf/torus-defaults.properties} and what its values may be. {@link #check}
 * is the single place a value is validated, whichever layer it came from.
 *
 * @param key      the full key, e.g. {@code torus.run.nproc-per-node}
 * @param valid    accepts a (trimmed) value
 * @param expected what a valid value looks like, for the error message ("an integer >= 1")
 */
public record Tunable(String key, Predicate<String> valid, String expected) {

    public Tunable {
        if (key == null || !key.startsWith("torus.")) {
            throw new IllegalArgumentException("tunable key '" + key + "': expected a key starting with 'torus.'");
        }
    }

    /** Whether {@code value} is acceptable. */
    public boolean accepts(String value) {
        return value != null && valid.test(value.trim());
    }

    static Tunable integer(String key, long min, long max) {
        String expected = max == Long.MAX_VALUE ? "an integer >= " + min : "an integer in " + min + ".." + max;
        return new Tunable(key, v -> {
            try {
                long n = Long.parseLong(v);
                return n >= min && n <= max;
            } catch (NumberFormatException e) {
                return false;
            }
        }, expected);
    }

    static Tunable atLeast(String key, long min) {
        return integer(key, min, Long.MAX_VALUE);
    }

    static Tunable powerOfTwo(String key, long min, long max) {
        Predicate<String> inRange = integer(key, min, max).valid();
        return new Tunable(key, v -> inRange.test(v) && Long.bitCount(Long.parseLong(v)) == 1,
                "a power of two in " + min + ".." + max);
    }

    static Tunable bool(String key) {
        return new Tunable(key, v -> v.equals("true") || v.equals("false"), "true or false");
    }

    static Tunable oneOf(String key, List<String> choices) {
        return new Tunable(key, choices::contains, "one of " + String.join(", ", choices));
    }

    /** Any value (free text, possibly empty). */
    static Tunable text(String key, String expected) {
        return new Tunable(key, v -> true, expected);
    }

    static Tunable nonBlank(String key, String expected) {
        return new Tunable(key, v -> !v.isBlank() && v.chars().noneMatch(Character::isWhitespace), expected);
    }

    static Tunable device(String key) {
        return new Tunable(key, v -> v.toLowerCase(Locale.ROOT).matches("cpu|cuda|cuda:\\d+"), "cpu, cuda or cuda:N");
    }

    static Tunable heap(String key) {
        return new Tunable(key, v -> v.equals("auto") || v.matches("\\d+[kKmMgG]?"),
                "auto or a size such as 2g or 768m");
    }
}
