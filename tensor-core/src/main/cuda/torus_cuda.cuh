// Shared definitions of Torus's CUDA kernels (io.torus.tensor.backend.cuda).
//
// Every kernel is extern "C" so that its PTX name is the name CudaBackend looks up. Operands arrive
// as a device pointer to the *start of the storage* plus a Layout (Note [Layouts] in CudaLayouts.java):
// the view's offset, shape and strides, in elements, at most TORUS_MAX_DIMS dims. A kernel walks
// the flat row-major index of its output and turns it into a storage position per operand.
//
// Every file but gemm.cu is compiled with -fmad=false (nvcc and NVRTC alike, see compile-ptx.sh and
// KernelModules): Java never fuses a multiply and an add, and the random fills must give the CPU's
// numbers bit for bit. axpby spells its roundings out with mul_rn/add_rn so it holds under any flags.
#pragma once

#define TORUS_MAX_DIMS 8

typedef long long i64;
typedef unsigned long long u64;
typedef unsigned char b8; // Java boolean: one byte, 0 or 1

struct Layout {
    int ndim;
    int offset;
    int shape[TORUS_MAX_DIMS];
    int stride[TORUS_MAX_DIMS];
};

// Storage position of row-major element i of the view.
__device__ __forceinline__ i64 at(const Layout& l, i64 i) {
    i64 pos = l.offset;
    for (int d = l.ndim - 1; d >= 0; d--) {
        int s = l.shape[d];
        pos += (i % s) * (i64) l.stride[d];
        i /= s;
    }
    return pos;
}

#define TORUS_GRID_LOOP(i, n) \
    for (i64 i = (i64) blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (i64) blockDim.x * gridDim.x)

// Arithmetic that is never contracted into a fused multiply-add, whatever the flags.
__device__ __forceinline__ float mul_rn(float a, float b) { return __fmul_rn(a, b); }
__device__ __forceinline__ double mul_rn(double a, double b) { return __dmul_rn(a, b); }
__device__ __forceinline__ float add_rn(float a, float b) { return __fadd_rn(a, b); }
__device__ __forceinline__ double add_rn(double a, double b) { return __dadd_rn(a, b); }

// Java's conversions: floating point to integer truncates toward zero and saturates, NaN gives 0
// (PTX cvt.rzi does exactly that); anything to boolean is "!= 0"; boolean reads as 0 or 1.
template <typename D, typename S> __device__ __forceinline__ D convert(S v) { return (D) v; }
template <> __device__ __forceinline__ b8 convert<b8, float>(float v) { return v != 0.0f; }
template <> __device__ __forceinline__ b8 convert<b8, double>(double v) { return v != 0.0; }
template <> __device__ __forceinline__ b8 convert<b8, i64>(i64 v) { return v != 0; }
template <> __device__ __forceinline__ b8 convert<b8, int>(int v) { return v != 0; }
template <> __device__ __forceinline__ b8 convert<b8, b8>(b8 v) { return v != 0; }

// The dtypes, as (suffix, C type) pairs, for instantiating extern "C" entry points.
#define TORUS_FOR_NUMERIC(X) X(f32, float) X(f64, double) X(i64, i64) X(i32, int)
#define TORUS_FOR_ALL(X) TORUS_FOR_NUMERIC(X) X(b8, b8)
#define TORUS_FOR_FLOAT(X) X(f32, float) X(f64, double)
