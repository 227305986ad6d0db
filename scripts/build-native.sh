#!/bin/sh
# Builds thaw's native helpers into build/native/ (today: thaw-exec, the Runtime exec helper).
# Idempotent: does nothing when the binary is newer than its source and this script.
# Prefers a static binary (fewer pages to map at every spawn): musl-gcc if installed, else
# gcc -static (glibc), else a dynamic gcc build. Set CC to force a compiler.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
src="$root/native/thaw-exec.c"
out_dir="$root/build/native"
out="$out_dir/thaw-exec"

if [ -x "$out" ] && [ "$out" -nt "$src" ] && [ "$out" -nt "$root/scripts/build-native.sh" ]; then
  echo "build-native: $out is up to date"
  exit 0
fi

mkdir -p "$out_dir"
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT

flags="-O2 -Wall -Wextra -Werror -std=gnu11"
build() { # build COMPILER EXTRA_FLAGS...
  cc=$1
  shift
  command -v "$cc" >/dev/null 2>&1 && "$cc" $flags "$@" -o "$tmp" "$src" 2>"$tmp.log" && "$tmp" -- /bin/true
}

if [ -n "${CC:-}" ]; then
  build "$CC" -static || build "$CC" || { cat "$tmp.log" >&2; rm -f "$tmp.log"; exit 1; }
  how="$CC"
elif build musl-gcc -static; then
  how="musl-gcc -static"
elif build gcc -static; then
  how="gcc -static"
elif build gcc; then
  how="gcc (dynamic; no static C library found)"
else
  echo "build-native: cannot compile $src:" >&2
  cat "$tmp.log" >&2 2>/dev/null || echo "no C compiler found (install gcc)" >&2
  rm -f "$tmp.log"
  exit 1
fi
rm -f "$tmp.log"
mv -f "$tmp" "$out"
echo "build-native: built $out with $how"
