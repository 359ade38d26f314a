package io.torus.spark;

import io.torus.data.Mnist;
import io.torus.data.TensorDataset;
import io.torus.io.Checkpoint;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.randn;
import static org.apache.spark.sql.functions.when;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** TorusEstimator and TorusModel on {@code local[2]}: fit, score, Pipeline, save and load. */
class TorusEstimatorTest {
    private static final Path MNIST_SMALL =
            Path.of(System.getProperty("torus.project.root", "..")).resolve("testdata/mnist-small");

    @TempDir
    Path tmp;

    /** Three well separated classes in 4 columns x0..x3: class c has mean 3 in column c. */
    static Dataset<Row> blobs(SparkSession spark, long rows, long seed) {
        Dataset<Row> df = spark.range(0, rows, 1, 6).withColumn("label", col("id").mod(3).cast("int"));
        for (int k = 0; k < 4; k++) {
            df = df.withColumn("x" + k, when(col("label").equalTo(k), 3.0).otherwise(0.0).plus(randn(seed + k)));
        }
        return df;
    }

    private static double accuracy(Dataset<Row> scored) {
        return scored.filter(col("label").cast("double").equalTo(col("prediction"))).count()
                / (double) scored.count();
    }

    @Test
    void fit_inAPipelineWithVectorFeatures_scoresAndSurvivesSaveAndLoad() throws Exception {
        SparkSession spark = SharedSpark.get();
        VectorAssembler assembler = new VectorAssembler().setInputCols(new String[] {"x0", "x1", "x2", "x3"})
                .setOutputCol("features");
        TorusEstimator torus = new TorusEstimator().setModel("mlp:4-16-3").setEpochs(4).setBatchSize(16)
                .setLearningRate(0.05).setNumWorkers(2).setCheckpointDir(tmp.resolve("ck").toString());
        Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {assembler, torus});

        PipelineModel fitted = pipeline.fit(blobs(spark, 600, 1));
        Dataset<Row> test = blobs(spark, 300, 99);
        Dataset<Row> scored = fitted.transform(test).cache();
        double acc = accuracy(scored);
        System.out.printf("fit_inAPipelineWithVectorFeatures: accuracy %.3f%n", acc);
        assertTrue(acc > 0.9, "accuracy " + acc);
        assertEquals(DataTypes.DoubleType, scored.schema().apply("prediction").dataType());
        assertEquals(test.count(), scored.count());

        String path = tmp.resolve("pipeline-model").toString();
        fitted.write().overwrite().save(path);
        PipelineModel loaded = PipelineModel.load(path);
        TorusModel model = (TorusModel) loaded.stages()[1];
        assertEquals("mlp:4-16-3", model.getOrDefault(model.model()));
        List<Double> before = scored.orderBy("id").select("prediction").as(org.apache.spark.sql.Encoders.DOUBLE())
                .collectAsList();
        List<Double> after = loaded.transform(test).orderBy("id").select("prediction")
                .as(org.apache.spark.sql.Encoders.DOUBLE()).collectAsList();
        assertEquals(before, after, "predictions of the reloaded pipeline");
        // The weights are plain safetensors.
        assertEquals(4, Checkpoint.load(Path.of(path, "stages", "1_" + model.uid(), "data",
                TorusModel.WEIGHTS)).size());

