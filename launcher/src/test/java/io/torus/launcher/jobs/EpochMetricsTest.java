package io.torus.launcher.jobs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class EpochMetricsTest {
    @TempDir
    Path tmp;

    @Test
    void csv_roundTrip_keepsEveryField() throws Exception {
        List<EpochMetrics> rows = List.of(new EpochMetrics(1, 0.05, 0.5, 0.75, 0.25, 0.875, 1.5, 1000.5),
                new EpochMetrics(2, 0.0125, 0.125, 0.9375, 0.0625, 0.96875, 2.25, 2000));
        Path f = tmp.resolve("metrics.csv");
        EpochMetrics.writeCsv(f, rows);
        assertEquals(List.of(EpochMetrics.CSV_HEADER, "1,0.0500000,0.500000,0.750000,0.250000,0.875000,1.500,1000.5",
                "2,0.0125000,0.125000,0.937500,0.062500,0.968750,2.250,2000.0"), Files.readAllLines(f));
        assertEquals(rows, EpochMetrics.readCsv(f));
    }

    @Test
    void readCsv_missingFile_isEmpty_otherHeader_isRejected() throws Exception {
        assertEquals(List.of(), EpochMetrics.readCsv(tmp.resolve("none.csv")));
        Path f = Files.writeString(tmp.resolve("old.csv"), "epoch,train_loss,test_accuracy\n1,0.5,0.9\n");
        assertThrows(IllegalArgumentException.class, () -> EpochMetrics.readCsv(f));
    }
}
