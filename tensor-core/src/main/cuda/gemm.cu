// Our own GEMM, used when cuBLAS (libcublas.so.12) is not there: C = alpha * A x B + beta * C for a
// batch of [M, K] x [K, N] matrices with arbitrary strides (a transpose is just swapped strides),
// batch index blockIdx.z. A classic shared-memory tiling: a block of 256 threads computes a 64x64
// tile of C, each thread a 4x4 register block, stepping through K in slices of 16 staged in shared
// memory (padded by one column against bank conflicts). Loads are bounds-checked, so any M, N, K work.
// Compiled with FMA contraction on (the only kernel file that is): GEMM owes the CPU no bit identity.
#include "torus_cuda.cuh"

#define TM 64
#define TN 64
#define TK 16

template <typename T>
__device__ void gemm_impl(int M, int N, int K, T alpha,
                          const T* A, i64 aOff, i64 sAb, i64 sAr, i64 sAc,
                          const T* B, i64 bOff, i64 sBb, i64 sBr, i64 sBc,
                          T beta, T* C, i64 cOff, i64 sCb, i64 sCr, i64 sCc) {
    __shared__ T As[TK][TM + 1];
    __shared__ T Bs[TK][TN + 1];
    A += aOff + blockIdx.z * sAb;
    B += bOff + blockIdx.z * sBb;
    C += cOff + blockIdx.z * sCb;
    int row0 = blockIdx.y * TM, col0 = blockIdx.x * TN;
    int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
    T acc[4][4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) acc[i][j] = 0;
    for (int k0 = 0; k0 < K; k0 += TK) {
        for (int l = threadIdx.x; l < TM * TK; l += 256) {
            int r = l / TK, c = l % TK, gr = row0 + r, gc = k0 + c;
            As[c][r] = (gr < M && gc < K) ? A[gr * sAr + gc * sAc] : (T) 0;
        }
        for (int l = threadIdx.x; l < TK * TN; l += 256) {
            int r = l / TN, c = l % TN, gr = k0 + r, gc = col0 + c;
            Bs[r][c] = (gr < K && gc < N) ? B[gr * sBr + gc * sBc] : (T) 0;
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < TK; kk++) {
            T a[4], b[4];
#pragma unroll
            for (int i = 0; i < 4; i++) a[i] = As[kk][ty + 16 * i];
#pragma unroll
            for (int j = 0; j < 4; j++) b[j] = Bs[kk][tx + 16 * j];
#pragma unroll
            for (int i = 0; i < 4; i++)
#pragma unroll
                for (int j = 0; j < 4; j++) acc[i][j] += a[i] * b[j];
        }
        __syncthreads();
    }
    for (int i = 0; i < 4; i++) {
        int r = row0 + ty + 16 * i;
        if (r >= M) continue;
        for (int j = 0; j < 4; j++) {
            int c = col0 + tx + 16 * j;
            if (c >= N) continue;
            T* p = C + r * sCr + c * sCc;
            *p = beta == (T) 0 ? alpha * acc[i][j] : alpha * acc[i][j] + beta * *p; // beta 0 never reads C
        }
    }
}

#define TORUS_GEMM(sn, st) \
    extern "C" __global__ void gemm_##sn(int M, int N, int K, st alpha, const st* A, i64 aOff, i64 sAb, i64 sAr, i64 sAc, \
                                         const st* B, i64 bOff, i64 sBb, i64 sBr, i64 sBc, st beta, st* C, i64 cOff, i64 sCb, i64 sCr, i64 sCc) { \
        gemm_impl<st>(M, N, K, alpha, A, aOff, sAb, sAr, sAc, B, bOff, sBb, sBr, sBc, beta, C, cOff, sCb, sCr, sCc); }
TORUS_FOR_NUMERIC(TORUS_GEMM)
