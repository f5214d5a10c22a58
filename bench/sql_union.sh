#!/usr/bin/env bash
# bench/sql_union.sh - what reading rotated header files as one costs
# (netsift sql, src/store/header_union.c), issue 30.
#
# usage: bench/sql_union.sh [--netsift PATH] [--out DIR] [--rotate-size SIZE]
#
#   1. the benchmark file (bench/make-benchfile.sh) stored twice with
#      --no-monitor --batch-rows 20000 (a batch goes whole to one file):
#      into one headers.sqlite, and rotated at SIZE (default 4M: about 45
#      files, more than the 10 SQLite attaches);
#   2. each query run three ways, wall seconds of the best of 3: sqlite3
#      on the one file (the peer), netsift sql on the one file, netsift sql
#      on the rotated files; the answers of the rotated files must equal
#      the one file's (sums of frames and distinct keys, not count(*): a
#      burst straddling a rotation is one row per file).
# Prints a Markdown table, also kept in OUT/sql_union.txt.  Exit status 0;
# 1 when a step failed or an answer differs; 2 on bad usage.  See
# bench/README.md ("Reading rotated files").

source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
ROTATE=4M

while [ $# -gt 0 ]; do
  case $1 in
    --netsift) NETSIFT=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --rotate-size) ROTATE=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) printf 'bench/sql_union.sh: unknown option %s (see --help)\n' "$1" >&2; exit 2 ;;
  esac
done
[ -x "$NETSIFT" ] || die "no netsift at $NETSIFT (make build)"
command -v sqlite3 > /dev/null || die "sqlite3 is needed (apt-get install sqlite3)"
mkdir -p "$OUT"
BENCH_PCAP=$OUT/bench.pcap
"$BENCH_DIR/make-benchfile.sh" "$BENCH_PCAP" > /dev/null
ONE=$OUT/sql-one
ROT=$OUT/sql-rot
rm -rf "$ONE" "$ROT"
echo "storing $BENCH_PCAP twice (one file, rotated at $ROTATE)" >&2
"$NETSIFT" capture -q -r "$BENCH_PCAP" -d "$ONE" --no-monitor --batch-rows 20000 > /dev/null || die "capture (one file) failed"
"$NETSIFT" capture -q -r "$BENCH_PCAP" -d "$ROT" --no-monitor --batch-rows 20000 --db-rotate-size "$ROTATE" > /dev/null ||
  die "capture (rotated) failed"
files=$("$NETSIFT" sql -d "$ROT" --list | wc -l)

best_of_3() { # COMMAND...: the best wall seconds in $BEST, the output in $ANSWER
  local best="" s e t
  for _ in 1 2 3; do
    s=$(date +%s.%N)
    ANSWER=$("$@")
    e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
  done
  BEST=$(printf '%.3f' "$best")
}

QUERIES=(
  "SELECT sum(frames), sum(coalesce(merged_bytes, length)) FROM ip4"
  "SELECT ip_src, sum(frames) FROM ip4 GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5"
  "SELECT sum(frames) FROM tcp WHERE dest = 443"
  "SELECT count(*) FROM (SELECT DISTINCT tcp.hash, tcp.timestamp, tcp.ethh_hash FROM tcp JOIN eth ON eth.hash = tcp.ethh_hash AND eth.timestamp = tcp.timestamp WHERE syn = 1)"
  "SELECT count(*) FROM (SELECT DISTINCT tcp.hash, tcp.timestamp, tcp.ethh_hash FROM tcp JOIN ip4 ON ip4.ethh_hash = tcp.ethh_hash AND ip4.timestamp = tcp.timestamp WHERE syn = 1)"
)
status=0
{
  echo "| query | sqlite3, one file (s) | netsift sql, one file (s) | netsift sql, $files files (s) | rotated / sqlite3 |"
  echo "| --- | --- | --- | --- | --- |"
  for q in "${QUERIES[@]}"; do
    best_of_3 sqlite3 -readonly "$ONE/headers.sqlite" "$q"; peer=$BEST want=$ANSWER
    best_of_3 "$NETSIFT" sql -d "$ONE" "$q"; one=$BEST
    best_of_3 "$NETSIFT" sql -d "$ROT" "$q"; rot=$BEST
    if [ "$ANSWER" != "$want" ]; then
      echo "bench/sql_union.sh: rotated answer differs for $q: '$ANSWER', one file '$want'" >&2
      status=1
    fi
    echo "| \`$q\` | $peer | $one | $rot | $(echo "scale=2; $rot / $peer" | bc) |"
  done
} | tee "$OUT/sql_union.txt"
rm -rf "$ONE" "$ROT"
exit $status
