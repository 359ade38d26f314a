package io.torus.launcher.jobs;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** {@code --key value} arguments and {@code --flag}s of a built-in job, validated against the keys it knows. */
final class JobArgs {
    private final String job;
    private final Map<String, String> values = new HashMap<>();

    /**
     * @param keys  the arguments that take a value
     * @param flags the arguments that stand alone
     */
    JobArgs(String job, String[] args, Set<String> keys, Set<String> flags) {
        this.job = job;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String key = a.startsWith("--") ? a.substring(2) : "";
            if (flags.contains(key)) {
                values.put(key, "true");
                continue;
            }
            if (!keys.contains(key)) {
                TreeSet<String> known = new TreeSet<>(keys);
                known.addAll(flags);
                throw new IllegalArgumentException(job + ": unknown argument '" + a + "' (expected one of --"
                        + String.join(", --", known) + ")");
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(job + ": argument " + a + " needs a value");
            }
            values.put(key, args[++i]);
        }
    }

    String job() {
        return job;
    }

    int intArg(String key, int dflt, int min) {
        String v = values.get(key);
        if (v == null) {
            return dflt;
        }
        try {
            int x = Integer.parseInt(v);
            if (x < min) {
                throw new NumberFormatException();
            }
            return x;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(job + ": --" + key + " " + v + ": expected an integer >= " + min);
        }
    }

    double doubleArg(String key, double dflt) {
        String v = values.get(key);
        if (v == null) {
            return dflt;
        }
        try {
            double x = Double.parseDouble(v);
            if (!(x >= 0) || Double.isInfinite(x)) {
                throw new NumberFormatException();
            }
            return x;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(job + ": --" + key + " " + v + ": expected a finite number >= 0");
        }
    }

    String stringArg(String key, String dflt) {
        return values.getOrDefault(key, dflt);
    }

    Path pathArg(String key, Path dflt) {
        String v = values.get(key);
        return v == null ? dflt : Path.of(v);
    }

    boolean flag(String key) {
        return values.containsKey(key);
    }
}
