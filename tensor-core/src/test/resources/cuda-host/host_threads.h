// Runs Torus's block-cooperative kernels (gemm.cu's tiles, the block reductions, the prefix sum) on
// the host with one std::thread per CUDA thread: threadIdx is thread-local, __syncthreads() is a
// real barrier, and shared memory is shared (KernelHostEmulationTest rewrites "__shared__" to
// "static" and "extern __shared__" to "extern" before compiling). Blocks run one after another.
#pragma once
#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

struct TorusDim3 { unsigned x, y, z; };
inline thread_local TorusDim3 threadIdx = {0, 0, 0};
inline TorusDim3 blockIdx = {0, 0, 0}, blockDim = {1, 1, 1}, gridDim = {1, 1, 1};

class TorusBarrier {
    std::mutex m;
    std::condition_variable cv;
    unsigned count = 0, waiting = 0, generation = 0;
public:
    void reset(unsigned n) { count = n; waiting = 0; }
    void wait() {
        std::unique_lock<std::mutex> lock(m);
        unsigned gen = generation;
        if (++waiting == count) { waiting = 0; generation++; cv.notify_all(); return; }
        cv.wait(lock, [&] { return gen != generation; });
    }
};
inline TorusBarrier torus_barrier;

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __syncthreads() torus_barrier.wait()

inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fadd_rn(float a, float b) { return a + b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __dadd_rn(double a, double b) { return a + b; }
inline float __int_as_float(int i) { float f; std::memcpy(&f, &i, 4); return f; }
inline double __longlong_as_double(long long i) { double d; std::memcpy(&d, &i, 8); return d; }
template <typename T> inline T atomicAdd(T* p, T v) { // one lock: correct, not fast
    static std::mutex lock;
    std::lock_guard<std::mutex> g(lock);
    T old = *p;
    *p += v;
    return old;
}
using std::max;
using std::min;

// Runs body() as every thread of every block of a grid, block after block.
template <typename F> void torus_launch(unsigned gx, unsigned gy, unsigned gz, unsigned threads, F body) {
    gridDim = {gx, gy, gz};
    blockDim = {threads, 1, 1};
    for (unsigned z = 0; z < gz; z++) for (unsigned y = 0; y < gy; y++) for (unsigned x = 0; x < gx; x++) {
        blockIdx = {x, y, z};
        torus_barrier.reset(threads);
        std::vector<std::thread> ts;
        for (unsigned t = 0; t < threads; t++) ts.emplace_back([t, &body] { threadIdx = {t, 0, 0}; body(); });
        for (auto& th : ts) th.join();
    }
}
