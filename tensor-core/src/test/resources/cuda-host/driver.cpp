// Runs Torus's CUDA kernels on the host (host_shim.h) against naive loops written here, and
// prints one line per check; exit status = number of failed checks. See KernelHostEmulationTest.
#include "torus_cuda.cuh"
#include <cstdio>
#include <cstdlib>
#include <vector>

unsigned char smem_raw[1 << 16]; // the kernels' extern __shared__ buffer

struct ConvGeom { int N, C, H, W, O, KH, KW, OH, OW, sh, sw, ph, pw, dh, dw; };
struct PoolGeom { int N, C, H, W, OH, OW, kh, kw, sh, sw, ph, pw, dh, dw, ceil, countIncludePad; };

extern "C" {
void copy_f32_f64(i64, Layout, const float*, Layout, double*);
void reduce_f32(i64, i64, int, Layout, Layout, const float*, Layout, float*);
void argreduce_f32(i64, int, int, Layout, int, const float*, Layout, i64*);
void log_softmax_f64(i64, int, Layout, int, const double*, Layout, int, double*);
void gather_f32_i64(i64, int, Layout, const i64*, Layout, const float*, Layout, float*);
void scatter_add_f32_i64(i64, int, Layout, const i64*, Layout, const float*, Layout, float*);
void mask_flags(i64, Layout, const b8*, int*);
void inclusive_scan_i32(i64, int*);
void masked_select_f64(i64, Layout, const b8*, const int*, Layout, const double*, Layout, double*);
void masked_scatter_f64(i64, Layout, const b8*, const int*, Layout, const double*, Layout, double*);
void im2col_f32(i64, ConvGeom, Layout, const float*, float*);
void col2im_f32(i64, ConvGeom, const float*, float*, i64);
void bias_add_f32(i64, int, int, Layout, const float*, float*);
void max_pool_f32(i64, PoolGeom, Layout, const float*, float*, i64*);
void max_pool_backward_f32(i64, PoolGeom, Layout, const float*, Layout, const i64*, float*);
void avg_pool_f32(i64, PoolGeom, Layout, const float*, float*);
void avg_pool_backward_f32(i64, PoolGeom, Layout, const float*, float*);
void binary_f32(i64, int, Layout, const float*, Layout, const float*, Layout, float*);
void axpby_f32(i64, float, Layout, const float*, float, Layout, const float*, Layout, float*);
}

static int failures = 0;

static void check(bool ok, const char* what) {
    std::printf("%s %s\n", ok ? "ok" : "FAIL", what);
    if (!ok) failures++;
}

static bool close(double a, double b, double tol = 1e-4) {
    return std::fabs(a - b) <= tol * std::max(1.0, std::fabs(a));
}

static Layout layout(std::vector<int> shape, std::vector<int> stride, int offset) {
    Layout l{};
    l.ndim = (int) shape.size();
    l.offset = offset;
    for (size_t d = 0; d < shape.size(); d++) { l.shape[d] = shape[d]; l.stride[d] = stride[d]; }
    return l;
}

static Layout contiguous(std::vector<int> shape) {
    std::vector<int> st(shape.size());
    int s = 1;
    for (int d = (int) shape.size() - 1; d >= 0; d--) { st[d] = s; s *= shape[d]; }
    return layout(shape, st, 0);
}

static float val(int i) { return (float) (((i * 37) % 101) - 50) / 25.0f; }

