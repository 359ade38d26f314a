// fdlibm's log and cos (the algorithms behind java.lang.StrictMath), for the normal fill, so that a
// CUDA device computes Generator.normal's Box-Muller transform bit for bit as the JVM does.
// CUDA's own log and cos are accurate to an ulp or two but not fdlibm's, and one ulp in a double
// changes a rounded float now and then. Only the paths Box-Muller reaches are kept: log of (0, 1],
// cos of [0, 2pi) (reduction for |x| < 2^19 pi/2).
//
// Transcribed from fdlibm 5.3 (e_log.c, k_cos.c, k_sin.c, s_cos.c, e_rem_pio2.c), which carries:
// Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved. Developed at SunSoft, a Sun
// Microsystems, Inc. business. Permission to use, copy, modify, and distribute this software is
// freely granted, provided that this notice is preserved.
//
// Everything here is __host__ __device__ so that the same text can be compiled for the host and
// compared with StrictMath without a GPU (see FdlibmPortTest). Compile with FMA contraction off.
#pragma once

#ifndef TORUS_HD
#define TORUS_HD __host__ __device__
#endif

#ifdef __CUDA_ARCH__
TORUS_HD inline long long fd_bits(double x) { return __double_as_longlong(x); }
TORUS_HD inline double fd_from(long long b) { return __longlong_as_double(b); }
#else
#include <cstring>
TORUS_HD inline long long fd_bits(double x) { long long b; std::memcpy(&b, &x, 8); return b; }
TORUS_HD inline double fd_from(long long b) { double x; std::memcpy(&x, &b, 8); return x; }
#endif

TORUS_HD inline int fd_hi(double x) { return (int) (fd_bits(x) >> 32); }
TORUS_HD inline int fd_lo(double x) { return (int) fd_bits(x); }
TORUS_HD inline double fd_with_hi(double x, int hi) {
    return fd_from((fd_bits(x) & 0xFFFFFFFFLL) | ((long long) hi << 32));
}
TORUS_HD inline double fd_hi_lo(int hi, int lo) {
    return fd_from(((long long) hi << 32) | ((long long) lo & 0xFFFFFFFFLL));
}

TORUS_HD inline double fd_log(double x) {
    const double ln2_hi = 0x1.62e42feep-1, ln2_lo = 0x1.a39ef35793c76p-33, two54 = 0x1.0p54;
    const double Lg1 = 0x1.5555555555593p-1, Lg2 = 0x1.999999997fa04p-2, Lg3 = 0x1.2492494229359p-2,
                 Lg4 = 0x1.c71c51d8e78afp-3, Lg5 = 0x1.7466496cb03dep-3, Lg6 = 0x1.39a09d078c69fp-3,
                 Lg7 = 0x1.2f112df3e5244p-3;
    double hfsq, f, s, z, R, w, t1, t2, dk;
    int k, hx, i, j, lx;
    hx = fd_hi(x);
    lx = fd_lo(x);
    k = 0;
    if (hx < 0x00100000) {
        if (((hx & 0x7fffffff) | lx) == 0) return fd_from((long long) 0xFFF0000000000000ULL); // log(+-0) = -inf
        if (hx < 0) return fd_from(0x7FF8000000000000LL);                              // log(-x) = NaN
        k -= 54;
        x *= two54;
        hx = fd_hi(x);
    }
    if (hx >= 0x7ff00000) return x + x;
    k += (hx >> 20) - 1023;
    hx &= 0x000fffff;
    i = (hx + 0x95f64) & 0x100000;
    x = fd_with_hi(x, hx | (i ^ 0x3ff00000));
    k += (i >> 20);
    f = x - 1.0;
    if ((0x000fffff & (2 + hx)) < 3) {
        if (f == 0.0) {
            if (k == 0) return 0.0;
            dk = (double) k;
            return dk * ln2_hi + dk * ln2_lo;
        }
        R = f * f * (0.5 - 0.33333333333333333 * f);
        if (k == 0) return f - R;
        dk = (double) k;
        return dk * ln2_hi - ((R - dk * ln2_lo) - f);
    }
    s = f / (2.0 + f);
    dk = (double) k;
    z = s * s;
    i = hx - 0x6147a;
    w = z * z;
    j = 0x6b851 - hx;
    t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
    t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
    i |= j;
    R = t2 + t1;
    if (i > 0) {
        hfsq = 0.5 * f * f;
        if (k == 0) return f - (hfsq - s * (hfsq + R));
        return dk * ln2_hi - ((hfsq - (s * (hfsq + R) + dk * ln2_lo)) - f);
    }
    if (k == 0) return f - s * (f - R);
    return dk * ln2_hi - ((s * (f - R) - dk * ln2_lo) - f);
}

TORUS_HD inline double fd_kernel_cos(double x, double y) {
    const double C1 = 0x1.555555555554cp-5, C2 = -0x1.6c16c16c15177p-10, C3 = 0x1.a01a019cb159p-16,
                 C4 = -0x1.27e4f809c52adp-22, C5 = 0x1.1ee9ebdb4b1c4p-29, C6 = -0x1.8fae9be8838d4p-37;
    double a, hz, z, r, qx;
    int ix = fd_hi(x) & 0x7fffffff;
    if (ix < 0x3e400000 && ((int) x) == 0) return 1.0;
    z = x * x;
    r = z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * C6)))));
    if (ix < 0x3FD33333) return 1.0 - (0.5 * z - (z * r - x * y));
    qx = ix > 0x3fe90000 ? 0.28125 : fd_hi_lo(ix - 0x00200000, 0);
    hz = 0.5 * z - qx;
    a = 1.0 - qx;
    return a - (hz - (z * r - x * y));
}

