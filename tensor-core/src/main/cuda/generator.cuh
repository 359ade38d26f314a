// io.torus.tensor.Generator's counter-based draws, __host__ __device__ so that a host build can be
// compared with the JVM's values without a GPU (FdlibmPortTest). Keep in step with Generator.java.
#pragma once
#include "fdlibm.cuh"

typedef unsigned long long gen_u64;

#ifdef __CUDA_ARCH__
TORUS_HD inline double gen_mul(double a, double b) { return __dmul_rn(a, b); }
TORUS_HD inline double gen_add(double a, double b) { return __dadd_rn(a, b); }
TORUS_HD inline double gen_sqrt(double a) { return __dsqrt_rn(a); }
#else
#include <cmath>
TORUS_HD inline double gen_mul(double a, double b) { return a * b; }
TORUS_HD inline double gen_add(double a, double b) { return a + b; }
TORUS_HD inline double gen_sqrt(double a) { return std::sqrt(a); }
#endif

// 64 random bits for counter value c (Generator.bits).
TORUS_HD inline gen_u64 gen_bits(gen_u64 seed, gen_u64 c) {
    gen_u64 z = seed * 0x9E3779B97F4A7C15ULL + (c + 1) * 0xD1B54A32D192ED03ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

// A double uniform in [0, 1) (Generator.uniform): the top 53 bits, exactly.
TORUS_HD inline double gen_uniform(gen_u64 seed, gen_u64 c) {
    return (double) (gen_bits(seed, c) >> 11) * 0x1.0p-53;
}

// A standard normal (Generator.normal): sqrt(-2 log u1) * cos(2 pi u2), evaluated left to right as Java does.
TORUS_HD inline double gen_normal(gen_u64 seed, gen_u64 c) {
    gen_u64 b = gen_bits(seed, c);
    double u1 = (double) ((b >> 32) + 1) * 0x1.0p-32;
    double u2 = (double) (b & 0xFFFFFFFFULL) * 0x1.0p-32;
    const double two_pi = 2 * 3.141592653589793; // Java's 2 * Math.PI, exact (a power of two times PI)
    return gen_mul(gen_sqrt(gen_mul(-2.0, fd_log(u1))), fd_cos(gen_mul(two_pi, u2)));
}
