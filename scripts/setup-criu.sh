#!/usr/bin/env bash
# Provides CRIU >= 4 for the snapshot backend (issue 6), idempotently; called by scripts/setup.sh.
#
# The system's CRIU is used when it is present and >= 4. Otherwise Debian's CRIU is unpacked into
# .thaw/toolchains/criu/root with the libraries and loader of its own release, fetched through a
# private apt configuration (.thaw/toolchains/criu/apt): the system's package configuration, its
# package lists and its dpkg database are never touched. sid's CRIU (4.2) is preferred, because
# checkpointing an established TCP connection needs it on kernel 6.18 (4.1 fails with
# "Can't get 1:16 opt"); trixie's 4.1 is the fallback. Debian 12's 3.17 cannot even run
# `criu check` on this kernel. See docs/snapshot.md and ../shared/research/feasibility.md §4.
#
# .thaw/toolchains/criu/bin/criu runs the unpacked CRIU through the unpacked loader. A second run
# returns at once. When the archive cannot be reached, this prints why and exits 0: the rest of
# the set-up goes on and `thaw doctor` reports the snapshot backend as unavailable.
#
# Environment: THAW_CRIU_MIRROR (default: the system's Debian mirror, else deb.debian.org),
# THAW_CRIU_FORCE=1 to fetch again.
set -uo pipefail
cd "$(dirname "$0")/.."

dest=".thaw/toolchains/criu"
stamp="$dest/installed"
say() { printf 'setup-criu: %s\n' "$*"; }
give_up() {
  rm -rf "$dest/root.new"
  if [ -f "$stamp" ] && [ -x "$dest/bin/criu" ]; then
    say "$* -- keeping $(cat "$stamp")"
  else
    mkdir -p "$dest" && printf '%s\n' "$*" >"$dest/setup-failure" # shown by thaw doctor
    say "$* -- the snapshot backend stays unavailable (thaw doctor says so); the rest of thaw is unaffected"
  fi
  exit 0
}

# The major version of a `criu --version` output ("Version: 4.2"), or empty.
major_of() { sed -n 's/^Version: *\([0-9][0-9]*\)\..*/\1/p' | head -n 1; }

if command -v criu >/dev/null 2>&1; then
  major="$(criu --version 2>/dev/null | major_of)"
  if [ -n "$major" ] && [ "$major" -ge 4 ]; then
    say "using the system's CRIU ($(command -v criu), $(criu --version | head -n 1))"
    exit 0
  fi
  say "the system's CRIU ($(command -v criu)) is older than 4; providing a project-local one"
fi

if [ "${THAW_CRIU_FORCE:-0}" != 1 ] && [ -f "$stamp" ] && [ -x "$dest/bin/criu" ]; then
  say "$(cat "$stamp") (already in $dest)"
  exit 0
fi

[ "$(uname -s)" = Linux ] || give_up "CRIU needs Linux"
[ "$(uname -m)" = x86_64 ] || give_up "only x86_64 is handled (this is $(uname -m))"
for tool in apt-get dpkg-deb; do
  command -v "$tool" >/dev/null 2>&1 || give_up "$tool is missing (a Debian-based system is needed)"
done
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$keyring" ] || give_up "$keyring is missing (Debian's debian-archive-keyring package)"

started=$(date +%s%N)
mirror="${THAW_CRIU_MIRROR:-}"
if [ -z "$mirror" ]; then
  # The Debian mirror the system already uses (deb822 or one-line sources), else the CDN.
  mirror="$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
    sed -n 's|^URIs: *\(https\{0,1\}://[^ ]*/debian\)/\{0,1\} *$|\1|p' | head -n 1)"
  [ -n "$mirror" ] || mirror="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    sed -n 's|^deb  *\(\[[^]]*\] *\)\{0,1\}\(https\{0,1\}://[^ ]*/debian\)/\{0,1\} .*|\2|p' | head -n 1)"
  [ -n "$mirror" ] || mirror="http://deb.debian.org/debian"
fi

