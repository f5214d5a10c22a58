#!/usr/bin/env bash
# test_valgrind.sh - valgrind memcheck on a plain (non-sanitizer) build:
# the sample with 1 and 2 workers, and a malformed-heavy capture of the
# corpus when present.  Zero errors and no definite leaks.
source "$(dirname "$0")/lib.sh"
PLAIN=${NETSIFT_PLAIN:-}
if [ -z "$PLAIN" ] || [ ! -x "$PLAIN" ] || ! command -v valgrind >/dev/null; then
  skip "needs valgrind and NETSIFT_PLAIN (a build without sanitizers; make test sets it)"
fi
inputs=("$SRC_DIR/sample/sample.pcap")
[ -f "$SHARED/pcaps/dev/ndpi/tests_cfgs_default_pcap_fuzz-2006-06-26-2594.pcap" ] &&
  inputs+=("$SHARED/pcaps/dev/ndpi/tests_cfgs_default_pcap_fuzz-2006-06-26-2594.pcap")
runs=0
for f in "${inputs[@]}"; do
  for w in 1 2; do
    rm -rf "$WORK/db"
    valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
      --log-file="$WORK/vg.log" "$PLAIN" capture -q -r "$f" -d "$WORK/db" --workers "$w" > /dev/null 2>&1
    rc=$?
    if [ "$rc" -eq 0 ]; then pass; else fail "valgrind on $(basename "$f") --workers $w: exit $rc: $(grep -m3 -E 'Invalid|uninitialised|definitely' "$WORK/vg.log")"; fi
    runs=$((runs + 1))
  done
done
[ -n "${FIGURES_DIR:-}" ] && echo "valgrind memcheck: $runs runs (sample and a fuzzed corpus capture, 1 and 2 workers), $FAILED with errors" > "$FIGURES_DIR/valgrind.txt"
finish
