// Random fills, each a transcription of io.torus.tensor.Generator and the CPU's RandomKernels
// (Note [Random fills] in Backend): element i of the output, in row-major order, is a pure
// function of (seed, base + i). The 64-bit mixing is SplitMix64's finaliser on a Weyl sequence;
// unsigned arithmetic here wraps exactly as Java's long arithmetic does. Box-Muller uses fdlibm's
// log and cos (StrictMath's), compiled without FMA contraction, so the numbers are the CPU's bit for bit.
#include "torus_cuda.cuh"
#include "fdlibm.cuh"

#include "generator.cuh"

template <typename T>
__device__ void uniform_impl(i64 n, u64 seed, u64 base, double low, double high, int clampFloat, float below, Layout ol, T* o) {
    TORUS_GRID_LOOP(i, n) {
        double v = gen_add(low, gen_mul(high - low, gen_uniform(seed, base + (u64) i)));
        if (clampFloat && (float) v >= (float) high && high > low) v = (double) below;
        o[at(ol, i)] = convert<T, double>(v);
    }
}

template <typename T>
__device__ void normal_impl(i64 n, u64 seed, u64 base, double mean, double std, Layout ol, T* o) {
    TORUS_GRID_LOOP(i, n) {
        o[at(ol, i)] = convert<T, double>(gen_add(mean, gen_mul(std, gen_normal(seed, base + (u64) i))));
    }
}

// The CPU writes a randint through setDouble unless the output is INT64: (T) (double) v.
template <typename T> __device__ __forceinline__ T from_long(i64 v) { return convert<T, double>((double) v); }
template <> __device__ __forceinline__ i64 from_long<i64>(i64 v) { return v; }

template <typename T>
__device__ void randint_impl(i64 n, u64 seed, u64 base, i64 low, u64 range, Layout ol, T* o) {
    TORUS_GRID_LOOP(i, n) {
        i64 v = (i64) ((u64) low + __umul64hi(gen_bits(seed, base + (u64) i), range));
        o[at(ol, i)] = from_long<T>(v);
    }
}

template <typename P, typename T>
__device__ void bernoulli_impl(i64 n, u64 seed, u64 base, Layout pl, const P* p, Layout ol, T* o) {
    TORUS_GRID_LOOP(i, n) {
        o[at(ol, i)] = convert<T, double>(gen_uniform(seed, base + (u64) i) < (double) p[at(pl, i)] ? 1.0 : 0.0);
    }
}

#define TORUS_RANDOM(sn, st) \
    extern "C" __global__ void uniform_##sn(i64 n, u64 seed, u64 base, double low, double high, int clampFloat, float below, Layout ol, st* o) { \
        uniform_impl<st>(n, seed, base, low, high, clampFloat, below, ol, o); } \
    extern "C" __global__ void normal_##sn(i64 n, u64 seed, u64 base, double mean, double std, Layout ol, st* o) { \
        normal_impl<st>(n, seed, base, mean, std, ol, o); } \
    extern "C" __global__ void randint_##sn(i64 n, u64 seed, u64 base, i64 low, u64 range, Layout ol, st* o) { \
        randint_impl<st>(n, seed, base, low, range, ol, o); } \
    extern "C" __global__ void bernoulli_f32_##sn(i64 n, u64 seed, u64 base, Layout pl, const float* p, Layout ol, st* o) { \
        bernoulli_impl<float, st>(n, seed, base, pl, p, ol, o); } \
    extern "C" __global__ void bernoulli_f64_##sn(i64 n, u64 seed, u64 base, Layout pl, const double* p, Layout ol, st* o) { \
        bernoulli_impl<double, st>(n, seed, base, pl, p, ol, o); }
TORUS_FOR_ALL(TORUS_RANDOM)
