// Elementwise kernels: copy with conversion, fill, unary, binary, comparisons, axpby, where.
// One thread per output element (grid-stride loop); every operand is a strided Layout, so
// transposed, broadcast (stride 0) and narrowed views need no copies. The op codes are the
// ordinals of io.torus.tensor.op.UnaryOp and BinaryOp.
#include "torus_cuda.cuh"

// ---------------------------------------------------------------- copy (dst = (D) src)

template <typename S, typename D>
__device__ void copy_impl(i64 n, Layout sl, const S* s, Layout dl, D* d) {
    TORUS_GRID_LOOP(i, n) { d[at(dl, i)] = convert<D, S>(s[at(sl, i)]); }
}

#define TORUS_COPY_TO(sn, st, dn, dt) \
    extern "C" __global__ void copy_##sn##_##dn(i64 n, Layout sl, const st* s, Layout dl, dt* d) { copy_impl<st, dt>(n, sl, s, dl, d); }
#define TORUS_COPY_FROM(sn, st) \
    TORUS_COPY_TO(sn, st, f32, float) TORUS_COPY_TO(sn, st, f64, double) TORUS_COPY_TO(sn, st, i64, i64) \
    TORUS_COPY_TO(sn, st, i32, int) TORUS_COPY_TO(sn, st, b8, b8)
TORUS_FOR_ALL(TORUS_COPY_FROM)

// ---------------------------------------------------------------- fill

#define TORUS_FILL(sn, st) \
    extern "C" __global__ void fill_##sn(i64 n, Layout ol, st* o, st v) { TORUS_GRID_LOOP(i, n) { o[at(ol, i)] = v; } }
TORUS_FOR_ALL(TORUS_FILL)

// ---------------------------------------------------------------- unary

__device__ __forceinline__ float f_exp(float x) { return expf(x); }
__device__ __forceinline__ double f_exp(double x) { return exp(x); }
__device__ __forceinline__ float f_log(float x) { return logf(x); }
__device__ __forceinline__ double f_log(double x) { return log(x); }
__device__ __forceinline__ float f_sqrt(float x) { return sqrtf(x); }
__device__ __forceinline__ double f_sqrt(double x) { return sqrt(x); }
__device__ __forceinline__ float f_tanh(float x) { return tanhf(x); }
__device__ __forceinline__ double f_tanh(double x) { return tanh(x); }
__device__ __forceinline__ float f_sin(float x) { return sinf(x); }
__device__ __forceinline__ double f_sin(double x) { return sin(x); }
__device__ __forceinline__ float f_cos(float x) { return cosf(x); }
__device__ __forceinline__ double f_cos(double x) { return cos(x); }

template <typename T> __device__ __forceinline__ T unary_float(int op, T x) {
    switch (op) {
        case 0: return -x;
        case 1: return f_exp(x);
        case 2: return f_log(x);
        case 3: return f_sqrt(x);
        case 4: return x < (T) 0 ? -x : (x == (T) 0 ? (T) 0 : x); // abs(-0) = +0, NaN stays NaN
        case 5: return x > (T) 0 ? x : (T) 0;
        case 6: return (T) 1 / ((T) 1 + f_exp(-x));
        case 7: return f_tanh(x);
        case 8: return f_sin(x);
        case 9: return f_cos(x);
        default: return x > (T) 0 ? (T) 1 : (x < (T) 0 ? (T) -1 : x); // signum: keeps +-0 and NaN
    }
}

template <typename T> __device__ __forceinline__ T unary_int(int op, T x) {
    switch (op) {
        case 0: return -x;
        case 4: return x < 0 ? -x : x;
        case 5: return x > 0 ? x : 0;
        case 10: return (T) (x > 0 ? 1 : (x < 0 ? -1 : 0));
        default: return (T) unary_float<double>(op, (double) x);
    }
}

#define TORUS_UNARY(sn, st, impl) \
    extern "C" __global__ void unary_##sn(i64 n, int op, Layout xl, const st* x, Layout ol, st* o) { \
        TORUS_GRID_LOOP(i, n) { o[at(ol, i)] = impl<st>(op, x[at(xl, i)]); } }
TORUS_UNARY(f32, float, unary_float)
TORUS_UNARY(f64, double, unary_float)
TORUS_UNARY(i64, i64, unary_int)
TORUS_UNARY(i32, int, unary_int)

// ---------------------------------------------------------------- binary and comparisons

