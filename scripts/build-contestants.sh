#!/usr/bin/env bash
# Builds the contestants of the cold-start war (contestants/, described in docs/contestants.md):
# one package folder per contestant id under build/contestants/<id>/, ready for `thaw invoke`.
#
#   scripts/build-contestants.sh [--force] [c|rust|go|nodejs|python|java|<id>]...
#
# Languages (each builds all of its ids):
#   c       c-hello c-realistic                      static, musl-gcc (else gcc -static), -O2, stripped
#   rust    rust-hello rust-realistic                lambda_runtime; opt-level 3, LTO, panic=abort,
#                                                    codegen-units=1, strip, crt-static
#   go      go-hello go-realistic                    aws-lambda-go (+ aws-sdk-go-v2 S3); CGO_ENABLED=0,
#                                                    -tags lambda.norpc, -ldflags "-s -w", -trimpath
#   nodejs  nodejs-hello nodejs-realistic-bundled nodejs-realistic-unbundled
#                                                    @aws-sdk/client-s3; esbuild (one file) or node_modules
#   python  python-hello python-realistic            boto3 installed with pip --no-deps --target
#   java    java-hello java-hello-appcds java-realistic java-realistic-appcds
#                                                    official runtime interface client; AppCDS archive
#                                                    from a training run (contestants/java/train-appcds.mjs)
# Prints one line per contestant: id, package size, file count, and how long its build took.
#
# Incremental: a language whose outputs are newer than all of its inputs is skipped, so a second
# run takes seconds; --force rebuilds. Pinned inputs: Cargo.lock, go.sum, package-lock.json,
# requirements.txt with exact versions, Maven versions. Needs cargo, go, mvn, npm, python3 with pip,
# a C compiler, thaw's build (dist/, for the AppCDS training run), the Java runtime interface client
# (scripts/build-fixtures.sh java-runtime), and on the first run crates.io, the Go module proxy,
# npm, PyPI and Maven Central.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

SRC=contestants
OUT=build/contestants
WORK=build/contestants-work
SELF=scripts/build-contestants.sh

ALL_IDS=(c-hello c-realistic rust-hello rust-realistic go-hello go-realistic nodejs-hello
  nodejs-realistic-bundled nodejs-realistic-unbundled python-hello python-realistic
  java-hello java-hello-appcds java-realistic java-realistic-appcds)

FORCE=0
LANGS=()
for arg in "$@"; do
  case $arg in
    --force) FORCE=1 ;;
    c | rust | go | nodejs | python | java) LANGS+=("$arg") ;;
    c-* | rust-* | go-* | nodejs-* | python-* | java-*)
      if [[ " ${ALL_IDS[*]} " != *" $arg "* ]]; then
        echo "build-contestants: unknown contestant '$arg' (try --help)" >&2
        exit 2
      fi
      LANGS+=("${arg%%-*}")
      ;;
    -h | --help)
      sed -n '2,29p' "$SELF" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "build-contestants: unknown argument '$arg' (try --help)" >&2
      exit 2
      ;;
  esac