abs="$(pwd)/$dest"
apt_dir="$abs/apt"
rm -rf "$apt_dir/archives" "$abs/root.new"
mkdir -p "$apt_dir"/{lists/partial,archives/partial,cache,sources.list.d,preferences.d} "$abs/root.new" "$abs/bin"
: >"$apt_dir/status"
cat >"$apt_dir/sources.list" <<EOF
deb [signed-by=$keyring] $mirror trixie main
deb [signed-by=$keyring] $mirror sid main
EOF
# Every directory apt reads or writes is private; only the system's apt.conf.d (proxies) is shared.
cat >"$apt_dir/apt.conf" <<EOF
Dir::Etc::sourcelist "$apt_dir/sources.list";
Dir::Etc::sourceparts "$apt_dir/sources.list.d";
Dir::Etc::preferences "$apt_dir/preferences";
Dir::Etc::preferencesparts "$apt_dir/preferences.d";
Dir::State "$apt_dir";
Dir::State::lists "$apt_dir/lists";
Dir::State::status "$apt_dir/status";
Dir::State::extended_states "$apt_dir/extended_states";
Dir::Cache "$apt_dir/cache";
Dir::Cache::archives "$apt_dir/archives";
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT::Architecture "amd64";
APT::Architectures { "amd64"; };
APT::Default-Release "trixie";
APT::Install-Recommends "false";
APT::Install-Suggests "false";
APT::Sandbox::User "root";
Acquire::Languages "none";
Acquire::Check-Valid-Until "false";
Acquire::Retries "1";
Acquire::http::Timeout "30";
Debug::NoLocking "true";
EOF
export APT_CONFIG="$apt_dir/apt.conf"
[ "$(id -u)" -eq 0 ] || sed -i '/APT::Sandbox::User/d' "$APT_CONFIG"

say "fetching Debian's package lists (trixie, sid) from $mirror into $apt_dir"
# apt-get update exits 0 when an index cannot be fetched, hence the look at its warnings.
log="$(apt-get update -q 2>&1)"
status=$?
if [ $status -ne 0 ] || printf '%s' "$log" | grep -qE '^(E|W): (Failed to fetch|Some index files failed)'; then
  give_up "Debian's archive at $mirror is unreachable: $(printf '%s' "$log" | grep -E '^(E|W):' | head -n 1)"
fi

# sid's CRIU with sid's libraries (one release, so its libraries agree with each other: sid's
# CRIU needs sid's libnl, which needs sid's glibc); trixie's CRIU with trixie's if sid fails.
fetched=""
for release in sid trixie; do
  say "downloading CRIU from $release with its libraries"
  if (cd "$apt_dir/archives" &&
    apt-get install -q -y --download-only -t "$release" "criu/$release" >"$apt_dir/download.log" 2>&1); then
    fetched="$release"
    break
  fi
  say "  $release: $(grep -E '^(E|W):' "$apt_dir/download.log" | head -n 2 | tr '\n' ' ')"
done
[ -n "$fetched" ] || give_up "no CRIU package could be downloaded (see $apt_dir/download.log)"

count=0
for deb in "$apt_dir"/archives/*.deb; do
  dpkg-deb -x "$deb" "$abs/root.new" || give_up "dpkg-deb could not unpack $deb"
  count=$((count + 1))
done
rm -rf "$abs/root"
mv "$abs/root.new" "$abs/root"
rm -rf "$apt_dir/archives" "$apt_dir/lists" # 60 MB of package lists, not needed again

cat >"$abs/bin/criu" <<'EOF'
#!/bin/sh
# CRIU unpacked from Debian by scripts/setup-criu.sh, run through its own release's loader and
# libraries so that the system's older glibc is never involved.
root="$(dirname "$(dirname "$(readlink -f "$0")")")/root"
lib="$root/usr/lib/x86_64-linux-gnu"
exec "$lib/ld-linux-x86-64.so.2" --library-path "$lib:$root/lib/x86_64-linux-gnu" "$root/usr/sbin/criu" "$@"
EOF
chmod +x "$abs/bin/criu"

version="$("$abs/bin/criu" --version 2>/dev/null | head -n 1)"
[ -n "$version" ] || give_up "the unpacked CRIU does not run ($("$abs/bin/criu" --version 2>&1 | tail -n 1))"
elapsed=$((($(date +%s%N) - started) / 1000000))
rm -f "$dest/setup-failure"
printf 'CRIU %s from Debian %s (%d packages), unpacked in %d ms\n' \
  "${version#Version: }" "$fetched" "$count" "$elapsed" >"$stamp"
say "$(cat "$stamp")"
if check="$("$abs/bin/criu" check 2>&1 | tail -n 1)"; then
  say "criu check: $check"
else
  say "criu check failed here: $check (thaw doctor gives the details)"
fi
exit 0
