package io.torus.spark.kryo;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import io.torus.autograd.Tensor;
import io.torus.nn.Parameter;
import io.torus.spark.ModelWeights;
import io.torus.spark.TorusModelSpec;
import io.torus.tensor.DType;
import io.torus.tensor.NDArray;
import org.apache.spark.serializer.KryoRegistrator;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.TreeMap;

/**
 * Registers Torus's types with Spark's Kryo (version 4, package {@code com.esotericsoftware.kryo},
 * shipped by Spark as {@code kryo-shaded}), for jobs that set
 * <pre>
 *   spark.serializer=org.apache.spark.serializer.KryoSerializer
 *   spark.kryo.registrator=io.torus.spark.kryo.TorusKryoRegistrator
 * </pre>
 * and so put tensors, state dicts ({@code Map<String, Tensor>}, ordered) or a {@link ModelWeights}
 * into RDDs, broadcasts or shuffles. Works with {@code spark.kryo.registrationRequired=true}.
 *
 * <p>Wire format of an {@link NDArray} (and of a {@link Tensor}, which adds its
 * {@code requiresGrad} flag first; a {@link Parameter} is a tensor that comes back as one):
 * dtype ordinal (varint), rank (varint), each dimension (varint), then the elements in row-major
 * order as the dtype's Java primitive (float, double, long, int, boolean). Tensors come back on
 * the CPU.
 *
 * <p>Torus's own driver/task messages do not go through Spark's serializer: they use Kryo 5
 * ({@link io.torus.spark.task.ControlCodec}), which cannot share a class loader package with
 * Kryo 4 and so lives in {@code com.esotericsoftware.kryo.kryo5}.
 */
public final class TorusKryoRegistrator implements KryoRegistrator {

    @Override
    public void registerClasses(Kryo kryo) {
        kryo.register(NDArray.class, new NDArraySerializer());
        kryo.register(Tensor.class, new TensorSerializer());
        kryo.register(Parameter.class, new ParameterSerializer());
        kryo.register(DType.class);
        // State dicts and small containers of tensors.
        kryo.register(LinkedHashMap.class);
        kryo.register(HashMap.class);
        kryo.register(TreeMap.class);
        kryo.register(ArrayList.class);
        // Records with final fields: Java serialization inside Kryo (they are small and rare).
        kryo.register(ModelWeights.class, new JavaSerializer());
        kryo.register(TorusModelSpec.class, new JavaSerializer());
    }

    static void writeArray(Output out, NDArray a) {
        NDArray c = a;  // toXxxArray() copies from any device
        DType dtype = c.dtype();
        int[] shape = c.shape();
        out.writeInt(dtype.ordinal(), true);
        out.writeInt(shape.length, true);
        for (int d : shape) {
            out.writeInt(d, true);
        }
        switch (dtype) {
            case FLOAT32 -> out.writeFloats(c.toFloatArray());
            case FLOAT64 -> out.writeDoubles(c.toDoubleArray());
            case INT64 -> out.writeLongs(c.toLongArray());
            case INT32 -> {
                long[] l = c.toLongArray();
                for (long v : l) {
                    out.writeInt((int) v);
                }
            }
            case BOOL -> {
                long[] l = c.toLongArray();
                for (long v : l) {
                    out.writeBoolean(v != 0);
                }
            }
        }
    }

    static NDArray readArray(Input in) {
        int ordinal = in.readInt(true);
        DType[] types = DType.values();
        if (ordinal < 0 || ordinal >= types.length) {
            throw new IllegalStateException("Kryo: tensor dtype ordinal " + ordinal + ", expected 0.."
                    + (types.length - 1) + " (written by another Torus version?)");
        }
        DType dtype = types[ordinal];
        int[] shape = new int[in.readInt(true)];
        long n = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = in.readInt(true);
            n *= shape[i];
        }
        int count = Math.toIntExact(n);
        return switch (dtype) {
            case FLOAT32 -> NDArray.of(in.readFloats(count), shape);
            case FLOAT64 -> NDArray.of(in.readDoubles(count), shape);
            case INT64 -> NDArray.of(in.readLongs(count), shape);
            case INT32 -> NDArray.of(in.readInts(count), shape);
            case BOOL -> {
                boolean[] b = new boolean[count];
                for (int i = 0; i < count; i++) {
                    b[i] = in.readBoolean();
                }
                yield NDArray.of(b, shape);
            }
        };
    }

    /** An {@link NDArray}: see the class comment for the layout. */
    static final class NDArraySerializer extends Serializer<NDArray> {
        @Override
        public void write(Kryo kryo, Output out, NDArray a) {
            writeArray(out, a);
        }

        @Override
        public NDArray read(Kryo kryo, Input in, Class<NDArray> type) {
            return readArray(in);
        }
    }

    /** A {@link Tensor}: its data and {@code requiresGrad}; no gradient and no graph. */
    static final class TensorSerializer extends Serializer<Tensor> {
        @Override
        public void write(Kryo kryo, Output out, Tensor t) {
            out.writeBoolean(t.requiresGrad());
            writeArray(out, t.data());
        }

        @Override
        public Tensor read(Kryo kryo, Input in, Class<Tensor> type) {
            boolean grad = in.readBoolean();
            Tensor t = Tensor.wrap(readArray(in));
            return grad ? t.requiresGrad_(true) : t;
        }
    }

    /** A {@link Parameter} comes back as a parameter. */
    static final class ParameterSerializer extends Serializer<Parameter> {
        @Override
        public void write(Kryo kryo, Output out, Parameter p) {
            out.writeBoolean(p.requiresGrad());
            writeArray(out, p.data());
        }

        @Override
        public Parameter read(Kryo kryo, Input in, Class<Parameter> type) {
            boolean grad = in.readBoolean();
            return new Parameter(Tensor.wrap(readArray(in)), grad);
        }
    }
}
