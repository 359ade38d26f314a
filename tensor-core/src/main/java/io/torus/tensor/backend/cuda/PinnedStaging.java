package io.torus.tensor.backend.cuda;

import io.torus.tensor.DType;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Host↔device copies through one page-locked (pinned) host buffer per device. A Java array lives
 * on the garbage-collected heap, which the GPU's DMA engine cannot read; JCuda would pin or copy it
 * on every call. Instead each transfer moves through this buffer in chunks: the array is copied into
 * the pinned buffer (a memcpy at host bandwidth) and the DMA runs from there at full PCIe speed, and
 * back again the other way. One buffer, one chunk in flight, synchronised after each chunk
 * (double-buffering would overlap the two copies; measured need first).
 */
final class PinnedStaging {
    static final int BYTES = 8 << 20;

    private final Pointer host = new Pointer();
    private final ByteBuffer buffer;

    PinnedStaging() {
        JCudaDriver.cuMemAllocHost(host, BYTES);
        buffer = host.getByteBuffer(0, BYTES).order(ByteOrder.nativeOrder());
    }

    /** Copies {@code count} elements of the Java array {@code array} from index {@code from} to {@code dst + dstByte}. */
    synchronized void upload(Object array, int from, int count, DType dt, CUdeviceptr dst, long dstByte, CUstream stream) {
        int es = CudaTypes.size(dt);
        int chunk = BYTES / es;
        for (int done = 0; done < count; done += chunk) {
            int n = Math.min(chunk, count - done);
            buffer.clear();
            switch (dt) {
                case FLOAT32 -> buffer.asFloatBuffer().put((float[]) array, from + done, n);
                case FLOAT64 -> buffer.asDoubleBuffer().put((double[]) array, from + done, n);
                case INT64 -> buffer.asLongBuffer().put((long[]) array, from + done, n);
                case INT32 -> buffer.asIntBuffer().put((int[]) array, from + done, n);
                case BOOL -> {
                    boolean[] b = (boolean[]) array;
                    for (int i = 0; i < n; i++) {
                        buffer.put(i, (byte) (b[from + done + i] ? 1 : 0));
                    }
                }
            }
            JCudaDriver.cuMemcpyHtoDAsync(dst.withByteOffset(dstByte + (long) done * es), host, (long) n * es, stream);
            JCudaDriver.cuStreamSynchronize(stream); // the buffer is refilled next
        }
    }

    /** Copies {@code count} elements from {@code src + srcByte} into the Java array {@code array} from index {@code from}. */
    synchronized void download(CUdeviceptr src, long srcByte, Object array, int from, int count, DType dt, CUstream stream) {
        int es = CudaTypes.size(dt);
        int chunk = BYTES / es;
        for (int done = 0; done < count; done += chunk) {
            int n = Math.min(chunk, count - done);
            JCudaDriver.cuMemcpyDtoHAsync(host, src.withByteOffset(srcByte + (long) done * es), (long) n * es, stream);
            JCudaDriver.cuStreamSynchronize(stream);
            buffer.clear();
            switch (dt) {
                case FLOAT32 -> buffer.asFloatBuffer().get((float[]) array, from + done, n);
                case FLOAT64 -> buffer.asDoubleBuffer().get((double[]) array, from + done, n);
                case INT64 -> buffer.asLongBuffer().get((long[]) array, from + done, n);
                case INT32 -> buffer.asIntBuffer().get((int[]) array, from + done, n);
                case BOOL -> {
                    boolean[] b = (boolean[]) array;
                    for (int i = 0; i < n; i++) {
                        b[from + done + i] = buffer.get(i) != 0;
                    }
                }
            }
        }
    }
}
