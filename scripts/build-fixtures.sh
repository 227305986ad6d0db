#!/usr/bin/env bash
# Builds the conformance fixture functions described in tests/fixtures/functions/README.md and
# fetches the official AWS Lambda Java runtime interface client (RIC) that runs the Java one.
#
#   scripts/build-fixtures.sh [--force] [rust|go|java|java-runtime|node|python]...
#
# Outputs (all under build/, which is gitignored):
#   build/fixtures/rust/bootstrap     lambda_runtime, release + LTO, stripped, static (crt-static)
#   build/fixtures/go/bootstrap       aws-lambda-go, -tags lambda.norpc, CGO_ENABLED=0
#   build/fixtures/java/lib/*.jar     fixture jar + its runtime dependencies (not the RIC)
#   build/runtimes/java/lib/*.jar     the RIC and all its dependencies (runtimes/java/pom.xml)
#   build/runtimes/java/jni/libaws-lambda-jni.so   the RIC's native client, unpacked (glibc)
# Node.js and Python fixtures are their source folders; nothing is built for them.
#
# Incremental: a part whose output is newer than all of its inputs is skipped, so a second run
# takes seconds; --force rebuilds. Needs cargo, go, mvn on PATH and, on the first run, crates.io,
# the Go module proxy and Maven Central; later Maven runs work offline.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

SRC=tests/fixtures/functions
OUT=build/fixtures
SELF=scripts/build-fixtures.sh

FORCE=0
PARTS=()
for arg in "$@"; do
  case $arg in
    --force) FORCE=1 ;;
    rust | go | java | java-runtime | node | python) PARTS+=("$arg") ;;
    -h | --help)
      sed -n '2,19p' "$SELF" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "build-fixtures: unknown argument '$arg' (try --help)" >&2
      exit 2
      ;;
  esac
done
if ((${#PARTS[@]} == 0)); then
  PARTS=(rust go java java-runtime node python)
fi

BUILD_NAME=build-fixtures
# shellcheck source=lib/build-common.sh
source scripts/lib/build-common.sh
lock_build

# One line per part: name, what it produced, its size, and whether it was built.
report() {
  printf '%-13s %-40s %9s  %s\n' "$1" "$2" "$(size_of "${@:3}")" "$STATE"
}

built() {
  STATE="built in $(elapsed)"
}

build_rust() {
  local out=$OUT/rust/bootstrap host
  STATE="up to date"
  if ! fresh "$out" -- "$SRC/rust/Cargo.toml" "$SRC/rust/Cargo.lock" "$SRC/rust/src" "$SELF"; then
    start_timer
    host=$(rustc -vV | sed -n 's/^host: //p')
    # An explicit --target keeps crt-static away from build scripts and proc macros.
    RUSTFLAGS="-C target-feature=+crt-static" CARGO_TARGET_DIR="$ROOT/build/cargo-target" \
      quietly cargo build --release --locked --target "$host" \
      --manifest-path "$SRC/rust/Cargo.toml"
    install -D -m 0755 "build/cargo-target/$host/release/bootstrap" "$out"
    built
  fi
  report rust "$out" "$out"
}

build_go() {
  local out=$OUT/go/bootstrap
  STATE="up to date"
  if ! fresh "$out" -- "$SRC/go" "$SELF"; then
    start_timer
    mkdir -p "$OUT/go"
    (
      cd "$SRC/go"
      CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false quietly go build \
        -tags lambda.norpc -ldflags "-s -w" -trimpath -o "$ROOT/$out.tmp" .
    )
    mv -f "$out.tmp" "$out"
    built
  fi
  report go "$out" "$out"
}

build_java() {
  local lib=$OUT/java/lib
  STATE="up to date"
  if ! fresh "$lib/thaw-fixture.jar" -- "$SRC/java/pom.xml" "$SRC/java/src" "$SELF"; then
    start_timer
    rm -rf "$OUT/java"
    mvn_quietly -f "$SRC/java/pom.xml" -Dthaw.root="$ROOT" package
    touch "$lib/thaw-fixture.jar"
    built
  fi
  report java "$lib/*.jar" "$lib"
}

build_java_runtime() {
  local dir=build/runtimes/java
  STATE="up to date"
  if ! fresh "$dir/.fetched" "$dir/lib" "$dir/jni/libaws-lambda-jni.so" -- runtimes/java/pom.xml "$SELF" ||
    ! compgen -G "$dir/lib/aws-lambda-java-runtime-interface-client-*.jar" >/dev/null; then
    start_timer
    rm -rf "$dir"
    mvn_quietly -f runtimes/java/pom.xml -Dthaw.libDir="$ROOT/$dir/lib" \
      org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies
    # The RIC's JNI client (glibc build for this CPU), unpacked ahead of time: started with
    # -Dcom.amazonaws.services.lambda.runtime.api.client.runtimeapi.NativeClient.JNI=<this file>
    # the RIC loads it from here instead of extracting it to /tmp/.libaws-lambda-jni.so itself.
    local arch
    case $(uname -m) in
      aarch64 | arm64) arch=aarch_64 ;;
      *) arch=x86_64 ;;
    esac
    mkdir -p "$dir/jni"
    unzip -p "$dir"/lib/aws-lambda-java-runtime-interface-client-*.jar \
      "jni/libaws-lambda-jni.linux-$arch.so" >"$dir/jni/libaws-lambda-jni.so"
    touch "$dir/.fetched"
    built
  fi
  report java-runtime "$dir/lib/*.jar" "$dir/lib"
}

show_source() {
  STATE="source, nothing to build"
  report "$1" "$2" "$2"
}

for part in "${PARTS[@]}"; do
  case $part in
    rust) build_rust ;;
    go) build_go ;;
    java) build_java ;;
    java-runtime) build_java_runtime ;;
    node) show_source node "$SRC/node/index.mjs" ;;
    python) show_source python "$SRC/python/app.py" ;;
  esac
done
