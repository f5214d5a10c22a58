#!/usr/bin/env bash
# test_bench_smoke.sh - a tiny run of the benchmark (bench/run --smoke) so
# that it never rots: every row must run (or be skipped for a missing peer);
# the same for bench/memory.sh.
source "$(dirname "$0")/lib.sh"
if [ ! -d "$SHARED/pcaps/dev" ]; then
  skip "$SHARED/pcaps/dev is absent"
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
# bench/memory.sh on two tiny sizes, one run each: a row per size and
# worker count, and the verdict line
NETSIFT_PCAPS="$SHARED/pcaps" "$SRC_DIR/bench/memory.sh" --netsift "$NETSIFT" --out "$WORK/mem" \
  --runs 1 --sizes "3000 6000" --no-floods > "$WORK/mem.out" 2>&1
check "bench/memory.sh: exit status" 0 $?
check "bench/memory.sh: rows" "3000 1|3000 2|6000 1|6000 2|every peak under 256 MiB" \
  "$(awk '/^[0-9]/ {printf "%s %s|", $1, $2} /^every|^a peak/ {print}' "$WORK/mem.out")"
"$SRC_DIR/bench/memory.sh" --sizes "lots" > /dev/null 2>&1
check "bench/memory.sh with a bad size: exit status 2" 2 $?
finish
