package io.torus.spark.kryo;

import io.torus.autograd.Tensor;
import io.torus.nn.Linear;
import io.torus.nn.Parameter;
import io.torus.spark.ModelWeights;
import io.torus.spark.TorusModelSpec;
import io.torus.tensor.DType;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializerInstance;
import org.junit.jupiter.api.Test;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

import java.nio.ByteBuffer;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Torus types through Spark's own KryoSerializer (Kryo 4) with registration required. */
class TorusKryoRegistratorTest {
    private static final ClassTag<Object> ANY = ClassTag$.MODULE$.apply(Object.class);

    private static SerializerInstance kryo(boolean withRegistrator) {
        SparkConf conf = new SparkConf(false)
                .set("spark.serializer", KryoSerializer.class.getName())
                .set("spark.kryo.registrationRequired", "true");
        if (withRegistrator) {
            conf.set("spark.kryo.registrator", TorusKryoRegistrator.class.getName());
        }
        return new KryoSerializer(conf).newInstance();
    }

    @SuppressWarnings("unchecked")
    private static <T> T roundTrip(SerializerInstance s, Object o) {
        ByteBuffer bytes = s.serialize(o, ANY);
        return (T) s.deserialize(bytes, ANY);
    }

    @Test
    void serialize_tensorsOfEveryDtype() {
        SerializerInstance s = kryo(true);
        Tensor f = Tensor.of(new float[] {1.5f, -2, 3, 4, 5, 6}, 2, 3).requiresGrad_(true);
        Tensor back = roundTrip(s, f);
        assertArrayEquals(new int[] {2, 3}, back.shape());
        assertArrayEquals(f.toFloatArray(), back.toFloatArray());
        assertTrue(back.requiresGrad());
        for (DType d : DType.values()) {
            Tensor t = Tensor.of(new float[] {0, 1, 2, 3}, 4).to(d);
            Tensor r = roundTrip(s, t);
            assertEquals(d, r.dtype());
            assertArrayEquals(t.toLongArray(), r.toLongArray(), "dtype " + d);
        }
        Tensor scalar = roundTrip(s, Tensor.scalar(7));
        assertEquals(0, scalar.dim());
        assertEquals(7.0, scalar.item());
    }

    @Test
    void serialize_stateDictKeepsOrderAndParameters() {
        SerializerInstance s = kryo(true);
        Linear layer = new Linear(3, 2);
        Map<String, Tensor> state = layer.stateDict();
        Map<String, Tensor> back = roundTrip(s, state);
        assertEquals(state.keySet().stream().toList(), back.keySet().stream().toList());
        for (String k : state.keySet()) {
            assertArrayEquals(state.get(k).toFloatArray(), back.get(k).toFloatArray(), k);
            assertArrayEquals(state.get(k).shape(), back.get(k).shape(), k);
        }
        Parameter p = roundTrip(s, layer.parameters().get(0));
        assertInstanceOf(Parameter.class, p);
        assertArrayEquals(layer.parameters().get(0).toFloatArray(), p.toFloatArray());

        ModelWeights w = ModelWeights.of(TorusModelSpec.mlp(3, 2), state);
        ModelWeights wb = roundTrip(s, w);
        assertEquals("mlp:3-2", wb.spec().text());
        assertArrayEquals(state.get("weight").toFloatArray(), wb.stateDict().get("weight").toFloatArray());
    }

    @Test
    void serialize_withoutTheRegistratorIsRefused() {
        SerializerInstance s = kryo(false);
        Exception e = assertThrows(Exception.class, () -> s.serialize(Tensor.of(1f, 2f), ANY));
        assertTrue(String.valueOf(e.getMessage()).contains("Class is not registered"), e.getMessage());
    }
}
