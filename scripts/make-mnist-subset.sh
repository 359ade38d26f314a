#!/usr/bin/env bash
# Rebuilds testdata/mnist-small/ from the real MNIST files: the first 2,000 training images and
# labels and the first 500 test images and labels, as valid IDX files (header count rewritten),
# gzipped without timestamps so the output is byte-for-byte reproducible.
#
# Usage: scripts/make-mnist-subset.sh [MNIST_DIR]   (default: <repo>/data/mnist, fetched if missing)
set -euo pipefail

readonly TRAIN_N=2000
readonly TEST_N=500

script=$(readlink -f "${BASH_SOURCE[0]}")
root=$(dirname "$(dirname "$script")")
src=${1:-$root/data/mnist}
out=$root/testdata/mnist-small

"$root/scripts/fetch-mnist.sh" "$src"   # verifies the SHA-256 of the originals
mkdir -p "$out"

# be32 N: N as 4 big-endian bytes.
be32() {
  printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255)))"
}

# bytes FILE OFFSET COUNT: COUNT bytes of FILE from OFFSET (no pipe into head: pipefail-safe).
bytes() {
  dd if="$1" iflag=skip_bytes,count_bytes skip="$2" count="$3" bs=65536 status=none
}

# subset NAME N HEADER_BYTES RECORD_BYTES: the first N records of NAME as NAME.gz.
# IDX layout: magic (4 bytes), item count (4, big-endian), further dimensions (4 each), data.
subset() {
  local name=$1 n=$2 header=$3 record=$4
  {
    bytes "$src/$name" 0 4                    # magic: dtype and number of dimensions
    be32 "$n"                                 # new item count
    bytes "$src/$name" 8 $((header - 8))      # rows, cols (images only)
    bytes "$src/$name" "$header" $((n * record))
  } | gzip -n -9 >"$out/$name.gz"
  echo "make-mnist-subset: $out/$name.gz ($n items)"
}

subset train-images-idx3-ubyte "$TRAIN_N" 16 784
subset train-labels-idx1-ubyte "$TRAIN_N" 8 1
subset t10k-images-idx3-ubyte "$TEST_N" 16 784
subset t10k-labels-idx1-ubyte "$TEST_N" 8 1
(cd "$out" && sha256sum ./*.gz)