template <typename T> __device__ __forceinline__ T java_max(T a, T b) { return a != a ? a : (b != b ? b : (a >= b ? a : b)); }
template <typename T> __device__ __forceinline__ T java_min(T a, T b) { return a != a ? a : (b != b ? b : (a <= b ? a : b)); }

template <typename T> __device__ __forceinline__ T pow_op(T a, T b) { return (T) pow((double) a, (double) b); }
template <> __device__ __forceinline__ double pow_op<double>(double a, double b) { return pow(a, b); }

template <typename T> __device__ __forceinline__ T div_op(T a, T b) { return a / b; }
template <> __device__ __forceinline__ i64 div_op<i64>(i64 a, i64 b) { return b == 0 ? 0 : a / b; }
template <> __device__ __forceinline__ int div_op<int>(int a, int b) { return b == 0 ? 0 : a / b; }

template <typename T> __device__ __forceinline__ T binary_op(int op, T a, T b) {
    switch (op) {
        case 0: return a + b;
        case 1: return a - b;
        case 2: return a * b;
        case 3: return div_op<T>(a, b);
        case 4: return pow_op<T>(a, b);
        case 5: return java_max<T>(a, b);
        case 6: return java_min<T>(a, b);
        default: return b > (T) 0 ? a : (T) 0; // RELU_BACKWARD: exactly 0 behind a closed gate
    }
}

template <typename T> __device__ __forceinline__ b8 compare_op(int op, T a, T b) {
    switch (op) {
        case 8: return a == b;
        case 9: return a != b;
        case 10: return a < b;
        case 11: return a <= b;
        case 12: return a > b;
        default: return a >= b;
    }
}

#define TORUS_BINARY(sn, st) \
    extern "C" __global__ void binary_##sn(i64 n, int op, Layout al, const st* a, Layout bl, const st* b, Layout ol, st* o) { \
        TORUS_GRID_LOOP(i, n) { o[at(ol, i)] = binary_op<st>(op, a[at(al, i)], b[at(bl, i)]); } } \
    extern "C" __global__ void compare_##sn(i64 n, int op, Layout al, const st* a, Layout bl, const st* b, Layout ol, b8* o) { \
        TORUS_GRID_LOOP(i, n) { o[at(ol, i)] = compare_op<st>(op, a[at(al, i)], b[at(bl, i)]); } }
TORUS_FOR_NUMERIC(TORUS_BINARY)

// Booleans: add is or, mul is and, max/min are or/and; comparisons on 0/1.
extern "C" __global__ void binary_b8(i64 n, int op, Layout al, const b8* a, Layout bl, const b8* b, Layout ol, b8* o) {
    TORUS_GRID_LOOP(i, n) {
        int x = a[at(al, i)], y = b[at(bl, i)];
        int r = (op == 0 || op == 5) ? (x | y) : (op == 2 || op == 6) ? (x & y) : (op == 7 ? (y ? x : 0) : binary_op<int>(op, x, y));
        o[at(ol, i)] = r != 0;
    }
}
extern "C" __global__ void compare_b8(i64 n, int op, Layout al, const b8* a, Layout bl, const b8* b, Layout ol, b8* o) {
    TORUS_GRID_LOOP(i, n) { o[at(ol, i)] = compare_op<int>(op, a[at(al, i)], b[at(bl, i)]); }
}

// ---------------------------------------------------------------- axpby: o = alpha * a + beta * b, no FMA

#define TORUS_AXPBY(sn, st) \
    extern "C" __global__ void axpby_##sn(i64 n, st alpha, Layout al, const st* a, st beta, Layout bl, const st* b, Layout ol, st* o) { \
        TORUS_GRID_LOOP(i, n) { o[at(ol, i)] = add_rn(mul_rn(alpha, a[at(al, i)]), mul_rn(beta, b[at(bl, i)])); } }
TORUS_FOR_FLOAT(TORUS_AXPBY)

// ---------------------------------------------------------------- where

#define TORUS_WHERE(sn, st) \
    extern "C" __global__ void where_##sn(i64 n, Layout cl, const b8* c, Layout al, const st* a, Layout bl, const st* b, Layout ol, st* o) { \
        TORUS_GRID_LOOP(i, n) { o[at(ol, i)] = c[at(cl, i)] ? a[at(al, i)] : b[at(bl, i)]; } }
TORUS_FOR_ALL(TORUS_WHERE)
