package io.torus.spark;

import io.torus.comm.TrainingJob;
import io.torus.spark.data.IdxSource;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code torus spark-submit}: runs a {@link TrainingJob} on Spark with MNIST's training set as
 * its hosted data.
 *
 * <pre>
 * SparkSubmit [--master URL] [--num-workers N] [--run-dir DIR] [--data DIR] [--conf KEY=VALUE]... JOBCLASS [job args]
 * </pre>
 * <ul>
 *   <li>{@code --master}: Spark master URL, default {@code local[2]}</li>
 *   <li>{@code --num-workers}: ranks (barrier tasks), default 2</li>
 *   <li>{@code --run-dir}: the job's run directory (the data files go to its {@code data/}), default
 *       {@code runs/spark-<timestamp>} under the working directory</li>
 *   <li>{@code --data}: directory of the four MNIST IDX files (plain or {@code .gz}), default
 *       {@code data/mnist} under the working directory</li>
 *   <li>{@code --conf}: any Spark setting, applied last (e.g. {@code spark.driver.host} on a real cluster)</li>
 * </ul>
 * Exit status 0 when every rank's job returned normally, 1 when the run failed, 2 for bad arguments.
 *
 * <p>MNIST's training set becomes a DataFrame of {@code 4 × numWorkers} partitions, each read
 * by its executor from the IDX files ({@link #mnistFrame}); the data directory must be readable by
 * the executors under the same path (any local path on one machine).
 */
public final class SparkSubmit {
    static final String USAGE = "usage: torus spark-submit [--master URL] [--num-workers N] [--run-dir DIR] "
            + "[--data DIR] [--conf KEY=VALUE]... JOBCLASS [job args]";

    private SparkSubmit() {
    }

    /** Parsed command line. */
    public record Options(String master, int numWorkers, Path runDir, Path dataDir, Map<String, String> conf,
                          String jobClass, List<String> jobArgs) {

        public static Options parse(String... args) {
            String master = "local[2]";
            int numWorkers = 2;
            Path runDir = null;
            Path dataDir = Path.of("data", "mnist");
            Map<String, String> conf = new LinkedHashMap<>();
            int i = 0;
            while (i < args.length && args[i].startsWith("--")) {
                String opt = args[i];
                if (opt.equals("--")) {
                    i++;
                    break;
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(opt + ": missing value");
                }
                String v = args[i + 1];
                switch (opt) {
                    case "--master" -> master = v;
                    case "--num-workers" -> numWorkers = positive(opt, v);
                    case "--run-dir" -> runDir = Path.of(v);
                    case "--data" -> dataDir = Path.of(v);
                    case "--conf" -> {
                        int eq = v.indexOf('=');
                        if (eq <= 0) {
                            throw new IllegalArgumentException("--conf " + v + ": expected KEY=VALUE");
                        }
                        conf.put(v.substring(0, eq), v.substring(eq + 1));
                    }
                    default -> throw new IllegalArgumentException("unknown option " + opt);
                }
                i += 2;
            }
            if (i >= args.length) {
                throw new IllegalArgumentException("missing JOBCLASS");
            }
            if (runDir == null) {
                String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
                runDir = Path.of("runs", "spark-" + stamp);
            }
            return new Options(master, numWorkers, runDir.toAbsolutePath(), dataDir.toAbsolutePath(), Map.copyOf(conf),
                    args[i], List.of(Arrays.copyOfRange(args, i + 1, args.length)));
        }

        private static int positive(String opt, String v) {
            try {
                int n = Integer.parseInt(v);
                if (n >= 1) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException(opt + " " + v + ": expected a positive integer");
        }
    }

    public static void main(String[] args) {
        int status = run(args);
        if (status != 0) {
            System.exit(status);
        }
    }

    /** As {@link #main}, but returns the exit status instead of exiting (for callers in the same JVM). */
    public static int run(String[] args) {
        return run(args, System.err);
    }

    static int run(String[] args, PrintStream err) {
        Options o;
        Class<? extends TrainingJob> job;
        try {
            o = Options.parse(args);
            job = loadJob(o.jobClass());
            if (!Files.isDirectory(o.dataDir())) {
                throw new IllegalArgumentException("--data " + o.dataDir() + ": no such directory (it should hold "
                        + "MNIST's train-images-idx3-ubyte and train-labels-idx1-ubyte, plain or .gz)");
            }
        } catch (IllegalArgumentException e) {
            err.println("torus spark-submit: " + e.getMessage());
            err.println(USAGE);
            return 2;
        }
        try {
            submit(o, job);
            return 0;
        } catch (SparkTrainingException e) {
            err.println("torus spark-submit: " + e.getMessage());
            return 1;
        } catch (RuntimeException | Error e) {
            err.println("torus spark-submit: " + o.jobClass() + " failed: " + e);
            e.printStackTrace(err);
            return 1;
        }
    }

    /** Creates (or joins) the SparkSession, loads MNIST and runs the job; stops a session it created. */
    static void submit(Options o, Class<? extends TrainingJob> job) {
        boolean existed = SparkSession.getDefaultSession().isDefined() || SparkSession.getActiveSession().isDefined();
        SparkSession spark = session(o, job);
        try {
            Dataset<Row> train = mnistFrame(spark, o.dataDir(), 4 * o.numWorkers());
            SparkTrainer.run(spark, job, o.jobArgs().toArray(String[]::new), o.numWorkers(), train, "features",
                    "label", o.runDir());
        } finally {
            if (!existed) {
                spark.stop();
            }
        }
    }

    static SparkSession session(Options o, Class<? extends TrainingJob> job) {
        SparkSession.Builder b = SparkSession.builder()
                .master(o.master())
                .appName("torus " + job.getSimpleName())
                .config("spark.ui.enabled", "false")
                .config("spark.scheduler.barrier.maxConcurrentTasksCheck.interval", "1s")
                .config("spark.scheduler.minRegisteredResourcesRatio", "1.0")
                .config("spark.sql.shuffle.partitions", Integer.toString(Math.max(2, 2 * o.numWorkers())));
        if (isLoopbackMaster(o.master())) {
            b.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1");
        }
        if (!o.master().startsWith("local")) {
            // One rank per executor JVM, and the tensor kernels' Vector API there as in the driver.
            b.config("spark.executor.cores", "1");
            if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
                b.config("spark.executor.extraJavaOptions", "--add-modules=jdk.incubator.vector");
            }
        }
        o.conf().forEach(b::config);
        return b.getOrCreate();
    }

    static boolean isLoopbackMaster(String master) {
        return master.startsWith("local") || master.contains("://127.0.0.1") || master.contains("://localhost");
    }

    /**
     * MNIST's training split as a DataFrame of {@code features binary} (784 pixel bytes, read as
     * image bytes: [0, 1] after dividing by 255, see {@code FeatureKind}) and {@code label bigint}
     * in {@code partitions} partitions. Each partition reads its own row range of the IDX files on
     * its executor (the driver reads only the headers), so {@code dir} must be readable from the
     * executors under the same path.
     */
    public static Dataset<Row> mnistFrame(SparkSession spark, Path dir, int partitions) {
        String images = IdxSource.file(dir, "train-images-idx3-ubyte").toAbsolutePath().toString();
        String labels = IdxSource.file(dir, "train-labels-idx1-ubyte").toAbsolutePath().toString();
        int n = IdxSource.count(Path.of(labels));
        if (IdxSource.count(Path.of(images)) != n) {
            throw new IllegalArgumentException("MNIST in " + dir + ": " + IdxSource.count(Path.of(images))
                    + " images but " + n + " labels");
        }
        StructType schema = new StructType()
                .add("features", DataTypes.BinaryType, false)
                .add("label", DataTypes.LongType, false);
        MapPartitionsFunction<Long, Row> read = ids -> {
            List<Row> rows = new ArrayList<>();
            while (ids.hasNext()) {
                long p = ids.next();
                int from = (int) (n * p / partitions);
                int to = (int) (n * (p + 1) / partitions);
                byte[][] x = IdxSource.images(Path.of(images), from, to);
                byte[] y = IdxSource.labels(Path.of(labels), from, to);
                for (int i = 0; i < x.length; i++) {
                    rows.add(RowFactory.create(x[i], (long) (y[i] & 0xff)));
                }
            }
            return rows.iterator();
        };
        return spark.range(0, partitions, 1, partitions).as(Encoders.LONG()).mapPartitions(read, Encoders.row(schema));
    }

    private static Class<? extends TrainingJob> loadJob(String name) {
        Class<?> c;
        try {
            ClassLoader loader = Thread.currentThread().getContextClassLoader();
            c = Class.forName(name, false, loader != null ? loader : SparkSubmit.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException("job class " + name + " not found on the classpath");
        }
        if (!TrainingJob.class.isAssignableFrom(c)) {
            throw new IllegalArgumentException("job class " + name + " does not implement "
                    + TrainingJob.class.getName());
        }
        return c.asSubclass(TrainingJob.class);
    }
}
