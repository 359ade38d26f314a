package io.torus.launcher.jobs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One epoch's figures, global over all ranks, and their file: {@code metrics.csv}, a header and
 * one row per epoch, rewritten whole (temp file and rename) after every epoch.
 *
 * @param epoch            1-based
 * @param lr               the learning rate during the epoch
 * @param trainLoss        mean training loss over the epoch's batches (the model changing as it goes)
 * @param trainAccuracy    fraction of training rows predicted right as they were trained on
 * @param testLoss         mean loss on the test set after the epoch
 * @param testAccuracy     fraction of the test set predicted right after the epoch
 * @param seconds          wall time of the epoch's training steps (evaluation not included)
 * @param samplesPerSecond training rows of all ranks per second
 */
record EpochMetrics(int epoch, double lr, double trainLoss, double trainAccuracy, double testLoss, double testAccuracy,
                    double seconds, double samplesPerSecond) {

    static final String CSV_HEADER = "epoch,lr,train_loss,train_accuracy,test_loss,test_accuracy,seconds,samples_per_second";

    String csvRow() {
        return String.format(Locale.ROOT, "%d,%.6g,%.6f,%.6f,%.6f,%.6f,%.3f,%.1f", epoch, lr, trainLoss, trainAccuracy, testLoss,
                testAccuracy, seconds, samplesPerSecond);
    }

    static EpochMetrics parse(String row) {
        String[] f = row.split(",");
        if (f.length != 8) {
            throw new IllegalArgumentException("metrics row '" + row + "': expected 8 fields (" + CSV_HEADER + ")");
        }
        double[] v = new double[8];
        for (int i = 1; i < 8; i++) {
            v[i] = Double.parseDouble(f[i]);
        }
        return new EpochMetrics(Integer.parseInt(f[0]), v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
    }

    static void writeCsv(Path file, List<EpochMetrics> rows) throws IOException {
        StringBuilder b = new StringBuilder(CSV_HEADER).append('\n');
        rows.forEach(r -> b.append(r.csvRow()).append('\n'));
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, b);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The rows of {@code file}, or none when it does not exist. */
    static List<EpochMetrics> readCsv(Path file) throws IOException {
        if (!Files.exists(file)) {
            return List.of();
        }
        List<String> lines = Files.readAllLines(file);
        if (lines.isEmpty() || !lines.get(0).equals(CSV_HEADER)) {
            throw new IllegalArgumentException(file + ": expected the header " + CSV_HEADER);
        }
        List<EpochMetrics> rows = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            if (!line.isBlank()) {
                rows.add(parse(line));
            }
        }
        return rows;
    }
}
