// Lets the grid-stride and one-block-per-output kernels of src/main/cuda compile and run on the
// host as plain C++ (KernelHostEmulationTest): one block of one thread, so every grid-stride loop
// visits every element in order, block reductions fold serially, and barriers are no-ops. Kernels
// that need real cooperating threads (gemm.cu's tiles) are not emulated.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstring>

struct TorusDim3 { unsigned x, y, z; };
static TorusDim3 blockIdx = {0, 0, 0}, threadIdx = {0, 0, 0}, blockDim = {1, 1, 1}, gridDim = {1, 1, 1};

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__
#define __syncthreads() ((void) 0)

inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fadd_rn(float a, float b) { return a + b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dsqrt_rn(double a) { return std::sqrt(a); }
inline float __int_as_float(int i) { float f; std::memcpy(&f, &i, 4); return f; }
inline double __longlong_as_double(long long i) { double d; std::memcpy(&d, &i, 8); return d; }
inline long long __double_as_longlong(double d) { long long i; std::memcpy(&i, &d, 8); return i; }
inline unsigned long long __umul64hi(unsigned long long a, unsigned long long b) {
    return (unsigned long long) (((unsigned __int128) a * b) >> 64);
}
template <typename T> inline T atomicAdd(T* p, T v) { T old = *p; *p += v; return old; }
using std::max;
using std::min;
