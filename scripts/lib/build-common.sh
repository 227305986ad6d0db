# Helpers shared by scripts/build-fixtures.sh and scripts/build-contestants.sh; sourced, not run.
# The sourcing script sets BUILD_NAME (the prefix of its error messages) and FORCE (1 rebuilds all).

# Takes build/.BUILD_NAME.lock: two builds at once would race on build/; wait for the other one.
lock_build() {
  mkdir -p build
  exec 9>"build/.$BUILD_NAME.lock"
  flock 9
}

# True when every OUTPUT exists and no file under SOURCES is newer than the first OUTPUT
# (node_modules folders are not looked into). Usage: fresh OUTPUT... -- SOURCE...
fresh() {
  local outputs=() stamp
  while (($# > 0)) && [[ $1 != -- ]]; do
    outputs+=("$1")
    shift
  done
  shift
  ((FORCE == 0)) || return 1
  for stamp in "${outputs[@]}"; do
    [[ -e $stamp ]] || return 1
  done
  [[ -z $(find "$@" -newer "${outputs[0]}" -not -path '*/node_modules/*' -print -quit) ]]
}

# Runs a command with its output kept in a log that is shown only when the command fails.
quietly() {
  local log
  log=$(mktemp)
  if "$@" >"$log" 2>&1; then
    rm -f "$log"
    return 0
  fi
  cat "$log" >&2
  rm -f "$log"
  echo "$BUILD_NAME: failed: $*" >&2
  return 1
}

# Maven, quiet and batch; offline first so that nothing is looked up once ~/.m2 holds
# everything, online when the offline run fails (first run, new version).
mvn_quietly() {
  if mvn -o -q -B "$@" >/dev/null 2>&1; then
    return 0
  fi
  quietly mvn -q -B "$@"
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Starts the clock that elapsed reads.
start_timer() {
  STARTED=$(now_ms)
}

# Prints the time since start_timer, e.g. "1.2 s".
elapsed() {
  local ms=$(($(now_ms) - STARTED))
  printf '%d.%d s' $((ms / 1000)) $((ms % 1000 / 100))
}

# Prints the total size of the files in the given files or folders, e.g. "2.2MiB".
size_of() {
  find "$@" -type f -printf '%s\n' | awk '{ n += $1 } END { print n + 0 }' |
    numfmt --to=iec-i --suffix=B --format=%.1f
}