TORUS_HD inline double fd_kernel_sin(double x, double y, int iy) {
    const double S1 = -0x1.5555555555549p-3, S2 = 0x1.111111110f8a6p-7, S3 = -0x1.a01a019c161d5p-13,
                 S4 = 0x1.71de357b1fe7dp-19, S5 = -0x1.ae5e68a2b9cebp-26, S6 = 0x1.5d93a5acfd57cp-33;
    double z, r, v;
    int ix = fd_hi(x) & 0x7fffffff;
    if (ix < 0x3e400000 && (int) x == 0) return x;
    z = x * x;
    v = z * x;
    r = S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)));
    if (iy == 0) return x + v * (S1 + z * r);
    return x - ((z * (0.5 * y - v * r) - y) - v * S1);
}

// x - n * pi/2 as y0 + y1, returning n; only |x| <= 2^19 * pi/2 (larger arguments return 0 and NaN).
TORUS_HD inline int fd_rem_pio2(double x, double* y) {
    const double invpio2 = 0x1.45f306dc9c883p-1, pio2_1 = 0x1.921fb544p0, pio2_1t = 0x1.0b4611a626331p-34,
                 pio2_2 = 0x1.0b4611a6p-34, pio2_2t = 0x1.3198a2e037073p-69, pio2_3 = 0x1.3198a2ep-69,
                 pio2_3t = 0x1.b839a252049c1p-104;
    const int npio2_hw[32] = {
        0x3FF921FB, 0x400921FB, 0x4012D97C, 0x401921FB, 0x401F6A7A, 0x4022D97C, 0x4025FDBB, 0x402921FB,
        0x402C463A, 0x402F6A7A, 0x4031475C, 0x4032D97C, 0x40346B9C, 0x4035FDBB, 0x40378FDB, 0x403921FB,
        0x403AB41B, 0x403C463A, 0x403DD85A, 0x403F6A7A, 0x40407E4C, 0x4041475C, 0x4042106C, 0x4042D97C,
        0x4043A28C, 0x40446B9C, 0x404534AC, 0x4045FDBB, 0x4046C6CB, 0x40478FDB, 0x404858EB, 0x404921FB};
    double z, w, t, r, fn;
    int i, j, n, ix, hx;
    hx = fd_hi(x);
    ix = hx & 0x7fffffff;
    if (ix <= 0x3fe921fb) { y[0] = x; y[1] = 0; return 0; }
    if (ix < 0x4002d97c) {
        if (hx > 0) {
            z = x - pio2_1;
            if (ix != 0x3ff921fb) { y[0] = z - pio2_1t; y[1] = (z - y[0]) - pio2_1t; }
            else { z -= pio2_2; y[0] = z - pio2_2t; y[1] = (z - y[0]) - pio2_2t; }
            return 1;
        }
        z = x + pio2_1;
        if (ix != 0x3ff921fb) { y[0] = z + pio2_1t; y[1] = (z - y[0]) + pio2_1t; }
        else { z += pio2_2; y[0] = z + pio2_2t; y[1] = (z - y[0]) + pio2_2t; }
        return -1;
    }
    if (ix <= 0x413921fb) {
        t = x < 0 ? -x : x;
        n = (int) (t * invpio2 + 0.5);
        fn = (double) n;
        r = t - fn * pio2_1;
        w = fn * pio2_1t;
        if (n < 32 && ix != npio2_hw[n - 1]) {
            y[0] = r - w;
        } else {
            j = ix >> 20;
            y[0] = r - w;
            i = j - ((fd_hi(y[0]) >> 20) & 0x7ff);
            if (i > 16) {
                t = r;
                w = fn * pio2_2;
                r = t - w;
                w = fn * pio2_2t - ((t - r) - w);
                y[0] = r - w;
                i = j - ((fd_hi(y[0]) >> 20) & 0x7ff);
                if (i > 49) {
                    t = r;
                    w = fn * pio2_3;
                    r = t - w;
                    w = fn * pio2_3t - ((t - r) - w);
                    y[0] = r - w;
                }
            }
        }
        y[1] = (r - y[0]) - w;
        if (hx < 0) { y[0] = -y[0]; y[1] = -y[1]; return -n; }
        return n;
    }
    y[0] = y[1] = fd_from(0x7FF8000000000000LL); // outside what Box-Muller needs: NaN
    return 0;
}

TORUS_HD inline double fd_cos(double x) {
    double y[2];
    int ix = fd_hi(x) & 0x7fffffff;
    if (ix <= 0x3fe921fb) return fd_kernel_cos(x, 0.0);
    if (ix >= 0x7ff00000) return x - x;
    int n = fd_rem_pio2(x, y);
    switch (n & 3) {
        case 0: return fd_kernel_cos(y[0], y[1]);
        case 1: return -fd_kernel_sin(y[0], y[1], 1);
        case 2: return -fd_kernel_cos(y[0], y[1]);
        default: return fd_kernel_sin(y[0], y[1], 1);
    }
}
