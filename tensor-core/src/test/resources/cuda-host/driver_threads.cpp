// Block-cooperative kernels with real threads (host_threads.h) against naive loops; exit status =
// number of failed checks. See KernelHostEmulationTest.
#include "torus_cuda.cuh"
#include <cstdio>
#include <vector>

unsigned char smem_raw[1 << 16];

extern "C" {
void gemm_f32(int, int, int, float, const float*, i64, i64, i64, i64, const float*, i64, i64, i64, i64, float, float*, i64, i64, i64, i64);
void gemm_f64(int, int, int, double, const double*, i64, i64, i64, i64, const double*, i64, i64, i64, i64, double, double*, i64, i64, i64, i64);
void reduce_f32(i64, i64, int, Layout, Layout, const float*, Layout, float*);
void argreduce_f32(i64, int, int, Layout, int, const float*, Layout, i64*);
void log_softmax_f32(i64, int, Layout, int, const float*, Layout, int, float*);
void inclusive_scan_i32(i64, int*);
}

static int failures = 0;
static void check(bool ok, const char* what) {
    std::printf("%s %s\n", ok ? "ok" : "FAIL", what);
    if (!ok) failures++;
}
static bool close(double a, double b, double tol) { return std::fabs(a - b) <= tol * std::max(1.0, std::fabs(a)); }
static float val(int i) { return (float) (((i * 37) % 101) - 50) / 25.0f; }
static Layout layout(std::vector<int> shape, std::vector<int> stride, int offset) {
    Layout l{};
    l.ndim = (int) shape.size();
    l.offset = offset;
    for (size_t d = 0; d < shape.size(); d++) { l.shape[d] = shape[d]; l.stride[d] = stride[d]; }
    return l;
}

template <typename T, typename G>
static void gemm_case(G gemm, int batch, int M, int N, int K, bool transA, bool transB, bool sharedA, T alpha, T beta, const char* what) {
    // A [batch or 1][M][K] (stored transposed when transA), B [batch][K][N] (transposed when transB), C [batch][M][N]
    std::vector<T> A((size_t) (sharedA ? 1 : batch) * M * K), B((size_t) batch * K * N), C((size_t) batch * M * N), C0;
    for (size_t i = 0; i < A.size(); i++) A[i] = (T) val((int) i);
    for (size_t i = 0; i < B.size(); i++) B[i] = (T) val((int) i + 13);
    for (size_t i = 0; i < C.size(); i++) C[i] = (T) val((int) i + 29);
    C0 = C;
    i64 sAb = sharedA ? 0 : (i64) M * K, sAr = transA ? 1 : K, sAc = transA ? M : 1;
    i64 sBb = (i64) K * N, sBr = transB ? 1 : N, sBc = transB ? K : 1;
    torus_launch((N + 63) / 64, (M + 63) / 64, batch, 256, [&] {
        gemm(M, N, K, alpha, A.data(), 0, sAb, sAr, sAc, B.data(), 0, sBb, sBr, sBc, beta, C.data(), 0, (i64) M * N, N, 1);
    });
    bool ok = true;
    for (int b = 0; b < batch; b++) for (int i = 0; i < M; i++) for (int j = 0; j < N; j++) {
        double s = 0;
        for (int k = 0; k < K; k++) s += (double) A[b * sAb + i * sAr + k * sAc] * (double) B[b * sBb + k * sBr + j * sBc];
        double expect = alpha * s + (beta == 0 ? 0.0 : beta * (double) C0[((size_t) b * M + i) * N + j]);
        ok &= close(expect, C[((size_t) b * M + i) * N + j], sizeof(T) == 4 ? 1e-4 : 1e-12);
    }
    check(ok, what);
}

int main() {
    gemm_case<float>(gemm_f32, 1, 70, 130, 37, false, false, false, 1.0f, 0.0f, "gemm_f32 70x37 x 37x130 (partial tiles)");
    gemm_case<float>(gemm_f32, 2, 65, 64, 129, true, true, true, 0.5f, 2.0f, "gemm_f32 batch 2, both transposed, A shared (stride 0), alpha/beta");
    gemm_case<double>(gemm_f64, 3, 17, 5, 64, false, true, false, 1.0, 0.0, "gemm_f64 batch 3, B transposed");
    gemm_case<float>(gemm_f32, 1, 3, 4, 0, false, false, false, 1.0f, 0.5f, "gemm_f32 K = 0 scales C by beta");

    std::vector<float> x(64 * 300);
    for (size_t i = 0; i < x.size(); i++) x[i] = val((int) i);
    x[5 * 300 + 7] = 99; x[5 * 300 + 200] = 99; // a tie: the first index must win
    {
        std::vector<float> sum(64), mx(64);
        torus_launch(64, 1, 1, 128, [&] { reduce_f32(64, 300, 0, layout({64}, {300}, 0), layout({300}, {1}, 0), x.data(), layout({64}, {1}, 0), sum.data()); });
        torus_launch(16, 1, 1, 64, [&] { reduce_f32(64, 300, 1, layout({64}, {300}, 0), layout({300}, {1}, 0), x.data(), layout({64}, {1}, 0), mx.data()); });
        bool okSum = true, okMax = true;
        for (int r = 0; r < 64; r++) {
            double s = 0;
            float m = -INFINITY;
            for (int c = 0; c < 300; c++) { s += x[r * 300 + c]; m = std::max(m, x[r * 300 + c]); }
            okSum &= close(s, sum[r], 1e-4);
            okMax &= mx[r] == m;
        }
        check(okSum, "reduce_f32 sum, 128 threads per row (tree in shared memory)");
        check(okMax, "reduce_f32 max, 64 threads, 16 blocks striding over 64 rows");
    }
    {
        std::vector<i64> arg(64);
        torus_launch(64, 1, 1, 64, [&] { argreduce_f32(64, 300, 1, layout({64}, {300}, 0), 1, x.data(), layout({64}, {1}, 0), arg.data()); });
        bool ok = true;
        for (int r = 0; r < 64; r++) {
            int best = 0;
            for (int c = 1; c < 300; c++) if (x[r * 300 + c] > x[r * 300 + best]) best = c;
            ok &= arg[r] == best;
        }
        check(ok && arg[5] == 7, "argreduce_f32 with 64 threads: the first index of the max, ties included");
    }
    {
        std::vector<float> o(x.size());
        torus_launch(64, 1, 1, 32, [&] { log_softmax_f32(64, 300, layout({64}, {300}, 0), 1, x.data(), layout({64}, {300}, 0), 1, o.data()); });
        bool ok = true;
        for (int r = 0; r < 64; r++) {
            double m = -INFINITY, s = 0;
            for (int c = 0; c < 300; c++) m = std::max(m, (double) x[r * 300 + c]);
            for (int c = 0; c < 300; c++) s += std::exp(x[r * 300 + c] - m);
            for (int c = 0; c < 300; c++) ok &= close(x[r * 300 + c] - m - std::log(s), o[r * 300 + c], 1e-4);
        }
        check(ok, "log_softmax_f32 with 32 threads per row");
    }
    {
        int n = 5000;
        std::vector<int> d(n), ref(n);
        for (int i = 0; i < n; i++) d[i] = (i * 7) % 3;
        for (int i = 0, s = 0; i < n; i++) { s += d[i]; ref[i] = s; }
        torus_launch(1, 1, 1, 1024, [&] { inclusive_scan_i32(n, d.data()); });
        check(d == ref, "inclusive_scan_i32 with 1024 threads over 5000 elements (5 tiles)");
    }
    std::printf("%d failures\n", failures);
    return failures;
}
