// Reductions: sum/max/min over any set of dims, arg-max/arg-min along one dim, log-softmax along one dim.
//
// One block per output element. The reduced elements of output o are x[at(kept, o) + at(red, r)]
// for r in [0, nRed): `kept` walks the kept dims of x (with x's offset), `red` the reduced dims
// (offset 0). Each thread folds a strided share of r, then the block folds the partials in shared
// memory (a tree, so float sums are ordered differently from the CPU's left-to-right loop and agree
// to rounding, not bit for bit). Max and min propagate NaN, as ReduceOp.combine does.
#include "torus_cuda.cuh"

template <typename T> __device__ __forceinline__ T lowest();
template <> __device__ __forceinline__ float lowest<float>() { return -__int_as_float(0x7f800000); }
template <> __device__ __forceinline__ double lowest<double>() { return -__longlong_as_double(0x7ff0000000000000LL); }
template <> __device__ __forceinline__ i64 lowest<i64>() { return (i64) 0x8000000000000000ULL; }
template <> __device__ __forceinline__ int lowest<int>() { return (int) 0x80000000; }
template <typename T> __device__ __forceinline__ T highest();
template <> __device__ __forceinline__ float highest<float>() { return __int_as_float(0x7f800000); }
template <> __device__ __forceinline__ double highest<double>() { return __longlong_as_double(0x7ff0000000000000LL); }
template <> __device__ __forceinline__ i64 highest<i64>() { return 0x7fffffffffffffffLL; }
template <> __device__ __forceinline__ int highest<int>() { return 0x7fffffff; }

// op: 0 sum, 1 max, 2 min (io.torus.tensor.op.ReduceOp ordinals)
template <typename T> __device__ __forceinline__ T identity(int op) { return op == 0 ? (T) 0 : (op == 1 ? lowest<T>() : highest<T>()); }
template <typename T> __device__ __forceinline__ T combine(int op, T acc, T x) {
    if (op == 0) return acc + x;
    if (op == 1) return (x > acc || x != x) ? x : acc;
    return (x < acc || x != x) ? x : acc;
}

template <typename T>
__device__ void reduce_impl(i64 nOut, i64 nRed, int op, Layout kept, Layout red, const T* x, Layout ol, T* o) {
    extern __shared__ unsigned char smem_raw[];
    T* part = reinterpret_cast<T*>(smem_raw);
    for (i64 out = blockIdx.x; out < nOut; out += gridDim.x) {
        i64 base = at(kept, out);
        T acc = identity<T>(op);
        for (i64 r = threadIdx.x; r < nRed; r += blockDim.x) {
            acc = combine<T>(op, acc, x[base + at(red, r)]);
        }
        part[threadIdx.x] = acc;
        __syncthreads();
        for (int s = blockDim.x / 2; s > 0; s >>= 1) {
            if (threadIdx.x < s) {
                part[threadIdx.x] = combine<T>(op, part[threadIdx.x], part[threadIdx.x + s]);
            }
            __syncthreads();
        }
        if (threadIdx.x == 0) {
            o[at(ol, out)] = part[0];
        }
        __syncthreads();
    }
}

#define TORUS_REDUCE(sn, st) \
    extern "C" __global__ void reduce_##sn(i64 nOut, i64 nRed, int op, Layout kept, Layout red, const st* x, Layout ol, st* o) { \
        reduce_impl<st>(nOut, nRed, op, kept, red, x, ol, o); }
TORUS_FOR_NUMERIC(TORUS_REDUCE)

// ---------------------------------------------------------------- arg-max / arg-min along one dim

// Whether (v, i) beats (best, bi): NaN beats everything (first NaN wins), then the extreme, then the lower index.
template <typename T> __device__ __forceinline__ bool beats(bool max, T v, i64 i, T best, i64 bi) {
    if (bi < 0) return true;
    bool vn = v != v, bn = best != best;
    if (vn || bn) return vn && (!bn || i < bi);
    if (v == best) return i < bi;
    return max ? v > best : v < best;
}

