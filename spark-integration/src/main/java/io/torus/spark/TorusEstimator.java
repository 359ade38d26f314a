package io.torus.spark;

import io.torus.io.Checkpoint;
import io.torus.spark.data.DataManifest;
import io.torus.spark.driver.DataMaterializer;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.max;

/**
 * A Spark ML {@code Estimator} that trains a Torus network data-parallel on the cluster:
 * {@code fit(df)} runs {@code numWorkers} ranks as one barrier stage and returns a
 * {@link TorusModel} that adds a prediction column.
 *
 * <pre>{@code
 * TorusEstimator torus = new TorusEstimator()
 *         .setModel("mlp:784-128-10").setEpochs(3).setBatchSize(64).setLearningRate(0.05)
 *         .setNumWorkers(2).setFeaturesCol("features").setLabelCol("label")
 *         .setCheckpointDir("/shared/torus/ck");
 * PipelineModel fitted = new Pipeline().setStages(new PipelineStage[] {assembler, torus}).fit(train);
 * fitted.transform(test).select("label", "prediction");
 * fitted.write().overwrite().save("/shared/models/mnist");   // weights as safetensors
 * }</pre>
 *
 * <p>How {@code fit} runs:
 * <ol>
 *   <li>The executors write the features and labels, partition by partition, into partition
 *       files under {@code checkpointDir/data} (no row reaches the driver). Features may be
 *       {@code array<float>}, an ML {@code Vector} or image bytes ({@link io.torus.spark.data.FeatureKind});
 *       labels an integer column, the class index.</li>
 *   <li>{@code numWorkers} barrier tasks form a Netty ring and run {@link EstimatorJob} (or the
 *       {@code jobClass} Param): each epoch every rank reads a different shard, every row once per
 *       epoch (Note [Epoch shards] in {@link io.torus.spark.data.ShardPlan}).</li>
 *   <li>A failed barrier stage is retried up to {@code maxRetries} times, resuming from the last
 *       epoch checkpoint in {@code checkpointDir} (Note [Stage retries] in {@link SparkTrainer},
 *       Note [Epoch commit] in {@link EstimatorJob}).</li>
 *   <li>The final weights come back as safetensors and become the {@link TorusModel}.</li>
 * </ol>
 * {@code checkpointDir} (default: a new temporary directory) holds one training run: {@code fit}
 * starts by removing an earlier run's checkpoint there. It must be reachable under the same path
 * from the driver and all executors. Defaults read from the Spark conf when the Param is not set:
 * {@code spark.torus.maxRetries}, {@code spark.torus.device}.
 */
public final class TorusEstimator extends Estimator<TorusModel> implements DefaultParamsWritable {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(TorusEstimator.class);

    /** {@code model} value meaning: an MLP with one hidden layer of 128, sized from the data. */
    public static final String AUTO_MODEL = "auto";

    private final String uid;
    private final Param<String> model;
    private final Param<String> jobClass;
    private final IntParam epochs;
    private final IntParam batchSize;
    private final DoubleParam learningRate;
    private final DoubleParam momentum;
    private final IntParam numWorkers;
    private final LongParam seed;
    private final Param<String> featuresCol;
    private final Param<String> labelCol;
    private final Param<String> predictionCol;
    private final Param<String> checkpointDir;
    private final IntParam maxRetries;
    private final Param<String> device;

    public TorusEstimator() {
        this(Identifiable.randomUID("torusEstimator"));
    }

