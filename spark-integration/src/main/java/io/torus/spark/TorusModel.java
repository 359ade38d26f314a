package io.torus.spark;

import io.torus.autograd.GradMode;
import io.torus.autograd.Tensor;
import io.torus.io.Checkpoint;
import io.torus.nn.Module;
import io.torus.spark.data.FeatureKind;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsReader$;
import org.apache.spark.ml.util.DefaultParamsWriter$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * The {@code Transformer} that {@link TorusEstimator#fit} returns: scores a DataFrame partition by
 * partition on the executors and adds {@code predictionCol} (the arg-max class, a double, as Spark
 * ML's classifiers do). The weights travel to the executors once, as a broadcast variable; each
 * partition builds the network from them and runs it on batches of {@code batchSize} rows.
 *
 * <p>Persistence: {@code write().save(path)} writes Spark ML's metadata (the Params) under
 * {@code path/metadata} and the weights as safetensors in {@code path/data/weights.safetensors},
 * readable by PyTorch's {@code safetensors} too; {@code TorusModel.load(path)} (and a
 * {@code PipelineModel} holding it) reads them back. Paths go through Hadoop's {@code FileSystem}.
 */
public final class TorusModel extends Model<TorusModel> implements MLWritable {
    private static final long serialVersionUID = 1L;
    static final String WEIGHTS = "weights.safetensors";

    private final String uid;
    private final ModelWeights weights;
    private final Param<String> model;
    private final Param<String> featuresCol;
    private final Param<String> predictionCol;
    private final IntParam batchSize;

    public TorusModel(String uid, ModelWeights weights) {
        this.uid = uid;
        this.weights = weights;
        model = new Param<>(this, "model", "the network (a TorusModelSpec), fixed by the weights");
        featuresCol = new Param<>(this, "featuresCol", "features column: array of numbers, ML vector or image bytes");
        predictionCol = new Param<>(this, "predictionCol", "prediction column added by transform");
        batchSize = new IntParam(this, "batchSize", "rows per forward pass when scoring (>= 1)",
                ParamValidators.gtEq(1));
        set(model, weights.spec().text());  // fixed by the weights; set, so that it is saved with them
        setDefault(featuresCol, "features");
        setDefault(predictionCol, "prediction");
        setDefault(batchSize, 256);
    }

    @Override
    public String uid() {
        return uid;
    }

    public Param<String> model() { return model; }
    public Param<String> featuresCol() { return featuresCol; }
    public Param<String> predictionCol() { return predictionCol; }
    public IntParam batchSize() { return batchSize; }

    public TorusModel setFeaturesCol(String v) { return (TorusModel) set(featuresCol, v); }
    public TorusModel setPredictionCol(String v) { return (TorusModel) set(predictionCol, v); }
    public TorusModel setBatchSize(int v) { return (TorusModel) set(batchSize, v); }

    public String getFeaturesCol() { return $(featuresCol); }
    public String getPredictionCol() { return $(predictionCol); }

    /** The trained weights (and the spec of their network). */
    public ModelWeights weights() {
        return weights;
    }

    static StructType withPrediction(StructType schema, String predictionCol) {
        for (StructField f : schema.fields()) {
            if (f.name().equals(predictionCol)) {
                throw new IllegalArgumentException("prediction column '" + predictionCol + "' already exists in "
                        + schema.simpleString() + ": choose another predictionCol");
            }
        }
        return schema.add(predictionCol, DataTypes.DoubleType, false);
    }

    @Override
    public StructType transformSchema(StructType schema) {
        String features = $(featuresCol);
        if (!List.of(schema.fieldNames()).contains(features)) {
            throw new IllegalArgumentException("TorusModel: no features column '" + features + "'; the columns are "
                    + List.of(schema.fieldNames()));
        }
        FeatureKind.of(features, schema.apply(features).dataType());
        return withPrediction(schema, $(predictionCol));
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        Dataset<Row> df = dataset.toDF();
        StructType out = transformSchema(df.schema());
        String features = $(featuresCol);
        int index = df.schema().fieldIndex(features);
        FeatureKind kind = FeatureKind.of(features, df.schema().apply(features).dataType());
        Broadcast<ModelWeights> bc = JavaSparkContext.fromSparkContext(df.sparkSession().sparkContext())
                .broadcast(weights);
        return df.mapPartitions(new Scorer(bc, kind, index, (Integer) $(batchSize)), Encoders.row(out));
    }

    /** Executor side of {@link #transform}: rows in, the same rows plus the prediction out, a batch at a time. */
    private record Scorer(Broadcast<ModelWeights> weights, FeatureKind kind, int index, int batch)
            implements MapPartitionsFunction<Row, Row> {

        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            if (!rows.hasNext()) {
                return rows;
            }
            Module net = weights.value().build();
            return new Iterator<>() {
                private final List<Row> pending = new ArrayList<>();
                private int next;

                @Override
                public boolean hasNext() {
                    return next < pending.size() || rows.hasNext();
                }

                @Override
                public Row next() {
                    if (next == pending.size()) {
                        fill();
                    }
                    return pending.get(next++);
                }

                private void fill() {
                    if (!rows.hasNext()) {
                        throw new NoSuchElementException();
                    }
                    List<Row> in = new ArrayList<>(batch);
                    List<float[]> x = new ArrayList<>(batch);
                    while (rows.hasNext() && in.size() < batch) {
                        Row r = rows.next();
                        float[] f = kind.extract(r, index);
                        if (f == null) {
                            throw new IllegalArgumentException("TorusModel: features are null in row " + r
                                    + "; drop or fill null rows before scoring");
                        }
                        if (!x.isEmpty() && f.length != x.get(0).length) {
                            throw new IllegalArgumentException("TorusModel: a row has " + f.length
                                    + " features, the row before it " + x.get(0).length);
                        }
                        in.add(r);
                        x.add(f);
                    }
                    int d = x.get(0).length;
                    float[] flat = new float[x.size() * d];
                    for (int i = 0; i < x.size(); i++) {
                        System.arraycopy(x.get(i), 0, flat, i * d, d);
                    }
                    long[] predicted;
                    try (GradMode.Scope s = GradMode.noGrad()) {
                        predicted = net.forward(Tensor.of(flat, x.size(), d)).argmax(1).toLongArray();
                    }
                    pending.clear();
                    next = 0;
                    for (int i = 0; i < in.size(); i++) {
                        Row r = in.get(i);
                        Object[] v = new Object[r.size() + 1];
                        for (int k = 0; k < r.size(); k++) {
                            v[k] = r.get(k);
                        }
                        v[r.size()] = (double) predicted[i];
                        pending.add(RowFactory.create(v));
                    }
                }
            };
        }
    }

    @Override
    public TorusModel copy(ParamMap extra) {
        TorusModel m = new TorusModel(uid, weights);
        copyValues(m, extra);
        return (TorusModel) m.setParent(parent());
    }

    @Override
    public MLWriter write() {
        return new Writer(this);
    }

    public static MLReader<TorusModel> read() {
        return new Reader();
    }

    public static TorusModel load(String path) {
        return read().load(path);
    }

    /** Metadata through Spark ML's default writer, the weights as safetensors beside it. */
    private static final class Writer extends MLWriter {
        private final TorusModel instance;

        Writer(TorusModel instance) {
            this.instance = instance;
        }

        @Override
        public void saveImpl(String path) {
            DefaultParamsWriter$.MODULE$.saveMetadata(instance, path, sparkSession());
            org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(new org.apache.hadoop.fs.Path(path, "data"),
                    WEIGHTS);
            try {
                Path local = Files.createTempFile("torus-model-", ".safetensors");
                try {
                    Checkpoint.save(local, instance.weights.stateDict());
                    FileSystem fs = target.getFileSystem(sc().hadoopConfiguration());
                    fs.copyFromLocalFile(false, true, new org.apache.hadoop.fs.Path(local.toUri()), target);
                } finally {
                    Files.deleteIfExists(local);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("saving TorusModel weights to " + target, e);
            }
        }
    }

    private static final class Reader extends MLReader<TorusModel> {
        @Override
        public TorusModel load(String path) {
            DefaultParamsReader.Metadata meta = DefaultParamsReader$.MODULE$.loadMetadata(path, sparkSession(),
                    TorusModel.class.getName());
            org.apache.hadoop.fs.Path source = new org.apache.hadoop.fs.Path(new org.apache.hadoop.fs.Path(path, "data"),
                    WEIGHTS);
            TorusModelSpec spec = TorusModelSpec.parse(meta.getParamValue("model").values().toString());
            ModelWeights weights;
            try {
                Path local = Files.createTempFile("torus-model-", ".safetensors");
                try {
                    FileSystem fs = source.getFileSystem(sc().hadoopConfiguration());
                    fs.copyToLocalFile(false, source, new org.apache.hadoop.fs.Path(local.toUri()), true);
                    weights = ModelWeights.of(spec, Checkpoint.load(local));
                } finally {
                    Files.deleteIfExists(local);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("loading TorusModel weights from " + source, e);
            }
            TorusModel m = new TorusModel(meta.uid(), weights);
            meta.getAndSetParams(m, Option.empty());
            return m;
        }
    }
}
