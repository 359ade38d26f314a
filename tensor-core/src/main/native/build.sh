#!/bin/sh
# Builds libtorus_blas.so (see torus_blas.c and PinnedBlas.java) into OUT_DIR/native/PLATFORM/.
# Run by Maven (tensor-core's pom, generate-resources). Never fails the build: without a C
# compiler, the JDK's JNI headers or a supported platform it prints why and exits 0, and Torus
# then stages BLAS operands through off-heap buffers instead.
#
# usage: build.sh OUT_DIR JAVA_HOME      (CC overrides the compiler; TORUS_NATIVE_SKIP=1 skips)
out_dir=$1
java_home=$2
here=$(cd "$(dirname "$0")" && pwd)
src=$here/torus_blas.c

skip() {
  echo "[torus_blas] skipped: $*; BLAS operands will be staged through off-heap buffers" >&2
  exit 0
}

[ -n "$out_dir" ] || skip "no output directory given"
[ "${TORUS_NATIVE_SKIP:-}" = 1 ] && skip "TORUS_NATIVE_SKIP=1"

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64 | Linux-amd64) platform=linux-x86_64 ;;
  Linux-aarch64 | Linux-arm64) platform=linux-arm64 ;;
  *) skip "platform $(uname -s)-$(uname -m) is not built" ;;
esac

cc=${CC:-}
if [ -z "$cc" ]; then
  for c in gcc cc clang; do
    if command -v "$c" >/dev/null 2>&1; then cc=$c; break; fi
  done
fi
[ -n "$cc" ] || skip "no C compiler (gcc, cc or clang) on the PATH"

# jni.h: in JAVA_HOME/include, or (a JRE inside a JDK, as java.home was before Java 9) one level up.
inc=
for d in "$java_home/include" "$java_home/../include" "${JAVA_HOME:-/nonexistent}/include"; do
  if [ -f "$d/jni.h" ] && [ -f "$d/linux/jni_md.h" ]; then inc=$d; break; fi
done
[ -n "$inc" ] || skip "no JNI headers (jni.h) under $java_home/include"

dest=$out_dir/native/$platform
lib=$dest/libtorus_blas.so
if [ -f "$lib" ] && [ "$lib" -nt "$src" ] && [ "$lib" -nt "$0" ]; then
  exit 0 # up to date
fi
mkdir -p "$dest" || skip "cannot create $dest"
if "$cc" -O2 -fPIC -shared -std=c99 -Wall -Wextra -fvisibility=default \
    -I"$inc" -I"$inc/linux" -o "$lib.tmp" "$src" -ldl 2>"$dest/build.log"; then
  mv "$lib.tmp" "$lib"
  rm -f "$dest/build.log"
  echo "[torus_blas] built $lib with $cc" >&2
else
  rm -f "$lib.tmp" "$lib"
  echo "[torus_blas] $cc failed:" >&2
  cat "$dest/build.log" >&2
  rm -f "$dest/build.log"
  skip "the C compiler failed"
fi
