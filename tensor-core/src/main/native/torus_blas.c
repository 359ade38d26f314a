/*
 * torus_blas: calls BLAS GEMM on Java float[] / double[] without copying them.
 *
 * Java hands over the address of OpenBLAS's cblas_sgemm / cblas_dgemm (looked up in the library
 * bytedeco's JavaCPP has already loaded), so this file links against no BLAS at all. Each call pins
 * the three arrays with GetPrimitiveArrayCritical, runs one or more GEMMs on them, and releases
 * them. Inside the critical region there are no JNI calls and no allocation: only the GEMMs.
 * Bounds are checked on the Java side (PinnedBlas) before the call; nothing here re-checks them.
 * See Note [Pinned operands] in io.torus.tensor.backend.cpu.PinnedBlas.
 *
 * oneDNN: where the machine has libdnnl.so.2, Java may pass onednn_sgemm below instead of
 * OpenBLAS's cblas_sgemm (Note [Two GEMM libraries] in PinnedBlas). It adapts oneDNN's row-major
 * dnnl_sgemm to the cblas signature, so the pinning code is the same for both.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <jni.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef void (*sgemm_fn)(int order, int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                         const float *b, int ldb, float beta, float *c, int ldc);
typedef void (*dgemm_fn)(int order, int ta, int tb, int m, int n, int k, double alpha, const double *a, int lda,
                         const double *b, int ldb, double beta, double *c, int ldc);

enum { ROW_MAJOR = 101 };

/* The version Java checks, so that a stale library from an older build is not used. */
JNIEXPORT jint JNICALL Java_io_torus_tensor_backend_cpu_PinnedBlas_version(JNIEnv *env, jclass cls) {
    (void) env;
    (void) cls;
    return 3;
}

/* ---------------------------------------------------------------- oneDNN */

typedef int (*dnnl_sgemm_fn)(char ta, char tb, int64_t m, int64_t n, int64_t k, float alpha, const float *a,
                             int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc);
typedef void (*omp_set_num_threads_fn)(int n);

static dnnl_sgemm_fn dnnl_sgemm;
static omp_set_num_threads_fn omp_set_threads;
static volatile int onednn_threads = 1;
/* Set when a dnnl_sgemm call on this thread failed; the JNI call that made it reports it. */
static __thread int onednn_failed;

enum { TRANS = 112 };

/*
 * Note [Aligned B]: dnnl_sgemm reads an untransposed B with 64-byte vector loads, and runs 11-13%
 * slower when B does not start on a cache line (n = 256..512, 1 thread; ArrayAlignment's note
 * in io.torus.tensor has the table; A's and C's alignment made no difference, nor did B's when
 * transposed). Large Java arrays are aligned by Torus itself; smaller ones (under half a G1
 * region) move with every collection and start 16 bytes past a line. For those, when the product
 * is A x B (neither transposed) and A has at least ALIGN_MIN_M rows, B is first copied into an
 * aligned per-thread block with rows padded to whole lines. Measured in C (1 thread, us per call,
 * B aligned / B misaligned / B misaligned and copied): 256x256x256 NN 148 / 167 / 154;
 * 256x128x256 NN 76.5 / 85.6 / 79.4; 128x256x256 NN 75.2 / 85.6 / 84.0; 128x256x256 TN (A
 * transposed) 80.9 / 86.5 / 87.6: the copy pays only with many rows of A and no transposes.
 */
enum { ALIGN_MIN_M = 192, ALIGN_MAX_BYTES = 2 << 20 };
static __thread float *scratch;
static __thread size_t scratch_floats;

/* B copied to an aligned block (rows of ldb_out floats), or NULL when it is aligned already or not worth it. */
static const float *aligned_b(int ta, int tb, int m, int n, int k, const float *b, int ldb, int *ldb_out) {
    if (ta == TRANS || tb == TRANS || m < ALIGN_MIN_M || ((uintptr_t) b & 63) == 0) {
        return NULL;
    }
    int ld = (n + 15) & ~15;
    size_t need = (size_t) ld * (size_t) k;
    if (need * sizeof(float) > ALIGN_MAX_BYTES) {
        return NULL;
    }
    if (scratch_floats < need) {
        void *p = NULL;
        if (posix_memalign(&p, 64, ALIGN_MAX_BYTES) != 0) {
            return NULL;
        }
        free(scratch);
        scratch = p;
        scratch_floats = ALIGN_MAX_BYTES / sizeof(float);
    }
    for (int i = 0; i < k; i++) {
        memcpy(scratch + (size_t) i * ld, b + (size_t) i * ldb, (size_t) n * sizeof(float));
    }
    *ldb_out = ld;
    return scratch;
}

