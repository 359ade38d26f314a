#!/usr/bin/env bash
# compare-torch.sh: Torus beside PyTorch, on this machine, in one go.
#
# Installs the reference once (Debian's python3-torch with libopenblas0-openmp, through
# scripts/install-bench-reference.sh; needs root or passwordless sudo the first time), then runs
# the `torus bench` subcommands, each of which measures PyTorch in the same run and prints the
# two side by side with their ratio:
#   tensor    sgemm, element-wise ops and LeNet's conv layers (torch.mm, torch ops)
#   autograd  a chain of tiny ops, forward + backward, per op (torch.autograd)
#   train     training steps of the MNIST MLP and LeNet-5 (torch.nn + torch.optim.SGD)
#   comm      all-reduce bus bandwidth over N processes (torch.distributed, gloo)
#
# Usage: scripts/bench/compare-torch.sh [--quick] [--only tensor,autograd,train,comm]
#                                       [--no-install] [--dry-run]
#   --quick       the short version of every section (a few minutes in all)
#   --only LIST   just these sections (default: all four)
#   --no-install  do not install the reference; a section without it says so in its table
#   --dry-run     print the commands, run nothing
# Environment: TORUS_BENCH_PYTHON (default /usr/bin/python3), and whatever scripts/torus reads.
# Benchmarks on a shared machine are noisy: the machine's load is printed before each section.
set -euo pipefail

here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
root=$(dirname "$(dirname "$here")")
torus=$root/scripts/torus
python=${TORUS_BENCH_PYTHON:-/usr/bin/python3}

die() { echo "compare-torch: $*" >&2; exit 2; }

quick=() sections=(tensor autograd train comm) install=1 dry=0
while (($#)); do
  case $1 in
    --quick) quick=(--quick) ;;
    --only) [[ $# -ge 2 ]] || die "--only needs a list (tensor,autograd,train,comm)"
      IFS=, read -r -a sections <<<"$2"; shift ;;
    --only=*) IFS=, read -r -a sections <<<"${1#--only=}" ;;
    --no-install) install=0 ;;
    --dry-run) dry=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (expected --quick, --only LIST, --no-install, --dry-run or --help)" ;;
  esac
  shift
done
for s in "${sections[@]}"; do
  case $s in tensor | autograd | train | comm) ;; *) die "--only: unknown section '$s' (expected tensor, autograd, train or comm)" ;; esac
done

# The command of each section; the comm section compares 2 processes at a few sizes.
section_cmd() {
  case $1 in
    tensor) echo "$torus" bench tensor ${quick[@]+"${quick[@]}"} --python "$python" ;;
    autograd) echo "$torus" bench autograd ${quick[@]+"${quick[@]}"} --python "$python" ;;
    train) echo "$torus" bench train ${quick[@]+"${quick[@]}"} --only mlp,cnn --python "$python" ;;
    comm) if ((${#quick[@]})); then echo "$torus" bench comm --ranks 2 --sizes 1,16 --iters 5 --python "$python"
          else echo "$torus" bench comm --ranks 2,4 --sizes 1,16,64 --python "$python"; fi ;;
  esac
}

if ((dry)); then
  ((install)) && echo "$root/scripts/install-bench-reference.sh --check || $root/scripts/install-bench-reference.sh"
  for s in "${sections[@]}"; do section_cmd "$s"; done
  exit 0
fi

if ((install)) && ! "$root/scripts/install-bench-reference.sh" --check; then
  "$root/scripts/install-bench-reference.sh" || die "could not install the PyTorch reference (run with --no-install to bench Torus alone)"
fi

echo "== Torus beside PyTorch, $(date -u '+%Y-%m-%d %H:%M UTC') =="
echo "cpu:    $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') ($(nproc) cores)"
echo "java:   $(java -version 2>&1 | head -n 1)"
echo "torch:  $("$python" -c 'import torch; print(f"{torch.__version__} ({torch.get_num_threads()} threads by default)")' 2>/dev/null || echo 'not installed')"
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(unset)}: both sides use the same kernels; compare only runs with the same value"
status=0
for s in "${sections[@]}"; do
  read -r -a cmd <<<"$(section_cmd "$s")"
  echo
  echo "== $s: ${cmd[*]#"$root/"}   [$(uptime | sed 's/.*load average/load average/')]"
  "${cmd[@]}" || { echo "compare-torch: section $s failed (exit $?)" >&2; status=1; }
done
exit $status
