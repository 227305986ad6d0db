#!/bin/sh
# Builds thaw's native helpers into build/native/: thaw-exec (the Runtime exec helper),
# thaw-spawner (the fork server that starts thaw-exec for `thaw serve`) and thaw-init (PID 1 of a
# snapshot sandbox: it serves the Runtime API inside and starts the Runtime).
# Idempotent: a helper is rebuilt only when its source or this script is newer than the binary.
# Prefers static binaries (fewer pages to map at every spawn): musl-gcc if installed, else
# gcc -static (glibc), else a dynamic gcc build. Set CC to force a compiler.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
out_dir="$root/build/native"
mkdir -p "$out_dir"
flags="-O2 -Wall -Wextra -Werror -std=gnu11"

build_helper() { # build_helper NAME SMOKE_TEST_ARGS...
  name=$1
  shift
  src="$root/native/$name.c"
  out="$out_dir/$name"
  if [ -x "$out" ] && [ "$out" -nt "$src" ] && [ "$out" -nt "$root/scripts/build-native.sh" ]; then
    echo "build-native: $out is up to date"
    return 0
  fi
  tmp="$out.tmp.$$"
  trap 'rm -f "$tmp" "$tmp.log"' EXIT
  build() { # build COMPILER EXTRA_FLAGS...
    cc=$1
    shift
    command -v "$cc" >/dev/null 2>&1 && "$cc" $flags "$@" -o "$tmp" "$src" 2>"$tmp.log" && smoke_test "$name" "$tmp"
  }
  if [ -n "${CC:-}" ]; then
    build "$CC" -static || build "$CC" || { cat "$tmp.log" >&2; exit 1; }
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
    exit 1
  fi
  rm -f "$tmp.log"
  mv -f "$tmp" "$out"
  echo "build-native: built $out with $how"
}

smoke_test() { # smoke_test NAME BINARY: does the binary run here?
  case "$1" in
    thaw-exec) "$2" -- /bin/true ;;
    thaw-spawner) "$2" /bin/true </dev/null >/dev/null ;;
    # Without arguments it prints its usage and exits 125 (running it needs root: namespaces).
    thaw-init) "$2" 2>/dev/null; [ $? -eq 125 ] ;;
  esac
}

build_helper thaw-exec
build_helper thaw-spawner
build_helper thaw-init
