// Convolution and pooling, NCHW. Convolution is im2col + GEMM (the GEMM is cuBLAS or gemm.cu):
//   forward          col[n] = im2col(x[n]) [C*KH*KW, OH*OW];  out[n] = W [O, CKK] x col[n] (+ bias)
//   backward input   dcol[n] = W^T x dout[n];                 dx[n] = col2im(dcol[n]) (a gather, no atomics)
//   backward weight  dW += dout[n] x col[n]^T over n;         dbias = sum of dout over N, OH, OW
// Pooling works per output element; the backward passes scatter with atomics into a zeroed dx.
#include "torus_cuda.cuh"

struct ConvGeom { int N, C, H, W, O, KH, KW, OH, OW, sh, sw, ph, pw, dh, dw; };
struct PoolGeom { int N, C, H, W, OH, OW, kh, kw, sh, sw, ph, pw, dh, dw, ceil, countIncludePad; };

// col [N, C*KH*KW, OH*OW] (contiguous) from x, a strided 4-D view (xl: shape N, C, H, W).
template <typename T>
__device__ void im2col_impl(i64 total, ConvGeom g, Layout xl, const T* x, T* col) {
    TORUS_GRID_LOOP(i, total) {
        int ow = (int) (i % g.OW);
        i64 t = i / g.OW;
        int oh = (int) (t % g.OH); t /= g.OH;
        int kw = (int) (t % g.KW); t /= g.KW;
        int kh = (int) (t % g.KH); t /= g.KH;
        int c = (int) (t % g.C);
        int n = (int) (t / g.C);
        int h = oh * g.sh - g.ph + kh * g.dh;
        int w = ow * g.sw - g.pw + kw * g.dw;
        T v = 0;
        if (h >= 0 && h < g.H && w >= 0 && w < g.W) {
            v = x[xl.offset + (i64) n * xl.stride[0] + (i64) c * xl.stride[1] + (i64) h * xl.stride[2] + (i64) w * xl.stride[3]];
        }
        col[i] = v;
    }
}

// dx [N, C, H, W] (contiguous from dxOff) = sum of the col entries every (h, w) was copied to.
template <typename T>
__device__ void col2im_impl(i64 total, ConvGeom g, const T* col, T* dx, i64 dxOff) {
    i64 ckk = (i64) g.C * g.KH * g.KW;
    i64 ohw = (i64) g.OH * g.OW;
    TORUS_GRID_LOOP(i, total) {
        int w = (int) (i % g.W);
        i64 t = i / g.W;
        int h = (int) (t % g.H); t /= g.H;
        int c = (int) (t % g.C);
        int n = (int) (t / g.C);
        T sum = 0;
        for (int kh = 0; kh < g.KH; kh++) {
            int y = h + g.ph - kh * g.dh;
            if (y < 0 || y % g.sh != 0 || y / g.sh >= g.OH) continue;
            int oh = y / g.sh;
            for (int kw = 0; kw < g.KW; kw++) {
                int z = w + g.pw - kw * g.dw;
                if (z < 0 || z % g.sw != 0 || z / g.sw >= g.OW) continue;
                int ow = z / g.sw;
                sum += col[((i64) n * ckk + ((i64) c * g.KH + kh) * g.KW + kw) * ohw + (i64) oh * g.OW + ow];
            }
        }
        dx[dxOff + i] = sum;
    }
}

// out [N, O, plane] (contiguous) += bias[o]
template <typename T>
__device__ void bias_add_impl(i64 total, int O, int plane, Layout bl, const T* bias, T* out) {
    TORUS_GRID_LOOP(i, total) { out[i] += bias[at(bl, (i / plane) % O)]; }
}

// ---------------------------------------------------------------- pooling

__device__ __forceinline__ void pool_window(const PoolGeom& g, i64 i, i64& plane, int& h0, int& w0) {
    int ow = (int) (i % g.OW);
    i64 t = i / g.OW;
    int oh = (int) (t % g.OH);
    plane = t / g.OH;
    h0 = oh * g.sh - g.ph;
    w0 = ow * g.sw - g.pw;
}

// Max over the window (padding never wins); a NaN wins (the last one, as the CPU's loop); ties keep the first; index h * W + w in the plane.
template <typename T>
__device__ void max_pool_impl(i64 total, PoolGeom g, Layout xl, const T* x, T* out, i64* idx) {
    TORUS_GRID_LOOP(i, total) {
        i64 plane;
        int h0, w0;
        pool_window(g, i, plane, h0, w0);
        int n = (int) (plane / g.C), c = (int) (plane % g.C);
        i64 base = xl.offset + (i64) n * xl.stride[0] + (i64) c * xl.stride[1];
        int best = -1;
        T max = -__int_as_float(0x7f800000);
        for (int r = 0; r < g.kh; r++) {
            int h = h0 + r * g.dh;
            if (h < 0 || h >= g.H) continue;
            for (int q = 0; q < g.kw; q++) {
                int w = w0 + q * g.dw;
                if (w < 0 || w >= g.W) continue;
                T v = x[base + (i64) h * xl.stride[2] + (i64) w * xl.stride[3]];
                if (best < 0) best = h * g.W + w; // the first position in the window, as the CPU's
                if (v > max || v != v) { max = v; best = h * g.W + w; }
            }
        }
        out[i] = best < 0 ? max : x[base + (i64) (best / g.W) * xl.stride[2] + (i64) (best % g.W) * xl.stride[3]];
        idx[i] = best;
    }
}