    public TorusEstimator(String uid) {
        this.uid = uid;
        model = new Param<>(this, "model", "the network: mlp:IN-HIDDEN...-CLASSES, class:ModuleClass, or auto "
                + "(mlp:IN-128-CLASSES from the data)");
        jobClass = new Param<>(this, "jobClass", "the TrainingJob run by each rank: EstimatorJob or a subclass");
        epochs = new IntParam(this, "epochs", "training epochs (>= 1)", ParamValidators.gtEq(1));
        batchSize = new IntParam(this, "batchSize", "rows per step and rank (>= 1)", ParamValidators.gtEq(1));
        learningRate = new DoubleParam(this, "learningRate", "SGD learning rate (> 0)", ParamValidators.gt(0));
        momentum = new DoubleParam(this, "momentum", "SGD momentum in [0, 1)",
                ParamValidators.inRange(0, 1, true, false));
        numWorkers = new IntParam(this, "numWorkers", "data-parallel ranks, one barrier task each (>= 1)",
                ParamValidators.gtEq(1));
        seed = new LongParam(this, "seed", "seeds the initial weights and the per-epoch shard assignment");
        featuresCol = new Param<>(this, "featuresCol", "features column: array of numbers, ML vector or image bytes");
        labelCol = new Param<>(this, "labelCol", "label column: integer class index");
        predictionCol = new Param<>(this, "predictionCol", "prediction column added by the model");
        checkpointDir = new Param<>(this, "checkpointDir", "directory for data files and epoch checkpoints, "
                + "shared by driver and executors (empty: a new temporary directory)");
        maxRetries = new IntParam(this, "maxRetries", "how often a failed barrier stage is retried (>= 0)",
                ParamValidators.gtEq(0));
        device = new Param<>(this, "device", "cpu or cuda:N");
        setDefault(model, AUTO_MODEL);
        setDefault(jobClass, EstimatorJob.class.getName());
        setDefault(epochs, 3);
        setDefault(batchSize, 64);
        setDefault(learningRate, 0.05);
        setDefault(momentum, 0.9);
        setDefault(numWorkers, 2);
        setDefault(seed, 0L);
        setDefault(featuresCol, "features");
        setDefault(labelCol, "label");
        setDefault(predictionCol, "prediction");
        setDefault(checkpointDir, "");
        setDefault(maxRetries, 2);
        setDefault(device, "cpu");
    }

    @Override
    public String uid() {
        return uid;
    }

    // Params (Spark finds them by reflection: public, no arguments, returning a Param)
    public Param<String> model() { return model; }
    public Param<String> jobClass() { return jobClass; }
    public IntParam epochs() { return epochs; }
    public IntParam batchSize() { return batchSize; }
    public DoubleParam learningRate() { return learningRate; }
    public DoubleParam momentum() { return momentum; }
    public IntParam numWorkers() { return numWorkers; }
    public LongParam seed() { return seed; }
    public Param<String> featuresCol() { return featuresCol; }
    public Param<String> labelCol() { return labelCol; }
    public Param<String> predictionCol() { return predictionCol; }
    public Param<String> checkpointDir() { return checkpointDir; }
    public IntParam maxRetries() { return maxRetries; }
    public Param<String> device() { return device; }

    /** {@value #AUTO_MODEL} or a {@link TorusModelSpec} text (checked here). */
    public TorusEstimator setModel(String v) {
        if (!AUTO_MODEL.equals(v)) {
            TorusModelSpec.parse(v);
        }
        return (TorusEstimator) set(model, v);
    }

    public TorusEstimator setModel(TorusModelSpec v) { return (TorusEstimator) set(model, v.text()); }
    public TorusEstimator setJobClass(String v) { return (TorusEstimator) set(jobClass, v); }
    public TorusEstimator setEpochs(int v) { return (TorusEstimator) set(epochs, v); }
    public TorusEstimator setBatchSize(int v) { return (TorusEstimator) set(batchSize, v); }
    public TorusEstimator setLearningRate(double v) { return (TorusEstimator) set(learningRate, v); }
    public TorusEstimator setMomentum(double v) { return (TorusEstimator) set(momentum, v); }
    public TorusEstimator setNumWorkers(int v) { return (TorusEstimator) set(numWorkers, v); }
    public TorusEstimator setSeed(long v) { return (TorusEstimator) set(seed, v); }
    public TorusEstimator setFeaturesCol(String v) { return (TorusEstimator) set(featuresCol, v); }
    public TorusEstimator setLabelCol(String v) { return (TorusEstimator) set(labelCol, v); }
    public TorusEstimator setPredictionCol(String v) { return (TorusEstimator) set(predictionCol, v); }
    public TorusEstimator setCheckpointDir(String v) { return (TorusEstimator) set(checkpointDir, v); }
    public TorusEstimator setMaxRetries(int v) { return (TorusEstimator) set(maxRetries, v); }
    public TorusEstimator setDevice(String v) { return (TorusEstimator) set(device, v); }

    public String getModel() { return $(model); }
    public int getEpochs() { return (Integer) $(epochs); }
    public int getBatchSize() { return (Integer) $(batchSize); }
    public double getLearningRate() { return (Double) $(learningRate); }
    public int getNumWorkers() { return (Integer) $(numWorkers); }
    public String getFeaturesCol() { return $(featuresCol); }
    public String getLabelCol() { return $(labelCol); }
    public String getPredictionCol() { return $(predictionCol); }
    public String getCheckpointDir() { return $(checkpointDir); }

