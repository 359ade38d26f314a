// Indexing kernels: gather and scatter-add along a dim, and the masked select/scatter pair,
// which number the true positions of a mask with an inclusive prefix sum.
#include "torus_cuda.cuh"

// Coordinate along dim d of row-major element i of a view of shape l.shape.
__device__ __forceinline__ int coord(const Layout& l, i64 i, int d) {
    for (int k = l.ndim - 1; k > d; k--) i /= l.shape[k];
    return (int) (i % l.shape[d]);
}

// out[i] = x[i with coordinate dim replaced by index[i]]; xl has index's shape and x's strides.
template <typename T, typename I>
__device__ void gather_impl(i64 n, int dim, Layout il, const I* index, Layout xl, const T* x, Layout ol, T* o) {
    TORUS_GRID_LOOP(i, n) {
        i64 j = (i64) index[at(il, i)];
        i64 pos = at(xl, i) + (j - coord(xl, i, dim)) * (i64) xl.stride[dim];
        o[at(ol, i)] = x[pos];
    }
}

__device__ __forceinline__ void atomic_add(float* p, float v) { atomicAdd(p, v); }
__device__ __forceinline__ void atomic_add(double* p, double v) { atomicAdd(p, v); }
__device__ __forceinline__ void atomic_add(int* p, int v) { atomicAdd(p, v); }
__device__ __forceinline__ void atomic_add(i64* p, i64 v) { atomicAdd(reinterpret_cast<u64*>(p), (u64) v); }

// out[i with coordinate dim replaced by index[i]] += src[i]; ol has index's shape and out's strides.
template <typename T, typename I>
__device__ void scatter_add_impl(i64 n, int dim, Layout il, const I* index, Layout sl, const T* src, Layout ol, T* o) {
    TORUS_GRID_LOOP(i, n) {
        i64 j = (i64) index[at(il, i)];
        i64 pos = at(ol, i) + (j - coord(ol, i, dim)) * (i64) ol.stride[dim];
        atomic_add(o + pos, src[at(sl, i)]);
    }
}

#define TORUS_GATHER(sn, st) \
    extern "C" __global__ void gather_##sn##_i64(i64 n, int dim, Layout il, const i64* index, Layout xl, const st* x, Layout ol, st* o) { \
        gather_impl<st, i64>(n, dim, il, index, xl, x, ol, o); } \
    extern "C" __global__ void gather_##sn##_i32(i64 n, int dim, Layout il, const int* index, Layout xl, const st* x, Layout ol, st* o) { \
        gather_impl<st, int>(n, dim, il, index, xl, x, ol, o); }
TORUS_FOR_ALL(TORUS_GATHER)

#define TORUS_SCATTER_ADD(sn, st) \
    extern "C" __global__ void scatter_add_##sn##_i64(i64 n, int dim, Layout il, const i64* index, Layout sl, const st* s, Layout ol, st* o) { \
        scatter_add_impl<st, i64>(n, dim, il, index, sl, s, ol, o); } \
    extern "C" __global__ void scatter_add_##sn##_i32(i64 n, int dim, Layout il, const int* index, Layout sl, const st* s, Layout ol, st* o) { \
        scatter_add_impl<st, int>(n, dim, il, index, sl, s, ol, o); }
TORUS_FOR_NUMERIC(TORUS_SCATTER_ADD)

// ---------------------------------------------------------------- masks

// flags[i] = mask[i] (row-major), as ints for the scan.
extern "C" __global__ void mask_flags(i64 n, Layout ml, const b8* m, int* flags) {
    TORUS_GRID_LOOP(i, n) { flags[i] = m[at(ml, i)] ? 1 : 0; }
}

// In-place inclusive prefix sum by one block (launched with 1024 threads; any power of two works),
// tile after tile with a carry: O(n) work, n / blockDim steps. Masks are small next to the arrays
// they select from.
extern "C" __global__ void inclusive_scan_i32(i64 n, int* data) {
    __shared__ int tile[1024];
    __shared__ int carry;
    const int width = blockDim.x;
    if (threadIdx.x == 0) carry = 0;
    __syncthreads();
    for (i64 start = 0; start < n; start += width) {
        i64 i = start + threadIdx.x;
        tile[threadIdx.x] = i < n ? data[i] : 0;
        __syncthreads();
        for (int s = 1; s < width; s <<= 1) { // Hillis-Steele
            int v = (int) threadIdx.x >= s ? tile[threadIdx.x - s] : 0;
            __syncthreads();
            tile[threadIdx.x] += v;
            __syncthreads();
        }
        if (i < n) data[i] = tile[threadIdx.x] + carry;
        __syncthreads();
        if (threadIdx.x == 0) carry += tile[width - 1];
        __syncthreads();
    }
}

// out (contiguous 1-D, offset oo) receives x[i] at position scan[i] - 1 wherever mask[i].
#define TORUS_MASKED(sn, st) \
    extern "C" __global__ void masked_select_##sn(i64 n, Layout ml, const b8* m, const int* scan, Layout xl, const st* x, Layout ol, st* o) { \
        TORUS_GRID_LOOP(i, n) { if (m[at(ml, i)]) o[at(ol, scan[i] - 1)] = x[at(xl, i)]; } } \
    extern "C" __global__ void masked_scatter_##sn(i64 n, Layout ml, const b8* m, const int* scan, Layout sl, const st* s, Layout ol, st* o) { \
        TORUS_GRID_LOOP(i, n) { if (m[at(ml, i)]) o[at(ol, i)] = s[at(sl, scan[i] - 1)]; } }
TORUS_FOR_ALL(TORUS_MASKED)
