/*
 * torus_blas: calls BLAS GEMM on Java float[] / double[] without copying them.
 *
 * Java hands over the address of OpenBLAS's cblas_sgemm / cblas_dgemm (looked up in the library
 * bytedeco's JavaCPP has already loaded), so this file links against no BLAS at all. Each call pins
 * the three arrays with GetPrimitiveArrayCritical, runs one or more GEMMs on them, and releases
 * them. Inside the critical region there are no JNI calls and no allocation: only the GEMMs.
 * Bounds are checked on the Java side (PinnedBlas) before the call; nothing here re-checks them.
 * See Note [Pinned operands] in io.torus.tensor.backend.cpu.PinnedBlas.
 */
#include <jni.h>
#include <stdint.h>

typedef void (*sgemm_fn)(int order, int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                         const float *b, int ldb, float beta, float *c, int ldc);
typedef void (*dgemm_fn)(int order, int ta, int tb, int m, int n, int k, double alpha, const double *a, int lda,
                         const double *b, int ldb, double beta, double *c, int ldc);

enum { ROW_MAJOR = 101 };

/* The version Java checks, so that a stale library from an older build is not used. */
JNIEXPORT jint JNICALL Java_io_torus_tensor_backend_cpu_PinnedBlas_version(JNIEnv *env, jclass cls) {
    (void) env;
    (void) cls;
    return 1;
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
 * element xOff + i * xBatch of array x. Returns 0 when the arrays could not be pinned (an
 * OutOfMemoryError is then pending).
 */
JNIEXPORT jboolean JNICALL Java_io_torus_tensor_backend_cpu_PinnedBlas_sgemm(
        JNIEnv *env, jclass cls, jlong fn, jint batch, jint ta, jint tb, jint m, jint n, jint k, jfloat alpha,
        jfloatArray a, jint aOff, jint aBatch, jint lda, jfloatArray b, jint bOff, jint bBatch, jint ldb,
        jfloat beta, jfloatArray c, jint cOff, jint cBatch, jint ldc) {
    (void) cls;
    void *pa, *pb, *pc;
    if (!pin(env, a, b, c, &pa, &pb, &pc)) {
        return JNI_FALSE;
    }
    sgemm_fn gemm = (sgemm_fn) (intptr_t) fn;
    const float *fa = (const float *) pa;
    const float *fb = (const float *) pb;
    float *fc = (float *) pc;
    for (jint i = 0; i < batch; i++) {
        gemm(ROW_MAJOR, ta, tb, m, n, k, alpha, fa + aOff + (int64_t) i * aBatch, lda, fb + bOff + (int64_t) i * bBatch,
             ldb, beta, fc + cOff + (int64_t) i * cBatch, ldc);
    }
    unpin(env, a, b, c, pa, pb, pc);
    return JNI_TRUE;
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
