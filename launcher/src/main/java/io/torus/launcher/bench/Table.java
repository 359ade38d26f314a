package io.torus.launcher.bench;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A plain-text table: the first column left-aligned, the others right-aligned (they hold numbers). */
final class Table {
    private final List<String[]> rows = new ArrayList<>();

    Table(String... header) {
        rows.add(header);
    }

    Table row(String... cells) {
        if (cells.length != rows.get(0).length) {
            throw new IllegalArgumentException("row of " + cells.length + " cells in a table of " + rows.get(0).length + " columns");
        }
        rows.add(cells);
        return this;
    }

    void print(PrintWriter out) {
        int cols = rows.get(0).length;
        int[] width = new int[cols];
        for (String[] r : rows) {
            for (int c = 0; c < cols; c++) {
                width[c] = Math.max(width[c], r[c].length());
            }
        }
        for (int i = 0; i < rows.size(); i++) {
            StringBuilder b = new StringBuilder("  ");
            String[] r = rows.get(i);
            for (int c = 0; c < cols; c++) {
                String pad = " ".repeat(width[c] - r[c].length());
                b.append(c == 0 ? r[c] + pad : pad + r[c]).append(c + 1 < cols ? "  " : "");
            }
            out.println(b.toString().stripTrailing());
            if (i == 0) {
                int total = 2;
                for (int w : width) {
                    total += w + 2;
                }
                out.println("  " + "-".repeat(total - 4));
            }
        }
    }

    /** {@code v} with {@code decimals} decimals, or "—" when it is not a number. */
    static String num(double v, int decimals) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%." + decimals + "f", v) : "—";
    }

    /** A ratio with its goal: "0.97 ok" or "0.61 below" (goal NaN: the ratio alone). */
    static String ratio(double r, double goal) {
        if (!Double.isFinite(r)) {
            return "—";
        }
        String s = String.format(Locale.ROOT, "%.2f×", r);
        return Double.isNaN(goal) ? s : s + (r >= goal ? " ok" : " below");
    }
}