template <typename T>
__device__ void arg_impl(i64 nOut, int len, int max, Layout kept, int stride, const T* x, Layout ol, i64* o) {
    extern __shared__ unsigned char smem_raw[];
    T* val = reinterpret_cast<T*>(smem_raw);
    i64* idx = reinterpret_cast<i64*>(smem_raw + blockDim.x * sizeof(double));
    for (i64 out = blockIdx.x; out < nOut; out += gridDim.x) {
        i64 base = at(kept, out);
        T best = (T) 0;
        i64 bi = -1;
        for (int r = threadIdx.x; r < len; r += blockDim.x) {
            T v = x[base + (i64) r * stride];
            if (beats<T>(max, v, r, best, bi)) { best = v; bi = r; }
        }
        val[threadIdx.x] = best;
        idx[threadIdx.x] = bi;
        __syncthreads();
        for (int s = blockDim.x / 2; s > 0; s >>= 1) {
            if (threadIdx.x < s && idx[threadIdx.x + s] >= 0
                    && beats<T>(max, val[threadIdx.x + s], idx[threadIdx.x + s], val[threadIdx.x], idx[threadIdx.x])) {
                val[threadIdx.x] = val[threadIdx.x + s];
                idx[threadIdx.x] = idx[threadIdx.x + s];
            }
            __syncthreads();
        }
        if (threadIdx.x == 0) {
            o[at(ol, out)] = idx[0];
        }
        __syncthreads();
    }
}

#define TORUS_ARG(sn, st) \
    extern "C" __global__ void argreduce_##sn(i64 nOut, int len, int max, Layout kept, int stride, const st* x, Layout ol, i64* o) { \
        arg_impl<st>(nOut, len, max, kept, stride, x, ol, o); }
TORUS_FOR_NUMERIC(TORUS_ARG)

// ---------------------------------------------------------------- log-softmax along one dim

__device__ __forceinline__ float r_exp(float x) { return expf(x); }
__device__ __forceinline__ double r_exp(double x) { return exp(x); }
__device__ __forceinline__ float r_log(float x) { return logf(x); }
__device__ __forceinline__ double r_log(double x) { return log(x); }

// out = x - max - log(sum(exp(x - max))), one block per row (all dims but `dim`).
template <typename T>
__device__ void log_softmax_impl(i64 rows, int len, Layout xr, int xs, const T* x, Layout orow, int os, T* o) {
    extern __shared__ unsigned char smem_raw[];
    T* part = reinterpret_cast<T*>(smem_raw);
    for (i64 row = blockIdx.x; row < rows; row += gridDim.x) {
        i64 xb = at(xr, row);
        i64 ob = at(orow, row);
        T m = lowest<T>();
        for (int j = threadIdx.x; j < len; j += blockDim.x) m = combine<T>(1, m, x[xb + (i64) j * xs]);
        part[threadIdx.x] = m;
        __syncthreads();
        for (int s = blockDim.x / 2; s > 0; s >>= 1) {
            if (threadIdx.x < s) part[threadIdx.x] = combine<T>(1, part[threadIdx.x], part[threadIdx.x + s]);
            __syncthreads();
        }
        m = part[0];
        __syncthreads();
        T sum = 0;
        for (int j = threadIdx.x; j < len; j += blockDim.x) sum += r_exp(x[xb + (i64) j * xs] - m);
        part[threadIdx.x] = sum;
        __syncthreads();
        for (int s = blockDim.x / 2; s > 0; s >>= 1) {
            if (threadIdx.x < s) part[threadIdx.x] += part[threadIdx.x + s];
            __syncthreads();
        }
        T lse = m + r_log(part[0]);
        for (int j = threadIdx.x; j < len; j += blockDim.x) o[ob + (i64) j * os] = x[xb + (i64) j * xs] - lse;
        __syncthreads();
    }
}

#define TORUS_LOG_SOFTMAX(sn, st) \
    extern "C" __global__ void log_softmax_##sn(i64 rows, int len, Layout xr, int xs, const st* x, Layout orow, int os, st* o) { \
        log_softmax_impl<st>(rows, len, xr, xs, x, orow, os, o); }
TORUS_FOR_FLOAT(TORUS_LOG_SOFTMAX)