/* cblas_sgemm's signature (row-major only), computed by dnnl_sgemm on onednn_threads threads. */
static void onednn_sgemm(int order, int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                         const float *b, int ldb, float beta, float *c, int ldc) {
    (void) order;
    if (omp_set_threads != NULL) {
        omp_set_threads(onednn_threads); /* per calling thread in OpenMP, so set on every call */
    }
    int ld_aligned;
    const float *copy = aligned_b(ta, tb, m, n, k, b, ldb, &ld_aligned);
    if (copy != NULL) {
        b = copy;
        ldb = ld_aligned;
    }
    if (dnnl_sgemm(ta == TRANS ? 'T' : 'N', tb == TRANS ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        != 0) {
        onednn_failed = 1;
    }
}

/*
 * Loads oneDNN (libdnnl.so.2, or the file named by path when not null) and returns the address of
 * onednn_sgemm for Java to pass as fn, or 0 when it cannot be loaded; threads: the intra-op threads.
 */
JNIEXPORT jlong JNICALL Java_io_torus_tensor_backend_cpu_PinnedBlas_onednn(JNIEnv *env, jclass cls, jstring path,
                                                                           jint threads) {
    (void) cls;
    onednn_threads = threads < 1 ? 1 : threads;
    if (dnnl_sgemm == NULL) {
        const char *name = path == NULL ? NULL : (*env)->GetStringUTFChars(env, path, NULL);
        void *lib = dlopen(name != NULL ? name : "libdnnl.so.2", RTLD_NOW | RTLD_LOCAL);
        if (name != NULL) {
            (*env)->ReleaseStringUTFChars(env, path, name);
        }
        if (lib == NULL) {
            return 0;
        }
        dnnl_sgemm = (dnnl_sgemm_fn) dlsym(lib, "dnnl_sgemm");
        if (dnnl_sgemm == NULL) {
            return 0;
        }
        /* An OpenMP build of oneDNN brings libgomp (or libomp) in; a sequential one needs no thread count. */
        void *omp = dlopen("libgomp.so.1", RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
        if (omp == NULL) {
            omp = dlopen("libomp.so.5", RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
        }
        omp_set_threads = omp == NULL ? NULL : (omp_set_num_threads_fn) dlsym(omp, "omp_set_num_threads");
    }
    return (jlong) (intptr_t) &onednn_sgemm;
}

/* Pins a, b and c (b may be the same array as a; c may not alias either). Returns 0 when the JVM could not. */
static int pin(JNIEnv *env, jarray a, jarray b, jarray c, void **pa, void **pb, void **pc) {
    *pa = (*env)->GetPrimitiveArrayCritical(env, a, NULL);
    if (*pa == NULL) {
        return 0;
    }
    *pb = (*env)->GetPrimitiveArrayCritical(env, b, NULL);
    if (*pb == NULL) {
        (*env)->ReleasePrimitiveArrayCritical(env, a, *pa, JNI_ABORT);
        return 0;
    }
    *pc = (*env)->GetPrimitiveArrayCritical(env, c, NULL);
    if (*pc == NULL) {
        (*env)->ReleasePrimitiveArrayCritical(env, b, *pb, JNI_ABORT);
        (*env)->ReleasePrimitiveArrayCritical(env, a, *pa, JNI_ABORT);
        return 0;
    }
    return 1;
}

static void unpin(JNIEnv *env, jarray a, jarray b, jarray c, void *pa, void *pb, void *pc) {
    (*env)->ReleasePrimitiveArrayCritical(env, c, pc, 0);
    (*env)->ReleasePrimitiveArrayCritical(env, b, pb, JNI_ABORT);
    (*env)->ReleasePrimitiveArrayCritical(env, a, pa, JNI_ABORT);
}

/*
 * For i < batch: C_i = alpha * op(A_i) * op(B_i) + beta * C_i, row-major, where X_i starts at
 * element xOff + i * xBatch of array x. sgemm returns 0 when done, 1 when the arrays could not be
 * pinned (an OutOfMemoryError is then pending), 2 when oneDNN reported an error; dgemm returns
 * whether it could pin the arrays.
 */
JNIEXPORT jint JNICALL Java_io_torus_tensor_backend_cpu_PinnedBlas_sgemm(
        JNIEnv *env, jclass cls, jlong fn, jint batch, jint ta, jint tb, jint m, jint n, jint k, jfloat alpha,
        jfloatArray a, jint aOff, jint aBatch, jint lda, jfloatArray b, jint bOff, jint bBatch, jint ldb,
        jfloat beta, jfloatArray c, jint cOff, jint cBatch, jint ldc) {
    (void) cls;
    void *pa, *pb, *pc;
    if (!pin(env, a, b, c, &pa, &pb, &pc)) {
        return 1;
    }
    sgemm_fn gemm = (sgemm_fn) (intptr_t) fn;
    onednn_failed = 0;
    const float *fa = (const float *) pa;
    const float *fb = (const float *) pb;
    float *fc = (float *) pc;
    for (jint i = 0; i < batch; i++) {
        gemm(ROW_MAJOR, ta, tb, m, n, k, alpha, fa + aOff + (int64_t) i * aBatch, lda, fb + bOff + (int64_t) i * bBatch,
             ldb, beta, fc + cOff + (int64_t) i * cBatch, ldc);
    }
    unpin(env, a, b, c, pa, pb, pc);
    return onednn_failed ? 2 : 0;
}

/* One C = A * B (row-major, no transposes) on native memory at the given addresses: benchmarks call
 * the libraries this way to see what they do without Java arrays. Returns 0, or 2 when oneDNN failed. */
JNIEXPORT jint JNICALL Java_io_torus_tensor_backend_cpu_PinnedBlas_sgemmAt(
        JNIEnv *env, jclass cls, jlong fn, jint m, jint n, jint k, jlong a, jlong b, jlong c) {
    (void) env;
    (void) cls;
    onednn_failed = 0;
    ((sgemm_fn) (intptr_t) fn)(ROW_MAJOR, 111, 111, m, n, k, 1.0f, (const float *) (intptr_t) a, k,
                               (const float *) (intptr_t) b, n, 0.0f, (float *) (intptr_t) c, n);
    return onednn_failed ? 2 : 0;
}

JNIEXPORT jboolean JNICALL Java_io_torus_tensor_backend_cpu_PinnedBlas_dgemm(
        JNIEnv *env, jclass cls, jlong fn, jint batch, jint ta, jint tb, jint m, jint n, jint k, jdouble alpha,
        jdoubleArray a, jint aOff, jint aBatch, jint lda, jdoubleArray b, jint bOff, jint bBatch, jint ldb,
        jdouble beta, jdoubleArray c, jint cOff, jint cBatch, jint ldc) {
    (void) cls;
    void *pa, *pb, *pc;
    if (!pin(env, a, b, c, &pa, &pb, &pc)) {
        return JNI_FALSE;
    }
    dgemm_fn gemm = (dgemm_fn) (intptr_t) fn;
    const double *da = (const double *) pa;
    const double *db = (const double *) pb;
    double *dc = (double *) pc;
    for (jint i = 0; i < batch; i++) {
        gemm(ROW_MAJOR, ta, tb, m, n, k, alpha, da + aOff + (int64_t) i * aBatch, lda, db + bOff + (int64_t) i * bBatch,
             ldb, beta, dc + cOff + (int64_t) i * cBatch, ldc);
    }
    unpin(env, a, b, c, pa, pb, pc);
    return JNI_TRUE;
}

/* Diagnostics: the byte of its 64-byte cache line at which element 0 of the array lies now
 * (Note [Aligned storages] in io.torus.tensor.ArrayAlignment), or -1 when it cannot be pinned. */
JNIEXPORT jint JNICALL Java_io_torus_tensor_backend_cpu_PinnedBlas_lineOffset0(JNIEnv *env, jclass cls, jarray a) {
    (void) cls;
    void *p = (*env)->GetPrimitiveArrayCritical(env, a, NULL);
    if (p == NULL) {
        return -1;
    }
    jint at = (jint) ((uintptr_t) p % 64);
    (*env)->ReleasePrimitiveArrayCritical(env, a, p, JNI_ABORT);
    return at;
}
