#!/usr/bin/env bash
# Issue 9 on a GPU machine: the gpu-tagged tests, then Torus beside PyTorch CUDA on the same GPU.
#
#   scripts/bench/gpu-bench.sh [--quick] [--python PATH] [--skip-tests]
#
# 1. mvn -B verify -Dgroups=gpu: CudaBackendContractTest (the backend contract on cuda:0), CudaRandomTest
#    (fills bit for bit equal to the CPU's), CudaArraysTest, CudaModuleTest (training on CUDA vs CPU) and
#    the DDP test with CUDA gradients. Surefire reports land in */target/surefire-reports.
# 2. Builds the launcher's runtime classpath (mvn package, no tests) and runs GpuBench (Torus) and
#    torch_gpu_reference.py (PyTorch) with the same sizes: sgemm TFLOP/s, MLP and LeNet-5 training
#    samples/s; prints both and the ratios Torus / PyTorch. Goals (issue 9): sgemm >= 0.8x cuBLAS,
#    training >= 1.0x PyTorch.
# Outputs are kept in $OUT (default: target/gpu-bench) as torus.jsonl, torch.jsonl and report.txt.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
quick=()
python=${TORUS_BENCH_PYTHON:-python3}
run_tests=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) quick=(--quick) ;;
    --python) python=$2; shift ;;
    --skip-tests) run_tests=0 ;;
    *) echo "gpu-bench.sh: unknown argument '$1' (expected --quick, --python PATH, --skip-tests)" >&2; exit 2 ;;
  esac
  shift
done
out=${OUT:-$root/target/gpu-bench}
mkdir -p "$out"

echo "== environment" | tee "$out/report.txt"
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "nvidia-smi: not available";
  command -v nvcc >/dev/null && nvcc --version | tail -1 || echo "nvcc: not on PATH (kernels will be compiled by NVRTC)";
  { ldconfig -p 2>/dev/null | grep -E 'libcublas\.so|libnvrtc\.so'; find /usr/local /opt "$("$python" -c 'import site; print(site.getsitepackages()[0])' 2>/dev/null || echo /nonexistent)" \
      -name 'libcublas.so.1*' 2>/dev/null | head -5; } | sort -u | sed 's/^/found: /';
  echo "(JCublas needs libcublas.so.12 on the loader path, else GEMM runs on Torus's own kernel; see docs/gpu.md)";
  "$python" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)' 2>&1 || true; } | tee -a "$out/report.txt"

if [[ $run_tests == 1 ]]; then
  echo "== gpu-tagged tests (mvn -B verify -Dgroups=gpu)" | tee -a "$out/report.txt"
  set +e
  mvn -B verify -Dgroups=gpu -Dsurefire.failIfNoSpecifiedTests=false 2>&1 | tee "$out/tests.log" | grep -E "Tests run:|FAIL|ERROR|BUILD" | tee -a "$out/report.txt"
  tests_rc=${PIPESTATUS[0]}
  set -e
  echo "tests exit status: $tests_rc" | tee -a "$out/report.txt"
fi

echo "== build (mvn -B -q package -DskipTests)" | tee -a "$out/report.txt"
mvn -B -q package -DskipTests
jar=$(ls launcher/target/torus-launcher-*.jar | grep -v -e '-sources.jar$' -e '-tests.jar$' | head -n 1)
flags=$(cat launcher/target/classes/io/torus/launcher/jvm-flags.txt)

echo "== Torus (GpuBench)" | tee -a "$out/report.txt"
# shellcheck disable=SC2086
java $flags -Xmx8g -cp "$jar:launcher/target/lib/*" io.torus.launcher.bench.GpuBench "${quick[@]}" | tee "$out/torus.jsonl"
echo "== PyTorch (torch_gpu_reference.py)" | tee -a "$out/report.txt"
"$python" scripts/bench/torch_gpu_reference.py "${quick[@]}" | tee "$out/torch.jsonl"

echo "== Torus / PyTorch" | tee -a "$out/report.txt"
"$python" - "$out/torus.jsonl" "$out/torch.jsonl" <<'PY' | tee -a "$out/report.txt"
import json, sys
def load(p):
    return [json.loads(l) for l in open(p) if l.strip().startswith("{")]
torus, torch = load(sys.argv[1]), load(sys.argv[2])
for side in (torus, torch):
    for r in side:
        if r["kind"] == "env":
            print("env:", {k: v for k, v in r.items() if k != "kind"})
def key(r):
    return (r["kind"], r.get("n"), r.get("model"), r.get("batch"))
ref = {key(r): r for r in torch if r["kind"] in ("sgemm", "train")}
print("%-22s %14s %14s %8s %s" % ("measurement", "Torus", "PyTorch", "ratio", "goal"))
for r in torus:
    if r["kind"] not in ("sgemm", "train") or key(r) not in ref:
        continue
    t = ref[key(r)]
    if r["kind"] == "sgemm":
        print("%-22s %11.2f TF %11.2f TF %7.2fx %s" % ("sgemm n=%d" % r["n"], r["tflops"], t["tflops"], r["tflops"] / t["tflops"], ">= 0.8x"))
    else:
        print("%-22s %12.0f/s %12.0f/s %7.2fx %s" % ("%s batch %d" % (r["model"], r["batch"]), r["samples_per_s"],
              t["samples_per_s"], r["samples_per_s"] / t["samples_per_s"], ">= 1.0x"))
PY
echo "report: $out/report.txt"
