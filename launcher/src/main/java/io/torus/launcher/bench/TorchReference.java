package io.torus.launcher.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PyTorch measured in the same run: {@code scripts/bench/torch_reference.py} in a subprocess,
 * one per benchmark section (so the two sides take turns on the CPU and never overlap), read back
 * as JSON lines.
 *
 * <p>The subprocess gets 1 thread ({@code OMP_NUM_THREADS}, {@code OPENBLAS_NUM_THREADS},
 * {@code MKL_NUM_THREADS} = 1, and the script calls {@code torch.set_num_threads(1)}) and exactly
 * the JVM's {@code OPENBLAS_CORETYPE}: set to the same value when the JVM has it, removed when the
 * JVM has not. OpenBLAS reads it once when it loads, so that is the only way both sides make the
 * same kernel choice. Each side prints the core its OpenBLAS picked.
 */
final class TorchReference {

    /** One JSON line: its fields as strings (numbers unparsed). */
    record Line(Map<String, String> fields) {
        String kind() {
            return fields.getOrDefault("kind", "");
        }

        String get(String key) {
            return fields.getOrDefault(key, "");
        }

        double number(String key) {
            try {
                return Double.parseDouble(get(key));
            } catch (NumberFormatException e) {
                return Double.NaN;
            }
        }
    }

    /** The subprocess's result: its lines, or why there are none. */
    record Result(List<Line> lines, String error) {
        boolean ok() {
            return error == null;
        }

        Line env() {
            return lines.stream().filter(l -> l.kind().equals("env")).findFirst().orElse(null);
        }

        List<Line> of(String kind) {
            return lines.stream().filter(l -> l.kind().equals(kind)).toList();
        }
    }

    private final String python;
    private final Path script;

    private TorchReference(String python, Path script) {
        this.python = python;
        this.script = script;
    }

    /**
     * The reference script: {@code <torus.home>/scripts/bench/torch_reference.py} when there is a
     * checkout (edits take effect without a rebuild), else the copy in the launcher jar.
     */
    static TorchReference create(String python) throws IOException {
        String home = System.getProperty("torus.home");
        if (home != null) {
            Path p = Path.of(home, "scripts", "bench", "torch_reference.py");
            if (Files.isRegularFile(p)) {
                return new TorchReference(python, p);
            }
        }
        try (InputStream in = TorchReference.class.getResourceAsStream("torch_reference.py")) {
            if (in == null) {
                throw new IOException("torch_reference.py is neither under torus.home nor in the launcher jar");
            }
            Path tmp = Files.createTempFile("torus-torch-reference", ".py");
            tmp.toFile().deleteOnExit();
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            return new TorchReference(python, tmp);
        }
    }

    Path script() {
        return script;
    }

    /** Runs the script with {@code args}; never throws for a missing or failing Python. */
    Result run(List<String> args, long timeoutSeconds) {
        List<String> cmd = new ArrayList<>();
        cmd.add(python);
        cmd.add(script.toString());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Map<String, String> env = pb.environment();
        env.put("OMP_NUM_THREADS", "1");
        env.put("OPENBLAS_NUM_THREADS", "1");
        env.put("MKL_NUM_THREADS", "1");
        String coreType = System.getenv("OPENBLAS_CORETYPE");
        if (coreType == null) {
            env.remove("OPENBLAS_CORETYPE");
        } else {
            env.put("OPENBLAS_CORETYPE", coreType);
        }
        pb.redirectErrorStream(false);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            return new Result(List.of(), "cannot run " + python + ": " + e.getMessage());
        }
        StringBuilder err = new StringBuilder();
        Thread errReader = new Thread(() -> drain(p.getErrorStream(), err), "torch-reference-stderr");
        errReader.setDaemon(true);
        errReader.start();
        List<Line> lines = new ArrayList<>();
        String error = null;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String s;
            while ((s = r.readLine()) != null) {
                if (s.startsWith("{")) {
                    Line line = new Line(parseFlatJson(s));
                    if (line.kind().equals("error")) {
                        error = line.get("message");
                    }
                    lines.add(line);
                }
            }
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(lines, "timed out after " + timeoutSeconds + " s");
            }
            errReader.join(1000);
        } catch (IOException e) {
            p.destroyForcibly();
            return new Result(lines, "reading its output: " + e.getMessage());
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return new Result(lines, "interrupted");
        }
        if (error == null && p.exitValue() != 0) {
            String tail = err.toString().strip();
            int cut = tail.lastIndexOf('\n', Math.max(0, tail.length() - 400));
            error = "exit status " + p.exitValue() + (tail.isEmpty() ? "" : ": " + tail.substring(cut + 1).replace('\n', ' '));
        }
        return new Result(lines, error);
    }

    private static void drain(InputStream in, StringBuilder into) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String s;
            while ((s = r.readLine()) != null) {
                synchronized (into) {
                    into.append(s).append('\n');
                }
            }
        } catch (IOException ignored) {
            // the process went away; what was read is enough
        }
    }

    private static final Pattern PAIR = Pattern.compile(
            "\"((?:[^\"\\\\]|\\\\.)*)\"\\s*:\\s*(\"((?:[^\"\\\\]|\\\\.)*)\"|[^,}\\s]+)");

    /** Parses one flat JSON object (string, number and boolean values only: what the script prints). */
    static Map<String, String> parseFlatJson(String line) {
        Map<String, String> m = new LinkedHashMap<>();
        Matcher x = PAIR.matcher(line);
        while (x.find()) {
            String v = x.group(3) != null ? unescape(x.group(3)) : x.group(2);
            m.put(unescape(x.group(1)), v);
        }
        return m;
    }

    private static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\' || i + 1 == s.length()) {
                b.append(c);
                continue;
            }
            char e = s.charAt(++i);
            switch (e) {
                case 'n' -> b.append('\n');
                case 't' -> b.append('\t');
                case 'u' -> {
                    if (i + 4 < s.length()) {
                        b.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
                        i += 4;
                    }
                }
                default -> b.append(e);
            }
        }
        return b.toString();
    }
}
