#!/usr/bin/env bash
# run.sh BUILD_DIR SECONDS - run every libFuzzer harness of a NETSIFT_FUZZ
# build for SECONDS each.
#
# First every file in regressions/<harness>/ is replayed through its
# harness; any crash fails the run before fuzzing starts.  Then each
# harness fuzzes a scratch copy of its seed corpus (corpus/<harness>/,
# plus for fuzz_decode the frames make-seeds.sh extracts from the shared
# captures), so the repository is never written to except when a harness
# crashes: its crashing input is then saved as regressions/<harness>/
# crash-<sha1> (commit it with the fix) and the run fails.
#   CC=clang cmake -S . -B build-fuzz -DNETSIFT_FUZZ=ON -DNETSIFT_TESTS=OFF
#   cmake --build build-fuzz && tests/fuzz/run.sh build-fuzz 60
set -uo pipefail

build=${1:?usage: run.sh BUILD_DIR SECONDS}
seconds=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
bindir=$build/tests/fuzz
harnesses=(fuzz_decode fuzz_dns_name fuzz_conf fuzz_monitor fuzz_dhcp fuzz_audit_reader fuzz_daemon_conf fuzz_alert fuzz_stream fuzz_defrag fuzz_http_head)

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

work=$(mktemp -d "${TMPDIR:-/tmp}/netsift-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

for h in "${harnesses[@]}"; do
  if [ ! -x "$bindir/$h" ]; then
    echo "run.sh: $bindir/$h not found (build with -DNETSIFT_FUZZ=ON first)" >&2
    exit 2
  fi
done

# 1. known crashers must stay fixed
failed=0
for h in "${harnesses[@]}"; do
  mapfile -t files < <(find "$here/regressions/$h" -type f ! -name '.*' 2>/dev/null | sort)
  [ ${#files[@]} -eq 0 ] && continue
  if "$bindir/$h" "${files[@]}" >"$work/$h-replay.log" 2>&1; then
    echo "$h: ${#files[@]} regression inputs replayed, no crash"
  else
    echo "$h: a regression input crashes again:" >&2
    grep -E 'Running:|ERROR|SUMMARY|runtime error|#[0-9]+ ' "$work/$h-replay.log" | head -40 >&2
    failed=1
  fi
done
if [ $failed -ne 0 ]; then
  echo "run.sh: regression replay failed; not fuzzing" >&2
  exit 1
fi

# 2. fuzz: as many harnesses at once as there are cores, each for the
# full time; each writes its one-line result to $work/<harness>.result
fuzz_one() {
  local h=$1 corpus=$work/corpus-$1 rc execs cov f sum crashes
  mkdir -p "$corpus" "$work/artifacts-$h"
  cp "$here/corpus/$h/"* "$corpus/" 2>/dev/null || true
  if [ "$h" = fuzz_decode ]; then
    "$here/make-seeds.sh" "$corpus"
  fi
  echo "$h: fuzzing for ${seconds}s from $(find "$corpus" -type f | wc -l) seeds"
  "$bindir/$h" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts-$h/" "$corpus" >"$work/$h.log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$h.log" | tail -1)
  cov=$(grep -Eo 'cov: [0-9]+' "$work/$h.log" | tail -1)
  mapfile -t crashes < <(find "$work/artifacts-$h" -type f | sort)
  if [ $rc -ne 0 ] || [ ${#crashes[@]} -gt 0 ]; then
    mkdir -p "$here/regressions/$h"
    for f in "${crashes[@]}"; do
      sum=$(sha1sum "$f" | cut -c1-40)
      cp "$f" "$here/regressions/$h/crash-$sum"
      echo "$h: saved $(basename "$f") as tests/fuzz/regressions/$h/crash-$sum" >&2
    done
    grep -E 'ERROR|SUMMARY|runtime error|#[0-9]+ |Test unit written' "$work/$h.log" | head -60 >&2
    echo "$h: CRASH after ${execs:-?} executions (exit $rc)" > "$work/$h.result"
  else
    echo "$h: ${execs:-?} executions, ${cov:-cov: ?}, no crash" > "$work/$h.result"
  fi
}

parallel=$(nproc 2>/dev/null || echo 1)
for h in "${harnesses[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do wait -n; done
  fuzz_one "$h" &
done
wait
summary=()
for h in "${harnesses[@]}"; do
  line=$(cat "$work/$h.result" 2>/dev/null || echo "$h: CRASH (no result)")
  summary+=("$line")
  case $line in *CRASH*) failed=$((failed + 1)) ;; esac
done

echo
printf '%s\n' "${summary[@]}"
if [ -n "${FIGURES_DIR:-}" ]; then
  { echo "libFuzzer, ${seconds} s per harness ($parallel at a time), seeded from hand-built frames and the shared corpus:"
    echo; printf -- '- %s\n' "${summary[@]}"; } > "$FIGURES_DIR/fuzz.txt"
fi
passed=$(( ${#harnesses[@]} - failed ))
echo "$passed passed, $failed failed"
exit $failed
