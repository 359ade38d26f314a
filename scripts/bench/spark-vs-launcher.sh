#!/usr/bin/env bash
# Spark vs launcher: the same job (mnist-mlp), world size and epochs run once through
# `torus run` (the reference) and once through `torus spark-submit` on a standalone cluster
# started by scripts/spark-cluster.sh, and prints
#   - training throughput (samples/s, mean over the epochs after the first, from each run's
#     metrics.csv) and the ratio Spark / launcher (goal >= 0.9);
#   - wall time of each command and its fixed cost: wall time minus the epochs' training time
#     (JVM starts, rendezvous, data loading; for Spark also the driver, executors, the barrier
#     stage and materialising the DataFrame into partition files).
#
# Usage: scripts/bench/spark-vs-launcher.sh [EPOCHS (3)] [WORKERS (2)]
# Environment: TORUS_MNIST_DIR (data, default <repo>/data/mnist; fetched when missing),
# TORUS_CLASSPATH (as for scripts/torus), TORUS_SPARK_MASTER_PORT (default: a free port).
# The cluster is started and stopped by this script. Run it on an otherwise idle machine: it
# prints the load average before and after, and the OpenBLAS core type, which change the figures.
set -euo pipefail

root=$(dirname "$(dirname "$(dirname "$(readlink -f "$0")")")")
epochs=${1:-3}
workers=${2:-2}
data=${TORUS_MNIST_DIR:-$root/data/mnist}
[[ -f $data/train-images-idx3-ubyte || -f $data/train-images-idx3-ubyte.gz ]] || "$root/scripts/fetch-mnist.sh" "$data"
work=$(mktemp -d "${TMPDIR:-/tmp}/torus-bench-spark-XXXXXX")
export TORUS_SPARK_CLUSTER_DIR=$work/cluster
export TORUS_SPARK_WORKERS=$workers
if [[ -z ${TORUS_SPARK_MASTER_PORT:-} ]]; then
  # the first port from 17000 on which nothing listens
  p=17000
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
  export TORUS_SPARK_MASTER_PORT=$p
fi
cleanup() { "$root/scripts/spark-cluster.sh" stop >/dev/null 2>&1 || true; }
trap cleanup EXIT

now() { date +%s.%N; }
# mean samples/s of epochs 2.. (epoch 1 too when there is only one), and the sum of epoch seconds
metrics() {
  awk -F, 'NR > 1 { n++; s[n] = $8; t += $7 } END {
    from = n > 1 ? 2 : 1; for (i = from; i <= n; i++) { sum += s[i]; c++ }
    printf "%.1f %.2f\n", sum / c, t }' "$1/metrics.csv"
}

echo "spark-vs-launcher: mnist-mlp, $epochs epochs, $workers workers, data $data"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}; $(nproc) cores"

t0=$(now)
"$root/scripts/torus" run --nproc-per-node "$workers" --run-dir "$work/launcher" mnist-mlp --data "$data" \
  --epochs "$epochs" >"$work/launcher.log" 2>&1 || { cat "$work/launcher.log"; exit 1; }
t1=$(now)
read -r l_sps l_train <<<"$(metrics "$work/launcher")"

c0=$(now)
"$root/scripts/spark-cluster.sh" start >"$work/cluster.log" 2>&1 || { cat "$work/cluster.log"; exit 1; }
c1=$(now)
s0=$(now)
"$root/scripts/torus" spark-submit --master "spark://127.0.0.1:$TORUS_SPARK_MASTER_PORT" --num-workers "$workers" \
  --conf spark.executor.memory=2g --data "$data" --run-dir "$work/spark" mnist-mlp --data "$data" --epochs "$epochs" >"$work/spark.log" 2>&1 \
  || { cat "$work/spark.log"; exit 1; }
s1=$(now)
read -r s_sps s_train <<<"$(metrics "$work/spark")"

awk -v lw="$(awk -v a="$t1" -v b="$t0" 'BEGIN { print a - b }')" -v sw="$(awk -v a="$s1" -v b="$s0" 'BEGIN { print a - b }')" \
  -v cw="$(awk -v a="$c1" -v b="$c0" 'BEGIN { print a - b }')" \
  -v ls="$l_sps" -v ss="$s_sps" -v lt="$l_train" -v st="$s_train" 'BEGIN {
  printf "\n%-28s %14s %14s %12s\n", "", "launcher (ref)", "spark", "spark/ref"
  printf "%-28s %14.0f %14.0f %11.2fx\n", "throughput (samples/s)", ls, ss, ss / ls
  printf "%-28s %14.1f %14.1f %11.2fx\n", "wall time (s)", lw, sw, sw / lw
  printf "%-28s %14.1f %14.1f %11.2fx\n", "training time (s)", lt, st, st / lt
  printf "%-28s %14.1f %14.1f %+11.1f s\n", "fixed cost (wall - training)", lw - lt, sw - st, (sw - st) - (lw - lt)
  printf "%-28s %14s %14.1f\n", "cluster start (s, once)", "-", cw
}'
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
grep -h 'materialised' "$work/spark.log" | sed 's/^/spark: /' || true
echo "runs: $work (launcher/, spark/, *.log)"
