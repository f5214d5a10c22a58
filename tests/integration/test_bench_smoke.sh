#!/usr/bin/env bash
# test_bench_smoke.sh - a tiny run of the benchmark (bench/run --smoke) so
# that it never rots: every row must run (or be skipped for a missing peer).
source "$(dirname "$0")/lib.sh"
if [ ! -d "$SHARED/pcaps/dev" ]; then
  echo "skip: $SHARED/pcaps/dev is absent"; echo "0 passed, 0 failed, 1 skipped"; exit 0
fi
if NETSIFT_PCAPS="$SHARED/pcaps" "$SRC_DIR/bench/run" --smoke --netsift "$NETSIFT" --out "$WORK/bench" > "$WORK/out" 2>&1; then
  pass
else
  cat "$WORK/out"; fail "bench/run --smoke failed"
fi
grep -q "netsift headers" "$WORK/out" && pass || fail "no netsift row in the benchmark table"
finish
