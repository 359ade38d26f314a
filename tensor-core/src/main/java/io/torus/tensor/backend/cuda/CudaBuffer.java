package io.torus.tensor.backend.cuda;

import jcuda.driver.CUdeviceptr;

/**
 * What a CUDA {@link io.torus.tensor.Storage} holds ({@link io.torus.tensor.Storage#deviceHandle()}):
 * the device that owns the memory and the start of its block. Kernels receive this base pointer and
 * the view's element offset separately (in a Layout), so no pointer arithmetic crosses JNI.
 */
record CudaBuffer(CudaDevice device, CUdeviceptr ptr) {
}