done
if ((${#LANGS[@]} == 0)); then
  LANGS=(c rust go nodejs python java)
fi
# Each language once, in the order asked.
mapfile -t LANGS < <(printf '%s\n' "${LANGS[@]}" | awk '!seen[$0]++')

mkdir -p "$OUT" "$WORK/stamps" "$WORK/toolchain"
BUILD_NAME=build-contestants
# shellcheck source=lib/build-common.sh
source scripts/lib/build-common.sh
lock_build

# Records what a language's build took, for the table: took ID... (since start_timer).
took() {
  local id
  for id in "$@"; do
    printf '%s\n' "$(elapsed)" >"$WORK/stamps/$id.took"
  done
}

# Writes the toolchain line of the given ids (read by src/bench/war/contestants.ts).
toolchain() {
  local line=$1 id
  shift
  for id in "$@"; do
    printf '%s\n' "$line" >"$WORK/toolchain/$id"
  done
}

# Replaces the package folder of ID with the folder STAGED (atomic enough for readers: one rename).
publish() {
  local id=$1 staged=$2
  rm -rf "$OUT/$id.old"
  if [[ -e $OUT/$id ]]; then mv "$OUT/$id" "$OUT/$id.old"; fi
  mv "$staged" "$OUT/$id"
  rm -rf "$OUT/$id.old"
}

# A fresh empty staging folder for ID, printed.
stage() {
  local dir=$WORK/stage/$1
  rm -rf "$dir"
  mkdir -p "$dir"
  printf '%s\n' "$dir"
}

STATE=()
# Marks IDs as built (their .took is current) or up to date.
mark() {
  local state=$1 id
  shift
  for id in "$@"; do
    STATE+=("$id=$state")
    if [[ $state == built ]]; then touch "$WORK/stamps/$id"; fi
  done
}

build_c() {
  local ids=(c-hello c-realistic) cc flags=(-O2 -static -s -Wall -Wextra -std=c11 -D_GNU_SOURCE)
  if fresh "$WORK/stamps/c-hello" "$WORK/stamps/c-realistic" "$OUT/c-hello/bootstrap" "$OUT/c-realistic/bootstrap" -- \
    "$SRC/c" "$SRC/config.json" "$SELF"; then
    mark up-to-date "${ids[@]}"
    return
  fi
  if command -v musl-gcc >/dev/null 2>&1; then cc=musl-gcc; else cc=gcc; fi
  local variant dir
  for variant in hello realistic; do
    start_timer
    dir=$(stage "c-$variant")
    quietly "$cc" "${flags[@]}" -o "$dir/bootstrap" "$SRC/c/common/runtime.c" "$SRC/c/$variant"/*.c
    if [[ $variant == realistic ]]; then cp "$SRC/config.json" "$dir/"; fi
    publish "c-$variant" "$dir"
    took "c-$variant"
  done
  local version
  version=$(gcc -dumpfullversion)
  if [[ $cc == musl-gcc ]]; then
    toolchain "gcc $version, musl $(dpkg-query -W -f='${Version}' musl 2>/dev/null || echo '?') (static)" "${ids[@]}"
  else
    toolchain "gcc $version, glibc (static)" "${ids[@]}"
  fi
  mark built "${ids[@]}"
}

build_rust() {
  local ids=(rust-hello rust-realistic) host variant dir
  if fresh "$WORK/stamps/rust-hello" "$WORK/stamps/rust-realistic" "$OUT/rust-hello/bootstrap" \
    "$OUT/rust-realistic/bootstrap" -- "$SRC/rust" "$SRC/config.json" "$SELF"; then
    mark up-to-date "${ids[@]}"
    return
  fi
  start_timer
  host=$(rustc -vV | sed -n 's/^host: //p')
  # An explicit --target keeps crt-static away from build scripts and proc macros.
  RUSTFLAGS="-C target-feature=+crt-static" CARGO_TARGET_DIR="$ROOT/build/cargo-contestants" \
    quietly cargo build --release --locked --target "$host" --manifest-path "$SRC/rust/Cargo.toml"
  for variant in hello realistic; do
    dir=$(stage "rust-$variant")
    install -m 0755 "build/cargo-contestants/$host/release/$variant" "$dir/bootstrap"
    if [[ $variant == realistic ]]; then cp "$SRC/config.json" "$dir/"; fi
    publish "rust-$variant" "$dir"
  done
  took "${ids[@]}"
  toolchain "$(rustc -V)" "${ids[@]}"
  mark built "${ids[@]}"
}

build_go() {
  local ids=(go-hello go-realistic) variant dir bin=$ROOT/$WORK/go-bin
  if fresh "$WORK/stamps/go-hello" "$WORK/stamps/go-realistic" "$OUT/go-hello/bootstrap" \
    "$OUT/go-realistic/bootstrap" -- "$SRC/go" "$SRC/config.json" "$SELF"; then
    mark up-to-date "${ids[@]}"
    return
  fi
  start_timer
  rm -rf "$bin"
  mkdir -p "$bin"
  (
    cd "$SRC/go"
    CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false quietly go build -mod=readonly \
      -tags lambda.norpc -ldflags "-s -w" -trimpath -o "$bin/" ./hello ./realistic
  )
  for variant in hello realistic; do
    dir=$(stage "go-$variant")
    install -m 0755 "$bin/$variant" "$dir/bootstrap"
    if [[ $variant == realistic ]]; then cp "$SRC/config.json" "$dir/"; fi
    publish "go-$variant" "$dir"
  done
  took "${ids[@]}"
  toolchain "$(go version | awk '{ print $1, $3 }')" "${ids[@]}"
  mark built "${ids[@]}"
}

build_nodejs() {
  local ids=(nodejs-hello nodejs-realistic-bundled nodejs-realistic-unbundled) dir deps
  local src=$SRC/nodejs/realistic
  if fresh "$WORK/stamps/nodejs-hello" "$WORK/stamps/nodejs-realistic-bundled" "$WORK/stamps/nodejs-realistic-unbundled" \
    "$OUT/nodejs-hello/index.mjs" "$OUT/nodejs-realistic-bundled/index.mjs" "$OUT/nodejs-realistic-unbundled/index.mjs" -- \
    "$SRC/nodejs" "$SRC/config.json" "$SELF"; then
    mark up-to-date "${ids[@]}"
    return
  fi
  start_timer
  dir=$(stage nodejs-hello)
  cp "$SRC/nodejs/hello/index.mjs" "$dir/"
  publish nodejs-hello "$dir"
  took nodejs-hello

  # Unbundled: the source and its production node_modules, as `npm ci --omit=dev` leaves them.
  start_timer
  dir=$(stage nodejs-realistic-unbundled)
  cp "$src/index.mjs" "$src/package.json" "$src/package-lock.json" "$SRC/config.json" "$dir/"
  quietly npm ci --prefix "$dir" --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error
  rm -f "$dir/package-lock.json" "$dir/node_modules/.package-lock.json"
  publish nodejs-realistic-unbundled "$dir"
  took nodejs-realistic-unbundled

  # Bundled: esbuild (a pinned devDependency) turns the source and the SDK into one ES module.
  start_timer
  deps=$WORK/nodejs-deps
  if ! fresh "$deps/node_modules/.package-lock.json" -- "$src/package-lock.json"; then
    rm -rf "$deps"
    mkdir -p "$deps"
    cp "$src/package.json" "$src/package-lock.json" "$deps/"
    quietly npm ci --prefix "$deps" --no-audit --no-fund --loglevel=error
  fi
  cp "$src/index.mjs" "$deps/index.mjs"
  dir=$(stage nodejs-realistic-bundled)
  quietly "$deps/node_modules/.bin/esbuild" "$deps/index.mjs" --bundle --platform=node --target=node20 \
    --format=esm --minify --legal-comments=none --outfile="$dir/index.mjs" \
    "--banner:js=import { createRequire as __thawRequire } from 'node:module'; const require = __thawRequire(import.meta.url);"
  cp "$SRC/config.json" "$dir/"
  publish nodejs-realistic-bundled "$dir"
  took nodejs-realistic-bundled
  toolchain "node $(node --version) (package built with npm $(npm --version), esbuild $("$deps/node_modules/.bin/esbuild" --version))" \
    nodejs-realistic-bundled
  toolchain "node $(node --version) (package built with npm $(npm --version))" nodejs-hello nodejs-realistic-unbundled
  mark built "${ids[@]}"
}

build_python() {
  local ids=(python-hello python-realistic) dir python
  if fresh "$WORK/stamps/python-hello" "$WORK/stamps/python-realistic" "$OUT/python-hello/app.py" \
    "$OUT/python-realistic/app.py" -- "$SRC/python" "$SRC/config.json" "$SELF"; then
    mark up-to-date "${ids[@]}"
    return
  fi
  python=$(python3 -c 'import sys; print(sys.executable)')
  start_timer
  dir=$(stage python-hello)
  cp "$SRC/python/hello/app.py" "$dir/"
  # Bytecode compiled at build time, as for the realistic package: otherwise the first run on a
  # writable task root (the process backend) would add it and change the package.
  quietly "$python" -m compileall -q "$dir/app.py"
  publish python-hello "$dir"
  took python-hello

  # A plain package: the handler beside its dependencies (pip --target), with the bytecode pip
  # compiles, as a deployment zip built with `pip install -t` carries it.
  start_timer
  dir=$(stage python-realistic)
  cp "$SRC/python/realistic/app.py" "$SRC/config.json" "$dir/"
  quietly "$python" -m pip install --disable-pip-version-check --no-input --no-deps --only-binary=:all: \
    --target "$dir" -r "$SRC/python/realistic/requirements.txt"
  rm -rf "$dir/bin"
  quietly "$python" -m compileall -q "$dir/app.py"
  publish python-realistic "$dir"
  took python-realistic
  toolchain "$("$python" --version 2>&1)" "${ids[@]}"
  mark built "${ids[@]}"
}

build_java() {
  local ids=(java-hello java-hello-appcds java-realistic java-realistic-appcds) variant dir handler
  local ric=build/runtimes/java/lib
  if fresh "$WORK/stamps/java-hello" "$WORK/stamps/java-hello-appcds" "$WORK/stamps/java-realistic" \
    "$WORK/stamps/java-realistic-appcds" "$OUT/java-hello-appcds/app.jsa" "$OUT/java-realistic-appcds/app.jsa" -- \
    "$SRC/java" "$SRC/config.json" "$SELF" "$ric" dist/src/runtimes/resolve-runtime.js; then
    mark up-to-date "${ids[@]}"
    return
  fi
  if ! compgen -G "$ric/aws-lambda-java-runtime-interface-client-*.jar" >/dev/null; then
    bash scripts/build-fixtures.sh java-runtime >/dev/null
  fi
  for variant in hello realistic; do
    start_timer
    dir=$(stage "java-$variant")
    mvn_quietly -f "$SRC/java/$variant/pom.xml" -Dthaw.root="$ROOT" -Dthaw.libDir="$ROOT/$dir/lib" package
    if [[ $variant == realistic ]]; then cp "$SRC/config.json" "$dir/"; fi
    publish "java-$variant" "$dir"
    took "java-$variant"

    # The same package plus a dynamic CDS archive written by a training run of it, which thaw
    # uses when the contestant's environment says JAVA_TOOL_OPTIONS=-XX:SharedArchiveFile=app.jsa.
    start_timer
    dir=$(stage "java-$variant-appcds")
    cp -r "$OUT/java-$variant/." "$dir/"
    if [[ $variant == hello ]]; then handler=thaw.contestant.Hello::handleRequest; else handler=thaw.contestant.Realistic; fi
    quietly node "$SRC/java/train-appcds.mjs" "$dir" "$handler" app.jsa
    publish "java-$variant-appcds" "$dir"
    took "java-$variant-appcds"
  done
  toolchain "$(java -version 2>&1 | head -n 1 | tr -d '"')" "${ids[@]}"
  mark built "${ids[@]}"
}

for lang in "${LANGS[@]}"; do
  "build_$lang"
done

# The table: every contestant of the languages asked for.
printf '%-28s %10s %7s  %s\n' id size files took
for entry in "${STATE[@]}"; do
  id=${entry%%=*}
  state=${entry#*=}
  files=$(find "$OUT/$id" -type f | wc -l)
  if [[ $state == built ]]; then
    how="built in $(cat "$WORK/stamps/$id.took")"
  else
    how="up to date"
  fi
  printf '%-28s %10s %7d  %s\n' "$id" "$(size_of "$OUT/$id")" "$files" "$how"
done