    @Override
    public StructType transformSchema(StructType schema) {
        DataMaterializer.checkColumns(schema, $(featuresCol), $(labelCol));
        return TorusModel.withPrediction(schema, $(predictionCol));
    }

    @Override
    public TorusModel fit(Dataset<?> dataset) {
        Dataset<Row> df = dataset.toDF();
        transformSchema(df.schema());
        SparkSession spark = df.sparkSession();
        Path work = workDir();
        String features = $(featuresCol);
        String label = $(labelCol);
        freshRun(work);
        DataManifest data = DataMaterializer.materialize(df, features, label, work.resolve(SparkTrainer.DATA_DIR));
        int workers = (Integer) $(numWorkers);
        if (data.totalRows() < workers) {
            throw new IllegalArgumentException("TorusEstimator.fit: " + data.totalRows() + " rows, fewer than numWorkers="
                    + workers);
        }
        TorusModelSpec spec = spec(df, label, data.featureDim());
        Path out = work.resolve("model.safetensors");
        EstimatorJob.Args args = new EstimatorJob.Args(spec, getEpochs(), getBatchSize(), getLearningRate(),
                (Double) $(momentum), (Long) $(seed), work, out, 0);
        var conf = spark.sparkContext().getConf();
        int retries = isSet(maxRetries) ? (Integer) $(maxRetries) : conf.getInt("spark.torus.maxRetries", (Integer) $(maxRetries));
        String dev = isSet(device) ? $(device) : conf.get("spark.torus.device", $(device));
        long t0 = System.nanoTime();
        SparkTrainer.runWithRetries(spark, $(jobClass), a -> args.withAttempt(a).toArgs(), workers, work, data,
                (Long) $(seed), dev, retries);
        LOG.info("TorusEstimator {}: trained {} on {} rows × {} features, {} epochs, {} workers in {} ms", uid, spec,
                data.totalRows(), data.featureDim(), getEpochs(), workers, (System.nanoTime() - t0) / 1_000_000);
        TorusModel fitted = new TorusModel(uid, ModelWeights.of(spec, Checkpoint.load(out)));
        copyValues(fitted, ParamMap.empty());
        fitted.set(fitted.model(), spec.text());  // the resolved spec, not "auto"
        fitted.setParent(this);
        return fitted;
    }

    /** The model spec: the Param, or for {@value #AUTO_MODEL} an MLP sized from the data. */
    private TorusModelSpec spec(Dataset<Row> df, String label, int featureDim) {
        String m = $(model);
        if (!AUTO_MODEL.equals(m)) {
            TorusModelSpec spec = TorusModelSpec.parse(m);
            if (spec.inputDim() >= 0 && spec.inputDim() != featureDim) {
                throw new IllegalArgumentException("TorusEstimator: model " + m + " takes " + spec.inputDim()
                        + " features but column '" + $(featuresCol) + "' has " + featureDim + " per row");
            }
            return spec;
        }
        Row r = df.agg(max(col(label).cast("long"))).head();
        long classes = r.isNullAt(0) ? 1 : r.getLong(0) + 1;
        return TorusModelSpec.mlp(featureDim, 128, (int) Math.max(2, classes));
    }

    private Path workDir() {
        String dir = $(checkpointDir);
        try {
            return dir.isEmpty() ? Files.createTempDirectory("torus-estimator-") : Path.of(dir).toAbsolutePath();
        } catch (IOException e) {
            throw new UncheckedIOException("creating a checkpoint directory", e);
        }
    }

    /** A new fit is a new training run: an earlier run's checkpoint in the directory must not be resumed. */
    private static void freshRun(Path work) {
        try {
            Files.createDirectories(work);
            Files.deleteIfExists(work.resolve(EstimatorJob.CHECKPOINT));
            Files.deleteIfExists(work.resolve(EstimatorJob.EPOCH_LOG));
            Files.deleteIfExists(work.resolve("model.safetensors"));
        } catch (IOException e) {
            throw new UncheckedIOException("preparing checkpoint directory " + work, e);
        }
    }

    @Override
    public TorusEstimator copy(ParamMap extra) {
        return (TorusEstimator) defaultCopy(extra);
    }

    public static MLReader<TorusEstimator> read() {
        return new DefaultParamsReader<>();
    }

    public static TorusEstimator load(String path) {
        return read().load(path);
    }
}
