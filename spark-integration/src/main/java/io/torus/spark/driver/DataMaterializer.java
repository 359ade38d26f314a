package io.torus.spark.driver;

import io.torus.spark.SparkTrainingException;
import io.torus.spark.data.DataManifest;
import io.torus.spark.data.FeatureKind;
import io.torus.spark.data.FeatureRow;
import io.torus.spark.data.PartitionWriter;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.apache.spark.sql.functions.col;

/**
 * Driver side of materialisation: one ordinary Spark job in which every executor writes its
 * partitions of the training DataFrame into partition files under a data directory; the driver
 * receives only the row counts and writes the {@link DataManifest}. No row reaches the driver.
 *
 * <p>The data directory must be readable from every executor (a local path in {@code local[N]} or
 * on a single machine; a shared file system on a real cluster).
 */
public final class DataMaterializer {
    private static final Logger LOG = LoggerFactory.getLogger(DataMaterializer.class);

    private static final List<DataType> INTEGER_TYPES =
            List.of(DataTypes.ByteType, DataTypes.ShortType, DataTypes.IntegerType, DataTypes.LongType);

    private DataMaterializer() {
    }

    /**
     * After a failed job Spark cancels its other tasks asynchronously; they may still be writing
     * partition files. Waits (bounded) until no stage is active, so that the caller gets the error
     * only once nothing writes into the data directory any more.
     */
    private static void awaitNoActiveStages(org.apache.spark.SparkContext sc, long maxMillis) {
        long deadline = System.currentTimeMillis() + maxMillis;
        while (sc.statusTracker().getActiveStageIds().length > 0 && System.currentTimeMillis() < deadline) {
            try {
                Thread.sleep(20); // Spark offers no blocking wait for cancelled tasks; poll its status tracker
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * Writes {@code frame}'s {@code featuresCol} (an array of numbers, an ML vector or image bytes,
     * see {@link FeatureKind}) and {@code labelCol} (an integer) into {@code dataDir}, one file per
     * partition, replacing earlier partition files there.
     */
    public static DataManifest materialize(Dataset<Row> frame, String featuresCol, String labelCol, Path dataDir) {
        FeatureKind kind = checkColumns(frame, featuresCol, labelCol);
        prepare(dataDir);
        long t0 = System.nanoTime();
        Dataset<FeatureRow> rows = frame
                .select(kind.toFloatArray(column(featuresCol)).as("features"),
                        column(labelCol).cast(DataTypes.LongType).as("label"))
                .as(Encoders.bean(FeatureRow.class));
        JavaRDD<FeatureRow> rdd = rows.javaRDD();
        int numPartitions = rdd.getNumPartitions();
        frame.sparkSession().sparkContext().setJobDescription("torus: materialise training data into " + dataDir);
        List<PartitionWriter.Summary> summaries;
        try {
            summaries = rdd.mapPartitionsWithIndex(new PartitionWriter(dataDir.toString()), false).collect();
        } catch (Exception e) {  // a SparkException, which Scala throws without declaring it
            awaitNoActiveStages(frame.sparkSession().sparkContext(), 30_000);
            throw new SparkTrainingException(-1, "materialising the training data into " + dataDir + " failed: "
                    + rootMessage(e), e);
        } finally {
            frame.sparkSession().sparkContext().setJobDescription(null);
        }
        long[] partitionRows = new long[numPartitions];
        int dim = -1;
        for (PartitionWriter.Summary s : summaries) {
            partitionRows[s.partition()] = s.rows();
            if (s.rows() > 0) {
                if (dim >= 0 && dim != s.featureDim()) {
                    throw new IllegalArgumentException("training data column '" + featuresCol + "': partition "
                            + s.partition() + " has " + s.featureDim() + " features per row, another has " + dim
                            + "; every row needs the same number");
                }
                dim = s.featureDim();
            }
        }
        DataManifest manifest = new DataManifest(dataDir.toString(), Math.max(dim, 0), partitionRows);
        manifest.write();
        LOG.info("materialised {} rows × {} features in {} partitions into {} in {} ms", manifest.totalRows(),
                manifest.featureDim(), numPartitions, dataDir, (System.nanoTime() - t0) / 1_000_000);
        if (LOG.isDebugEnabled()) {
            LOG.debug("rows per partition: {}", Arrays.toString(partitionRows));
        }
        return manifest;
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return String.valueOf(root.getMessage()).lines().findFirst().orElse("");
    }

    private static Column column(String name) {
        return col("`" + name.replace("`", "``") + "`");
    }

    /** Checks the two columns' types; returns the features column's kind. */
    public static FeatureKind checkColumns(Dataset<Row> frame, String featuresCol, String labelCol) {
        return checkColumns(frame.schema(), featuresCol, labelCol);
    }

    /** Checks the two columns' types in {@code schema}; returns the features column's kind. */
    public static FeatureKind checkColumns(StructType schema, String featuresCol, String labelCol) {
        DataType featuresType = fieldType(schema, featuresCol, "features");
        FeatureKind kind;
        try {
            kind = FeatureKind.of(featuresCol, featuresType);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("training data " + e.getMessage(), e);
        }
        DataType label = fieldType(schema, labelCol, "label");
        if (!INTEGER_TYPES.contains(label)) {
            throw new IllegalArgumentException("training data column '" + labelCol + "' has type "
                    + label.simpleString() + ": expected an integer type (tinyint, smallint, int or bigint); "
                    + "cast it first, e.g. col(\"" + labelCol + "\").cast(\"long\")");
        }
        return kind;
    }

    private static DataType fieldType(StructType schema, String name, String role) {
        for (StructField f : schema.fields()) {
            if (f.name().equals(name)) {
                return f.dataType();
            }
        }
        throw new IllegalArgumentException("training data: no " + role + " column '" + name + "'; the columns are "
                + Arrays.toString(schema.fieldNames()));
    }

    /** Creates {@code dataDir} and removes the partition files and manifest of an earlier run. */
    private static void prepare(Path dataDir) {
        try {
            Files.createDirectories(dataDir);
            try (DirectoryStream<Path> old = Files.newDirectoryStream(dataDir, "part-*.bin*")) {
                for (Path p : old) {
                    Files.delete(p);
                }
            }
            Files.deleteIfExists(dataDir.resolve(DataManifest.FILE_NAME));
        } catch (IOException e) {
            throw new UncheckedIOException("preparing data directory " + dataDir, e);
        }
    }
}