__device__ __forceinline__ void atomic_add_t(float* p, float v) { atomicAdd(p, v); }
__device__ __forceinline__ void atomic_add_t(double* p, double v) { atomicAdd(p, v); }

template <typename T>
__device__ void max_pool_backward_impl(i64 total, PoolGeom g, Layout gl, const T* grad, Layout il, const i64* idx, T* dx) {
    TORUS_GRID_LOOP(i, total) {
        i64 plane = i / ((i64) g.OH * g.OW);
        i64 j = idx[at(il, i)];
        if (j >= 0) atomic_add_t(dx + plane * g.H * g.W + j, grad[at(gl, i)]);
    }
}

__device__ __forceinline__ int avg_divisor(const PoolGeom& g, int& h0, int& w0, int& h1, int& w1) {
    h1 = min(h0 + g.kh, g.H + g.ph);
    w1 = min(w0 + g.kw, g.W + g.pw);
    int divisor = (h1 - h0) * (w1 - w0);
    h1 = min(h1, g.H);
    w1 = min(w1, g.W);
    h0 = max(h0, 0);
    w0 = max(w0, 0);
    return g.countIncludePad ? divisor : (h1 - h0) * (w1 - w0);
}

template <typename T>
__device__ void avg_pool_impl(i64 total, PoolGeom g, Layout xl, const T* x, T* out) {
    TORUS_GRID_LOOP(i, total) {
        i64 plane;
        int h0, w0, h1, w1;
        pool_window(g, i, plane, h0, w0);
        int divisor = avg_divisor(g, h0, w0, h1, w1);
        int n = (int) (plane / g.C), c = (int) (plane % g.C);
        i64 base = xl.offset + (i64) n * xl.stride[0] + (i64) c * xl.stride[1];
        T sum = 0;
        for (int h = h0; h < h1; h++)
            for (int w = w0; w < w1; w++) sum += x[base + (i64) h * xl.stride[2] + (i64) w * xl.stride[3]];
        out[i] = sum / (T) divisor;
    }
}

template <typename T>
__device__ void avg_pool_backward_impl(i64 total, PoolGeom g, Layout gl, const T* grad, T* dx) {
    TORUS_GRID_LOOP(i, total) {
        i64 plane;
        int h0, w0, h1, w1;
        pool_window(g, i, plane, h0, w0);
        int divisor = avg_divisor(g, h0, w0, h1, w1);
        T share = grad[at(gl, i)] / (T) divisor;
        for (int h = h0; h < h1; h++)
            for (int w = w0; w < w1; w++) atomic_add_t(dx + plane * g.H * g.W + (i64) h * g.W + w, share);
    }
}

#define TORUS_CONV(sn, st) \
    extern "C" __global__ void im2col_##sn(i64 total, ConvGeom g, Layout xl, const st* x, st* col) { im2col_impl<st>(total, g, xl, x, col); } \
    extern "C" __global__ void col2im_##sn(i64 total, ConvGeom g, const st* col, st* dx, i64 dxOff) { col2im_impl<st>(total, g, col, dx, dxOff); } \
    extern "C" __global__ void bias_add_##sn(i64 total, int O, int plane, Layout bl, const st* b, st* out) { bias_add_impl<st>(total, O, plane, bl, b, out); } \
    extern "C" __global__ void max_pool_##sn(i64 total, PoolGeom g, Layout xl, const st* x, st* out, i64* idx) { max_pool_impl<st>(total, g, xl, x, out, idx); } \
    extern "C" __global__ void max_pool_backward_##sn(i64 total, PoolGeom g, Layout gl, const st* grad, Layout il, const i64* idx, st* dx) { \
        max_pool_backward_impl<st>(total, g, gl, grad, il, idx, dx); } \
    extern "C" __global__ void avg_pool_##sn(i64 total, PoolGeom g, Layout xl, const st* x, st* out) { avg_pool_impl<st>(total, g, xl, x, out); } \
    extern "C" __global__ void avg_pool_backward_##sn(i64 total, PoolGeom g, Layout gl, const st* grad, st* dx) { \
        avg_pool_backward_impl<st>(total, g, gl, grad, dx); }
TORUS_FOR_FLOAT(TORUS_CONV)
