package io.torus.launcher.jobs;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * {@code metrics.png}: the loss and accuracy curves of a run, train and test, per epoch, drawn
 * with Java2D (headless: no display needed) beside the {@code metrics.csv} they come from.
 */
final class MetricsPlot {
    static {
        // Before the first AWT class loads; a worker never has a display.
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private static final int WIDTH = 960;
    private static final int HEIGHT = 400;
    private static final Color TRAIN = new Color(0x1f77b4);
    private static final Color TEST = new Color(0xff7f0e);
    private static final Color GRID = new Color(0xe6e6e6);

    private record Series(String label, Color color, double[] y) {
    }

    private MetricsPlot() {
    }

    /** Draws {@code rows} into a PNG at {@code file} (written to a temp file, then renamed). */
    static void write(Path file, String title, List<EpochMetrics> rows) throws IOException {
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
            g.drawString(title, 20, 24);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            double[] x = rows.stream().mapToDouble(EpochMetrics::epoch).toArray();
            panel(g, new Rectangle(70, 50, WIDTH / 2 - 100, HEIGHT - 100), "loss", Double.POSITIVE_INFINITY, x,
                    series("train", TRAIN, rows, EpochMetrics::trainLoss), series("test", TEST, rows, EpochMetrics::testLoss));
            panel(g, new Rectangle(WIDTH / 2 + 60, 50, WIDTH / 2 - 90, HEIGHT - 100), "accuracy (%)", 100, x,
                    series("train", TRAIN, rows, m -> 100 * m.trainAccuracy()),
                    series("test", TEST, rows, m -> 100 * m.testAccuracy()));
        } finally {
            g.dispose();
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        if (!ImageIO.write(image, "png", tmp.toFile())) {
            throw new IOException("no PNG writer in this JVM");
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static Series series(String label, Color color, List<EpochMetrics> rows, ToDoubleFunction<EpochMetrics> f) {
        return new Series(label, color, rows.stream().mapToDouble(f).toArray());
    }

    /** One chart: axes with nice ticks, a grid, a line with dots per series, and a legend. */
    private static void panel(Graphics2D g, Rectangle area, String name, double yMax, double[] x, Series... series) {
        double xLo = 1;
        double xHi = Math.max(2, x.length == 0 ? 2 : x[x.length - 1]);
        double yLo = Double.POSITIVE_INFINITY;
        double yHi = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (double v : s.y()) {
                if (Double.isFinite(v)) {
                    yLo = Math.min(yLo, v);
                    yHi = Math.max(yHi, v);
                }
            }
        }
        if (!(yLo <= yHi)) {
            yLo = 0;
            yHi = 1;
        }
        double pad = Math.max((yHi - yLo) * 0.08, Math.max(Math.abs(yHi) * 0.01, 1e-6));
        // losses and accuracies are never negative, accuracies never above 100 %
        double[] yTicks = ticks(Math.max(0, yLo - pad), Math.min(yMax, yHi + pad), 6, 0);
        double[] xTicks = ticks(xLo, xHi, 8, 1);
        yLo = yTicks[0];
        yHi = yTicks[yTicks.length - 1];
        double fy0 = yLo;
        double fy1 = yHi;
        ToDoubleFunction<Double> px = v -> area.x + (v - xLo) / (xHi - xLo) * area.width;
        ToDoubleFunction<Double> py = v -> area.y + area.height - (v - fy0) / (fy1 - fy0) * area.height;

        FontMetrics fm = g.getFontMetrics();
        for (double t : yTicks) {
            int yy = (int) Math.round(py.applyAsDouble(t));
            g.setColor(GRID);
            g.drawLine(area.x, yy, area.x + area.width, yy);
            g.setColor(Color.DARK_GRAY);
            String label = label(t, yTicks);
            g.drawString(label, area.x - 6 - fm.stringWidth(label), yy + fm.getAscent() / 2 - 1);
        }
        for (double t : xTicks) {
            if (t < xLo || t > xHi) {
                continue;
            }
            int xx = (int) Math.round(px.applyAsDouble(t));
            g.setColor(GRID);
            g.drawLine(xx, area.y, xx, area.y + area.height);
            g.setColor(Color.DARK_GRAY);
            String label = Long.toString((long) t);
            g.drawString(label, xx - fm.stringWidth(label) / 2, area.y + area.height + fm.getAscent() + 4);
        }
        g.setColor(Color.BLACK);
        g.drawRect(area.x, area.y, area.width, area.height);
        g.drawString("epoch", area.x + area.width / 2 - fm.stringWidth("epoch") / 2, area.y + area.height + 2 * fm.getHeight() + 4);
        g.drawString(name, area.x, area.y - 8);

        g.setStroke(new BasicStroke(2f));
        for (Series s : series) {
            g.setColor(s.color());
            Path2D.Double line = new Path2D.Double();
            boolean started = false;
            for (int i = 0; i < x.length; i++) {
                if (!Double.isFinite(s.y()[i])) {
                    continue;
                }
                double a = px.applyAsDouble(x[i]);
                double b = py.applyAsDouble(s.y()[i]);
                if (started) {
                    line.lineTo(a, b);
                } else {
                    line.moveTo(a, b);
                    started = true;
                }
                g.fillOval((int) Math.round(a) - 3, (int) Math.round(b) - 3, 7, 7);
            }
            g.draw(line);
        }
        g.setStroke(new BasicStroke(1f));
        int ly = area.y + 8;
        for (Series s : series) {
            int lx = area.x + area.width - 70;
            g.setColor(s.color());
            g.fillRect(lx, ly + 2, 16, 4);
            g.setColor(Color.BLACK);
            g.drawString(s.label(), lx + 22, ly + fm.getAscent() / 2 + 3);
            ly += fm.getHeight() + 2;
        }
    }

    /**
     * Tick values covering {@code lo..hi}: multiples of a step of 1, 2 or 5 times a power of ten
     * (at least {@code minStep}), about {@code target} of them.
     */
    static double[] ticks(double lo, double hi, int target, double minStep) {
        double raw = (hi - lo) / Math.max(1, target - 1);
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = mag;
        for (double m : new double[] {1, 2, 5, 10}) {
            step = m * mag;
            if (step >= raw) {
                break;
            }
        }
        step = Math.max(step, minStep);
        long first = (long) Math.floor(lo / step + 1e-9);
        long last = (long) Math.ceil(hi / step - 1e-9);
        double[] out = new double[(int) (last - first + 1)];
        for (int i = 0; i < out.length; i++) {
            out[i] = (first + i) * step;
        }
        return out;
    }

    private static String label(double v, double[] ticks) {
        double step = ticks.length > 1 ? ticks[1] - ticks[0] : 1;
        int decimals = (int) Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }
}
