package io.torus.spark.data;

import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.Function2;

import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;

/**
 * Executor side of materialisation: writes one DataFrame partition into its partition file (Note
 * [Partition file layout] in {@link PartitionFile}) and returns a one-element summary, so the
 * driver learns the row counts without ever seeing a row.
 */
public final class PartitionWriter
        implements Function2<Integer, Iterator<FeatureRow>, Iterator<PartitionWriter.Summary>> {
    private static final long serialVersionUID = 1L;

    /** What the driver gets back for one partition. */
    public record Summary(int partition, long rows, int featureDim) implements java.io.Serializable {
    }

    private final String dir;

    public PartitionWriter(String dir) {
        this.dir = dir;
    }

    @Override
    public Iterator<Summary> call(Integer partition, Iterator<FeatureRow> rows) {
        TaskContext tc = TaskContext.get();
        String attempt = tc == null ? "local" : Long.toString(tc.taskAttemptId());
        try (PartitionFile.Writer w = PartitionFile.writer(Path.of(dir), partition, attempt)) {
            while (rows.hasNext()) {
                FeatureRow row = rows.next();
                if (row.getFeatures() == null) {
                    throw new IllegalArgumentException("training data partition " + partition + ", row " + w.rows()
                            + ": features are null; drop or fill null rows before training");
                }
                w.add(row.getFeatures(), row.getLabel());
            }
            w.commit();
            return List.of(new Summary(partition, w.rows(), w.featureDim())).iterator();
        }
    }
}
