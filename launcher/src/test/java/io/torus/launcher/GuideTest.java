package io.torus.launcher;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs {@code docs/guide.md}, so that the guide and the code cannot drift apart: every {@code java}
 * block of the guide, in order, becomes part of one program. A block of imports goes to the top; a
 * block that declares a class becomes a nested static class; every other block is a run of
 * statements of {@code main} (later blocks see earlier blocks' variables). The program is compiled
 * with {@code javax.tools} against the test classpath and run with MNIST's directory
 * {@code "data/mnist"} replaced by the committed subset {@code testdata/mnist-small}. Each
 * {@code // prints: TEXT} comment must match a line of the output, in order.
 */
class GuideTest {
    private static final Path GUIDE = TestSupport.projectRoot().resolve("docs/guide.md");
    private static final Pattern BLOCK = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL);
    private static final Pattern PRINTS = Pattern.compile("//\\s*prints:\\s*(.*?)\\s*$", Pattern.MULTILINE);
    private static final Pattern DECLARATION = Pattern.compile(
            "^((?:public |private |final |abstract |static )*)(class|record|interface|enum) ");

    @TempDir
    Path tmp;

    /** The guide's code, sorted into the three places it goes. */
    record Program(List<String> imports, List<String> classes, List<String> statements) {
        static Program of(String markdown) {
            Program p = new Program(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
            Matcher m = BLOCK.matcher(markdown);
            while (m.find()) {
                String code = m.group(1);
                List<String> lines = code.lines().filter(l -> !l.isBlank()).toList();
                Matcher d = DECLARATION.matcher(lines.get(0));
                if (lines.stream().allMatch(l -> l.startsWith("import "))) {
                    p.imports.add(code);
                } else if (d.find()) {
                    // a top-level class in the guide is a nested one here, so it has to be static
                    p.classes.add(d.group(1).contains("static") ? code : "static " + code);
                } else {
                    p.statements.add(code);
                }
            }
            return p;
        }

        String source(String className, Path mnist) {
            String body = String.join("\n", statements).replace("\"data/mnist\"", '"' + mnist.toString() + '"');
            return "package guide;\n" + String.join("\n", imports) + "\npublic class " + className + " {\n"
                    + String.join("\n", classes) + "\npublic static void main(String[] args) throws Exception {\n" + body + "\n}\n}\n";
        }

        List<String> expectedPrints() {
            List<String> out = new ArrayList<>();
            for (String s : statements) {
                Matcher m = PRINTS.matcher(s);
                while (m.find()) {
                    out.add(m.group(1));
                }
            }
            return out;
        }
    }

    @Test
    void guide_everyJavaBlockCompilesRunsAndPrintsWhatTheCommentsSay() throws Exception {
        Program program = Program.of(Files.readString(GUIDE));
        assertTrue(program.imports().size() == 1 && program.statements().size() >= 8 && !program.classes().isEmpty(), program.toString());
        String source = program.source("Guide", TestSupport.projectRoot().resolve("testdata/mnist-small"));
        Path src = Files.createDirectories(tmp.resolve("src/guide")).resolve("Guide.java");
        Files.writeString(src, source);
        Path classes = Files.createDirectories(tmp.resolve("classes"));

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, null, StandardCharsets.UTF_8)) {
            boolean ok = javac.getTask(null, files, diagnostics, List.of("-d", classes.toString(), "-classpath",
                    System.getProperty("java.class.path"), "-proc:none"), null, files.getJavaFileObjects(src)).call();
            if (!ok) {
                fail("the guide's code does not compile:\n" + diagnostics.getDiagnostics().stream().map(Object::toString)
                        .collect(Collectors.joining("\n")) + "\n" + numbered(source));
            }
        }

        String output = run(classes);
        List<String> lines = output.lines().map(String::strip).toList();
        int at = 0;
        for (String expected : program.expectedPrints()) {
            int found = lines.subList(at, lines.size()).indexOf(expected);
            assertTrue(found >= 0, "the guide says '" + expected + "' is printed next; the output was:\n" + output);
            at += found + 1;
        }
        assertTrue(program.expectedPrints().size() >= 10, program.expectedPrints().toString());
    }

    /** Runs {@code guide.Guide.main} and returns what it printed (also echoed to the real stdout). */
    private static String run(Path classes) throws Exception {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream original = System.out;
        PrintStream tee = new PrintStream(new OutputStream() {
            @Override
            public void write(int b) {
                captured.write(b);
                original.write(b);
            }
        }, true, StandardCharsets.UTF_8);
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, GuideTest.class.getClassLoader())) {
            System.setOut(tee);
            loader.loadClass("guide.Guide").getMethod("main", String[].class).invoke(null, (Object) new String[0]);
        } finally {
            System.setOut(original);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    private static String numbered(String source) {
        List<String> lines = source.lines().toList();
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            b.append(String.format("%4d  %s%n", i + 1, lines.get(i)));
        }
        return b.toString();
    }
}
