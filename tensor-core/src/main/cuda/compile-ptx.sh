#!/usr/bin/env bash
# Compiles every CUDA kernel file beside this script to PTX in OUT_DIR, when nvcc is on the PATH.
# Without nvcc it says so and succeeds: the backend then compiles the shipped .cu sources at run
# time through NVRTC (KernelModules). Usage: compile-ptx.sh OUT_DIR [ARCH] (ARCH default compute_80:
# PTX that the driver JIT-compiles for Ampere, Hopper (H100/H200) and later).
set -euo pipefail
out=${1:?usage: compile-ptx.sh OUT_DIR [ARCH]}
arch=${2:-compute_80}
src=$(cd "$(dirname "$0")" && pwd)
if ! command -v nvcc >/dev/null 2>&1; then
    echo "[torus] nvcc not found on PATH: no PTX built; the CUDA backend will compile its kernels with NVRTC at run time"
    exit 0
fi
mkdir -p "$out"
for cu in "$src"/*.cu; do
    name=$(basename "$cu" .cu)
    fmad=false
    [ "$name" = gemm ] && fmad=true # the only file that may contract a*b+c (see torus_cuda.cuh)
    nvcc -std=c++17 -arch="$arch" -fmad=$fmad -ptx -I"$src" -o "$out/$name.ptx" "$cu"
done
echo "[torus] compiled $(ls "$src"/*.cu | wc -l) CUDA files to PTX ($arch) with $(nvcc --version | tail -1)"