        // The unfitted pipeline persists its estimator's Params.
        String pipePath = tmp.resolve("pipeline").toString();
        pipeline.write().overwrite().save(pipePath);
        TorusEstimator back = (TorusEstimator) Pipeline.load(pipePath).getStages()[1];
        assertEquals(torus.uid(), back.uid());
        assertEquals("mlp:4-16-3", back.getModel());
        assertEquals(4, back.getEpochs());
        assertEquals(16, back.getBatchSize());
        assertEquals(tmp.resolve("ck").toString(), back.getCheckpointDir());
    }

    /** MNIST digits as a binary column of 784 bytes each: the image-bytes path end to end. */
    @Test
    void fit_imageBytesColumn_learnsMnistSmall() {
        SparkSession spark = SharedSpark.get();
        Dataset<Row> train = imageFrame(spark, Mnist.load(MNIST_SMALL, Mnist.Split.TRAIN), 8);
        Dataset<Row> test = imageFrame(spark, Mnist.load(MNIST_SMALL, Mnist.Split.TEST), 2);
        TorusModel model = new TorusEstimator().setModel("mlp:784-64-10").setEpochs(3).setBatchSize(32)
                .setFeaturesCol("image").setCheckpointDir(tmp.resolve("ck").toString()).fit(train);
        double acc = accuracy(model.transform(test));
        System.out.printf("fit_imageBytesColumn_learnsMnistSmall: test accuracy %.3f%n", acc);
        assertTrue(acc > 0.75, "accuracy " + acc);
        assertTrue(Files.exists(tmp.resolve("ck").resolve(EstimatorJob.CHECKPOINT)));
    }

    static Dataset<Row> imageFrame(SparkSession spark, TensorDataset ds, int partitions) {
        float[] pixels = ds.inputs().toFloatArray();
        long[] labels = ds.targets().toLongArray();
        int d = pixels.length / labels.length;
        List<Row> rows = new ArrayList<>();
        for (int r = 0; r < labels.length; r++) {
            byte[] image = new byte[d];
            for (int k = 0; k < d; k++) {
                image[k] = (byte) Math.round(pixels[r * d + k] * 255);
            }
            rows.add(RowFactory.create(image, (int) labels[r]));
        }
        StructType schema = new StructType().add("image", DataTypes.BinaryType).add("label", DataTypes.IntegerType);
        return spark.createDataFrame(JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(rows,
                partitions), schema);
    }

    @Test
    void fit_autoModelIsSizedFromTheData() {
        SparkSession spark = SharedSpark.get();
        Dataset<Row> df = new VectorAssembler().setInputCols(new String[] {"x0", "x1", "x2", "x3"})
                .setOutputCol("features").transform(blobs(spark, 120, 5));
        TorusModel model = new TorusEstimator().setEpochs(1).setBatchSize(8).fit(df);
        assertEquals("mlp:4-128-3", model.getOrDefault(model.model()));
    }

    /** A model made from weights (not by fit) saves and loads too, and scores a Vector column like an array one. */
    @Test
    void load_modelBuiltFromWeights_scoresLikeTheOriginal() throws IOException {
        SparkSession spark = SharedSpark.get();
        io.torus.autograd.Tensor.manualSeed(3);
        TorusModelSpec spec = TorusModelSpec.mlp(4, 5, 3);
        TorusModel model = new TorusModel("torusModel_test", ModelWeights.of(spec, spec.build().stateDict()))
                .setFeaturesCol("v");
        Dataset<Row> df = new VectorAssembler().setInputCols(new String[] {"x0", "x1", "x2", "x3"}).setOutputCol("v")
                .transform(blobs(spark, 50, 8));
        String path = tmp.resolve("model").toString();
        model.write().save(path);
        TorusModel back = TorusModel.load(path);
        assertEquals("torusModel_test", back.uid());
        assertEquals("v", back.getFeaturesCol());
        List<Double> a = model.transform(df).orderBy("id").select("prediction")
                .as(org.apache.spark.sql.Encoders.DOUBLE()).collectAsList();
        List<Double> b = back.setBatchSize(7).transform(df.withColumn("v", org.apache.spark.ml.functions
                .vector_to_array(col("v"), "float32"))).orderBy("id").select("prediction")
                .as(org.apache.spark.sql.Encoders.DOUBLE()).collectAsList();
        assertEquals(a, b);
        assertEquals(50, a.size());
    }

    @Test
    void transformSchema_rejectsBadColumns() {
        StructType schema = new StructType().add("features", DataTypes.StringType).add("label", DataTypes.IntegerType);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TorusEstimator().transformSchema(schema));
        assertTrue(e.getMessage().contains("'features' has type string"), e.getMessage());
        StructType ok = new StructType().add("features", DataTypes.createArrayType(DataTypes.FloatType))
                .add("label", DataTypes.DoubleType);
        e = assertThrows(IllegalArgumentException.class, () -> new TorusEstimator().transformSchema(ok));
        assertTrue(e.getMessage().contains("'label' has type double"), e.getMessage());
        StructType out = new TorusEstimator().transformSchema(new StructType()
                .add("features", DataTypes.BinaryType).add("label", DataTypes.LongType));
        assertEquals(DataTypes.DoubleType, out.apply("prediction").dataType());
        e = assertThrows(IllegalArgumentException.class, () -> new TorusEstimator().setModel("mlp:4"));
        assertTrue(e.getMessage().contains("at least two sizes"), e.getMessage());
    }

    @Test
    void copy_keepsParamsAndUid() {
        TorusEstimator a = new TorusEstimator().setEpochs(7).setNumWorkers(3);
        TorusEstimator b = a.copy(new org.apache.spark.ml.param.ParamMap().put(a.epochs().w(9)));
        assertEquals(a.uid(), b.uid());
        assertEquals(9, b.getEpochs());
        assertEquals(3, b.getNumWorkers());
        assertEquals(7, a.getEpochs());
        assertArrayEquals(new String[] {"batchSize", "checkpointDir", "device", "epochs", "featuresCol", "jobClass",
            "labelCol", "learningRate", "maxRetries", "model", "momentum", "numWorkers", "predictionCol", "seed"},
                java.util.Arrays.stream(a.params()).map(p -> p.name()).toArray(String[]::new));
    }
}
