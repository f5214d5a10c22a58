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
# --only: the floor and the matching rows, nothing else
NETSIFT_PCAPS="$SHARED/pcaps" "$SRC_DIR/bench/run" --smoke --netsift "$NETSIFT" --out "$WORK/bench" \
  --only 'decode only' > "$WORK/only" 2>&1
check "--only: exit status" 0 $?
check "--only: the floor and the two decode rows" "pcap_loop (floor)|netsift decode only, 1 worker|netsift decode only, 2 workers" \
  "$(python3 -c "import csv,sys; print('|'.join(r['tool'] for r in csv.DictReader(open(sys.argv[1]))))" "$WORK/bench/bench.csv")"
"$SRC_DIR/bench/run" --only '(' > /dev/null 2> "$WORK/bad"
check "--only with a bad expression: exit status 2" 2 $?
finish