int main() {
    // copy through a transposed view with an offset: dst[i][j] = src[offset + j * 4 + i]
    {
        std::vector<float> src(13);
        for (int i = 0; i < 13; i++) src[i] = val(i);
        std::vector<double> dst(12);
        copy_f32_f64(12, layout({4, 3}, {1, 4}, 1), src.data(), contiguous({4, 3}), dst.data());
        bool ok = true;
        for (int i = 0; i < 4; i++) for (int j = 0; j < 3; j++) ok &= dst[i * 3 + j] == (double) src[1 + j * 4 + i];
        check(ok, "copy_f32_f64 transposed view with offset");
    }
    // binary and axpby with a broadcast row
    {
        std::vector<float> a(12), b(4), o(12);
        for (int i = 0; i < 12; i++) a[i] = val(i);
        for (int i = 0; i < 4; i++) b[i] = val(50 + i);
        binary_f32(12, 1, contiguous({3, 4}), a.data(), layout({3, 4}, {0, 1}, 0), b.data(), contiguous({3, 4}), o.data());
        bool ok = true;
        for (int i = 0; i < 12; i++) ok &= o[i] == a[i] - b[i % 4];
        check(ok, "binary_f32 sub with a broadcast row");
        axpby_f32(12, 0.5f, contiguous({3, 4}), a.data(), -2.0f, layout({3, 4}, {0, 1}, 0), b.data(), contiguous({3, 4}), o.data());
        ok = true;
        for (int i = 0; i < 12; i++) ok &= o[i] == 0.5f * a[i] + -2.0f * b[i % 4];
        check(ok, "axpby_f32 with a broadcast row");
    }
    // reductions over a permuted [3, 5, 4] view of a contiguous [4, 3, 5] array
    {
        std::vector<float> x(60);
        for (int i = 0; i < 60; i++) x[i] = val(i);
        // view element (a, b, c) = x[c * 15 + a * 5 + b]: shape [3, 5, 4], strides [5, 1, 15]
        std::vector<float> sum(12), mx(1);
        reduce_f32(12, 5, 0, layout({3, 4}, {5, 15}, 0), layout({5}, {1}, 0), x.data(), contiguous({3, 4}), sum.data());
        bool ok = true;
        for (int a = 0; a < 3; a++) for (int c = 0; c < 4; c++) {
            float s = 0;
            for (int b = 0; b < 5; b++) s += x[c * 15 + a * 5 + b];
            ok &= close(sum[a * 4 + c], s);
        }
        check(ok, "reduce_f32 sum over dim 1 of a permuted view");
        reduce_f32(1, 60, 1, layout({}, {}, 0), layout({3, 5, 4}, {5, 1, 15}, 0), x.data(), layout({}, {}, 0), mx.data());
        check(mx[0] == *std::max_element(x.begin(), x.end()), "reduce_f32 max over all dims");
        std::vector<i64> arg(12);
        argreduce_f32(12, 5, 1, layout({3, 4}, {5, 15}, 0), 1, x.data(), contiguous({3, 4}), arg.data());
        ok = true;
        for (int a = 0; a < 3; a++) for (int c = 0; c < 4; c++) {
            int best = 0;
            for (int b = 1; b < 5; b++) if (x[c * 15 + a * 5 + b] > x[c * 15 + a * 5 + best]) best = b;
            ok &= arg[a * 4 + c] == best;
        }
        check(ok, "argreduce_f32 first index of the max along dim 1");
    }
    // log-softmax along dim 0 of [3, 4]
    {
        std::vector<double> x(12), o(12);
        for (int i = 0; i < 12; i++) x[i] = val(i);
        log_softmax_f64(4, 3, layout({4}, {1}, 0), 4, x.data(), layout({4}, {1}, 0), 4, o.data());
        bool ok = true;
        for (int j = 0; j < 4; j++) {
            double lse = 0;
            for (int i = 0; i < 3; i++) lse += std::exp(x[i * 4 + j]);
            for (int i = 0; i < 3; i++) ok &= close(o[i * 4 + j], x[i * 4 + j] - std::log(lse), 1e-12);
        }
        check(ok, "log_softmax_f64 along dim 0");
    }
    // gather and scatter-add along dim 1
    {
        std::vector<float> x = {1, 2, 3, 4, 5, 6}, out(4), acc(6, 0.0f), src = {1, 10, 100, 1000};
        std::vector<i64> idx = {2, 2, 0, 1};
        gather_f32_i64(4, 1, contiguous({2, 2}), idx.data(), layout({2, 2}, {3, 1}, 0), x.data(), contiguous({2, 2}), out.data());
        check(out == std::vector<float>({3, 3, 4, 5}), "gather_f32_i64 along dim 1");
        scatter_add_f32_i64(4, 1, contiguous({2, 2}), idx.data(), contiguous({2, 2}), src.data(), layout({2, 2}, {3, 1}, 0), acc.data());
        check(acc == std::vector<float>({0, 0, 11, 100, 1000, 0}), "scatter_add_f32_i64 sums repeated indices");
    }
    // masked select and scatter with the prefix sum, over 2500 elements (several scan tiles)
    {
        blockDim.x = 1;
        int n = 2500;
        std::vector<b8> m(n);
        std::vector<double> x(n);
        int count = 0;
        for (int i = 0; i < n; i++) { m[i] = (i % 3 == 0) || (i % 7 == 1); x[i] = i; count += m[i]; }
        std::vector<int> scan(n);
        mask_flags(n, contiguous({n}), m.data(), scan.data());
        inclusive_scan_i32(n, scan.data());
        std::vector<double> out(count);
        masked_select_f64(n, contiguous({n}), m.data(), scan.data(), contiguous({n}), x.data(), contiguous({count}), out.data());
        bool ok = scan[n - 1] == count;
        for (int i = 0, k = 0; i < n; i++) if (m[i]) ok &= out[k++] == x[i];
        check(ok, "mask_flags + inclusive_scan_i32 + masked_select_f64 in row-major order");
        std::vector<double> target(n, -1.0);
        masked_scatter_f64(n, contiguous({n}), m.data(), scan.data(), contiguous({count}), out.data(), contiguous({n}), target.data());
        ok = true;
        for (int i = 0; i < n; i++) ok &= target[i] == (m[i] ? x[i] : -1.0);
        check(ok, "masked_scatter_f64 fills the true positions in order");
    }
    // convolution: im2col + a naive GEMM + bias against direct loops; col2im against the direct input gradient
    for (int variant = 0; variant < 2; variant++) {
        ConvGeom g = variant == 0 ? ConvGeom{2, 3, 7, 6, 4, 3, 2, 0, 0, 1, 1, 1, 1, 1, 1}
                                  : ConvGeom{2, 3, 7, 6, 4, 3, 2, 0, 0, 2, 1, 1, 2, 1, 2};
        g.OH = (g.H + 2 * g.ph - g.dh * (g.KH - 1) - 1) / g.sh + 1;
        g.OW = (g.W + 2 * g.pw - g.dw * (g.KW - 1) - 1) / g.sw + 1;
        int ckk = g.C * g.KH * g.KW, ohw = g.OH * g.OW;
        // x stored as [N, C, W, H] and viewed as [N, C, H, W] (transposed last two dims)
        std::vector<float> xs(g.N * g.C * g.H * g.W), w(g.O * ckk), bias(g.O);
        for (size_t i = 0; i < xs.size(); i++) xs[i] = val((int) i);
        for (size_t i = 0; i < w.size(); i++) w[i] = val((int) i + 7);
        for (int i = 0; i < g.O; i++) bias[i] = val(i + 3);
        Layout xl = layout({g.N, g.C, g.H, g.W}, {g.C * g.H * g.W, g.H * g.W, 1, g.H}, 0);
        auto X = [&](int n, int c, int h, int wi) { return xs[((n * g.C + c) * g.W + wi) * g.H + h]; };
        std::vector<float> col((size_t) g.N * ckk * ohw), out((size_t) g.N * g.O * ohw, 0.0f);
        im2col_f32((i64) col.size(), g, xl, xs.data(), col.data());
        for (int n = 0; n < g.N; n++) for (int o = 0; o < g.O; o++) for (int p = 0; p < ohw; p++) {
            float s = 0;
            for (int k = 0; k < ckk; k++) s += w[o * ckk + k] * col[((size_t) n * ckk + k) * ohw + p];
            out[((size_t) n * g.O + o) * ohw + p] = s;
        }
        bias_add_f32((i64) out.size(), g.O, ohw, contiguous({g.O}), bias.data(), out.data());
        std::vector<float> gout(out.size()), dx((size_t) g.N * g.C * g.H * g.W, 0.0f);
        for (size_t i = 0; i < gout.size(); i++) gout[i] = val((int) i + 11);
        std::vector<float> dxRef(dx.size(), 0.0f);
        bool ok = true;
        for (int n = 0; n < g.N; n++) for (int o = 0; o < g.O; o++) for (int oh = 0; oh < g.OH; oh++) for (int ow = 0; ow < g.OW; ow++) {
            float s = bias[o];
            float go = gout[((n * g.O + o) * g.OH + oh) * g.OW + ow];
            for (int c = 0; c < g.C; c++) for (int r = 0; r < g.KH; r++) for (int q = 0; q < g.KW; q++) {
                int h = oh * g.sh - g.ph + r * g.dh, wi = ow * g.sw - g.pw + q * g.dw;
                if (h < 0 || h >= g.H || wi < 0 || wi >= g.W) continue;
                float wv = w[((o * g.C + c) * g.KH + r) * g.KW + q];
                s += X(n, c, h, wi) * wv;
                dxRef[((n * g.C + c) * g.H + h) * g.W + wi] += go * wv;
            }
            ok &= close(out[((n * g.O + o) * g.OH + oh) * g.OW + ow], s);
        }
        check(ok, variant == 0 ? "im2col_f32 + bias_add_f32: conv2d stride 1 padding 1" : "im2col_f32 + bias_add_f32: conv2d stride 2x1 padding 1x2 dilation 1x2");
        // dcol[n] = W^T gout[n], then col2im, image by image with the offset the backend passes
        std::vector<float> dcol(col.size());
        for (int n = 0; n < g.N; n++) for (int k = 0; k < ckk; k++) for (int p = 0; p < ohw; p++) {
            float s = 0;
            for (int o = 0; o < g.O; o++) s += w[o * ckk + k] * gout[((size_t) n * g.O + o) * ohw + p];
            dcol[((size_t) n * ckk + k) * ohw + p] = s;
        }
        ConvGeom one = g;
        one.N = 1;
        for (int n = 0; n < g.N; n++) {
            i64 per = (i64) g.C * g.H * g.W;
            col2im_f32(per, one, dcol.data() + (size_t) n * ckk * ohw, dx.data(), n * per);
        }
        ok = true;
        for (size_t i = 0; i < dx.size(); i++) ok &= close(dx[i], dxRef[i]);
        check(ok, variant == 0 ? "col2im_f32: conv2d input gradient, stride 1" : "col2im_f32: conv2d input gradient, strided and dilated");
    }
    // pooling on a permuted [2, 3, 7, 5] view (stored [2, 7, 5, 3]) against PyTorch's definitions
    {
        int N = 2, C = 3, H = 7, W = 5;
        std::vector<float> xs(N * C * H * W);
        for (size_t i = 0; i < xs.size(); i++) xs[i] = val((int) i * 3);
        Layout xl = layout({N, C, H, W}, {H * W * C, 1, W * C, C}, 0);
        auto X = [&](int n, int c, int h, int w) { return xs[((n * H + h) * W + w) * C + c]; };
        struct P { int k, s, p, ceil, cip; const char* name; } ps[] = {
            {3, 2, 1, 0, 1, "3x3 stride 2 padding 1"}, {2, 2, 0, 1, 0, "2x2 ceil mode, padding excluded"}, {2, 2, 0, 0, 1, "2x2"}};
        for (const P& p : ps) {
            auto outSize = [&](int in) {
                int span = in + 2 * p.p - (p.k - 1) - 1 + (p.ceil ? p.s - 1 : 0);
                int out = span / p.s + 1;
                if (p.ceil && (out - 1) * p.s >= in + p.p) out--;
                return out;
            };
            PoolGeom g{N, C, H, W, outSize(H), outSize(W), p.k, p.k, p.s, p.s, p.p, p.p, 1, 1, p.ceil, p.cip};
            int total = N * C * g.OH * g.OW;
            std::vector<float> mx(total), avg(total), grad(total), dxm(N * C * H * W, 0.0f), dxa(N * C * H * W, 0.0f);
            std::vector<i64> idx(total);
            for (int i = 0; i < total; i++) grad[i] = val(i + 5);
            max_pool_f32(total, g, xl, xs.data(), mx.data(), idx.data());
            avg_pool_f32(total, g, xl, xs.data(), avg.data());
            max_pool_backward_f32(total, g, contiguous({total}), grad.data(), contiguous({total}), idx.data(), dxm.data());
            avg_pool_backward_f32(total, g, contiguous({total}), grad.data(), dxa.data());
            std::vector<float> dxmRef(dxm.size(), 0.0f), dxaRef(dxa.size(), 0.0f);
            bool okMax = true, okAvg = true;
            for (int i = 0; i < total; i++) {
                int pl = i / (g.OH * g.OW), n = pl / C, c = pl % C;
                int h0 = i / g.OW % g.OH * p.s - p.p, w0 = i % g.OW * p.s - p.p;
                int h1 = std::min(h0 + p.k, H + p.p), w1 = std::min(w0 + p.k, W + p.p);
                int div = (h1 - h0) * (w1 - w0);
                h1 = std::min(h1, H); w1 = std::min(w1, W); h0 = std::max(h0, 0); w0 = std::max(w0, 0);
                if (!p.cip) div = (h1 - h0) * (w1 - w0);
                float best = -INFINITY, sum = 0;
                int arg = h0 * W + w0;
                for (int r = h0; r < h1; r++) for (int q = w0; q < w1; q++) {
                    float v = X(n, c, r, q);
                    sum += v;
                    if (v > best) { best = v; arg = r * W + q; }
                }
                okMax &= mx[i] == best && idx[i] == arg;
                okAvg &= close(avg[i], sum / div);
                dxmRef[pl * H * W + arg] += grad[i];
                for (int r = h0; r < h1; r++) for (int q = w0; q < w1; q++) dxaRef[pl * H * W + r * W + q] += grad[i] / div;
            }
            bool okMaxB = true, okAvgB = true;
            for (size_t i = 0; i < dxm.size(); i++) { okMaxB &= close(dxm[i], dxmRef[i]); okAvgB &= close(dxa[i], dxaRef[i]); }
            char what[160];
            std::snprintf(what, sizeof what, "max_pool_f32 values and indices, %s", p.name); check(okMax, what);
            std::snprintf(what, sizeof what, "avg_pool_f32, %s", p.name); check(okAvg, what);
            std::snprintf(what, sizeof what, "max_pool_backward_f32, %s", p.name); check(okMaxB, what);
            std::snprintf(what, sizeof what, "avg_pool_backward_f32, %s", p.name); check(okAvgB, what);
        }
    }
    std::printf("%d failures\n", failures);
    return failures;
}
