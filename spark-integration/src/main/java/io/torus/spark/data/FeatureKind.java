package io.torus.spark.data;

import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;

import java.util.List;

import static org.apache.spark.sql.functions.udf;

/**
 * The three shapes a feature column may have, and how each becomes a row of {@code float}s:
 * <ul>
 *   <li>{@link #ARRAY}: {@code array<float>} or any array of numbers, cast to float;</li>
 *   <li>{@link #VECTOR}: a Spark ML {@code Vector} (dense or sparse), densified;</li>
 *   <li>{@link #IMAGE_BYTES}: {@code binary}, one unsigned byte per pixel (e.g. 784 bytes for a
 *       28×28 grey image), scaled to [0, 1] by dividing by 255 as MNIST's loader does.</li>
 * </ul>
 * Training ({@link #toFloatArray(Column)}) converts inside Spark SQL on the executors; scoring
 * ({@link #extract(Row, int)}) converts one {@code Row} at a time inside a partition.
 */
public enum FeatureKind {
    ARRAY, VECTOR, IMAGE_BYTES;

    private static final UserDefinedFunction BYTES_TO_FLOATS =
            udf((UDF1<byte[], float[]>) FeatureKind::pixels, DataTypes.createArrayType(DataTypes.FloatType, false));

    /** The kind of a column of type {@code type}; a clear error for any other type. */
    public static FeatureKind of(String column, DataType type) {
        if (type instanceof ArrayType a && a.elementType() instanceof NumericType) {
            return ARRAY;
        }
        if (type instanceof VectorUDT) {
            return VECTOR;
        }
        if (type.equals(DataTypes.BinaryType)) {
            return IMAGE_BYTES;
        }
        throw new IllegalArgumentException("features column '" + column + "' has type " + type.simpleString()
                + ": expected an array of numbers such as array<float>, a Spark ML vector, or image bytes (binary)");
    }

    /** {@code c} as an {@code array<float>} column. */
    public Column toFloatArray(Column c) {
        return switch (this) {
            case ARRAY -> c.cast(DataTypes.createArrayType(DataTypes.FloatType));
            case VECTOR -> org.apache.spark.ml.functions.vector_to_array(c, "float32");
            case IMAGE_BYTES -> BYTES_TO_FLOATS.apply(c);
        };
    }

    /** Field {@code i} of {@code row} (a column of this kind) as floats; null when the field is null. */
    public float[] extract(Row row, int i) {
        if (row.isNullAt(i)) {
            return null;
        }
        return switch (this) {
            case ARRAY -> {
                List<Object> values = row.getList(i);
                float[] f = new float[values.size()];
                for (int k = 0; k < f.length; k++) {
                    f[k] = ((Number) values.get(k)).floatValue();
                }
                yield f;
            }
            case VECTOR -> {
                double[] d = ((Vector) row.get(i)).toArray();
                float[] f = new float[d.length];
                for (int k = 0; k < f.length; k++) {
                    f[k] = (float) d[k];
                }
                yield f;
            }
            case IMAGE_BYTES -> pixels((byte[]) row.get(i));
        };
    }

    /** Unsigned bytes to floats in [0, 1]. */
    public static float[] pixels(byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        float[] f = new float[bytes.length];
        for (int k = 0; k < f.length; k++) {
            f[k] = (bytes[k] & 0xff) / 255f;
        }
        return f;
    }
}
