#!/usr/bin/env bash
# install-bench-reference.sh: installs the PyTorch reference that `torus bench tensor` compares with.
#
# Debian's python3-torch (1.13.1 on bookworm) for the system python (/usr/bin/python3), and
# libopenblas0-openmp: without an optimised BLAS installed, Debian's torch runs on the reference
# BLAS (4-7 GFLOP/s) and the comparison means nothing. libdnnl2 (oneDNN, which torch brings anyway)
# is also what Torus itself uses for large FLOAT32 products where installed (torus.blas.onednn).
# Needs root (or passwordless sudo) and apt.
#
# Usage: scripts/install-bench-reference.sh          # apt-get update, then install
#        scripts/install-bench-reference.sh --check  # exit 0 when the reference is usable, 1 otherwise
set -euo pipefail

python=${TORUS_BENCH_PYTHON:-/usr/bin/python3}
packages=(python3-torch libopenblas0-openmp libdnnl2)

die() { echo "install-bench-reference: $*" >&2; exit 1; }

usable() {
  [[ -x $python ]] && "$python" -c 'import torch' >/dev/null 2>&1 \
    && dpkg-query -W -f='${Status}' libopenblas0-openmp 2>/dev/null | grep -q 'install ok installed'
}

if [[ ${1:-} == --check ]]; then
  usable
  exit
fi
[[ $# -eq 0 ]] || die "unknown argument '$1' (expected nothing or --check)"

if usable; then
  echo "install-bench-reference: already installed: $("$python" -c 'import torch; print("torch", torch.__version__)') with libopenblas0-openmp"
  exit 0
fi

command -v apt-get >/dev/null || die "apt-get not found: this script installs Debian's ${packages[*]}; install PyTorch and an optimised BLAS for $python yourself, or run the bench without the reference (it says so in its table)"
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  else
    die "installing ${packages[*]} needs root: run 'sudo $0' (or as root)"
  fi
fi

echo "install-bench-reference: apt-get update" >&2
"${sudo[@]}" apt-get update -q >&2 || die "apt-get update failed (no network or no Debian repository reachable?)"
echo "install-bench-reference: apt-get install ${packages[*]}" >&2
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${packages[@]}" >&2 \
  || die "apt-get install ${packages[*]} failed"
usable || die "installed, but '$python -c \"import torch\"' still fails"
echo "install-bench-reference: installed $("$python" -c 'import torch; print("torch", torch.__version__)') with libopenblas0-openmp"
