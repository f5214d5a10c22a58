#!/usr/bin/env bash
# bench/memory.sh - does netsift's peak memory stay under 256 MiB however
# long the file is?  Issue 10: memory grows with active flows, not with
# packets read.
#
# usage: bench/memory.sh [--netsift PATH] [--out DIR] [--runs R]
#                        [--sizes "N1 N2 ..."] [--no-floods]
#
#   1. for each size N (packets, default 500000 1000000 2000000 4000000):
#      bench/make-benchfile.sh OUT/memory-N.pcap N N, the benchmark file
#      built from the same corpus with as many time-shifted copies as it
#      takes, cut to N packets: a longer file holds the same traffic over a
#      longer time (cached);
#   2. netsift with every sink on, as bench/run's "everything" row
#      (headers and HTTP, raw packets, monitoring with --flow-log, audit
#      records, file extraction), with 1 and 2 workers, R runs each
#      (default 3), default caps;
#   3. the largest peak RSS (GNU time's %M) of the runs of each;
#   4. unless --no-floods, the same on the two floods of
#      tests/integration/make_pcap.py that fill every flow cap at once:
#      syn-flood (400,000 SYNs from distinct addresses) and hello-flood
#      (200,000 connections from distinct MACs, each a SYN and the first
#      1,200 bytes of a TLS ClientHello or HTTP head that never ends).
# Prints a table of packets, workers, peak MiB and wall seconds, keeps it
# in OUT/memory.txt, and says whether every peak stayed under 256 MiB.
# Exit status 0; 1 when a step failed; 2 on bad usage.  See
# bench/README.md ("Memory and file length").

source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
RUNS=3
SIZES="500000 1000000 2000000 4000000"
FLOODS=1
readonly LIMIT_KIB=$((256 * 1024))

while [ $# -gt 0 ]; do
  case $1 in
    --netsift) NETSIFT=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --sizes) SIZES=$2; shift 2 ;;
    --no-floods) FLOODS=0; shift ;;
    -h|--help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/memory.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "bench/memory.sh: --runs takes a positive count" >&2; exit 2; }
for n in $SIZES; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "bench/memory.sh: --sizes takes packet counts" >&2; exit 2; }
done
[ -x "$NETSIFT" ] || die "no netsift at $NETSIFT (build it first: make build)"
[ -x /usr/bin/time ] || die "/usr/bin/time (GNU time) is missing"
mkdir -p "$OUT"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/netsift-memory.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

report="$OUT/memory.txt"
{
  printf '# bench/memory.sh, %s, %s cores, %s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')" "$(nproc)" \
    "$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  printf '%-12s %-8s %-14s %-10s\n' packets workers peak_MiB wall_s
} > "$report"
cat "$report"
over=0
# measure LABEL FILE: everything at once on FILE with 1 and 2 workers
measure() {
  local label=$1 file=$2 workers peak wall kib secs
  for workers in 1 2; do
    peak=0
    wall=""
    for _ in $(seq "$RUNS"); do
      rm -rf "$TMP/db"
      mkdir -p "$TMP/db"
      /usr/bin/time -f '%M %e' -o "$TMP/time" "$NETSIFT" capture -q -r "$file" --db-path "$TMP/db" \
        --file-write --monitor --flow-log --audit "$TMP/db/audit" --extract-files "$TMP/db/files" \
        --control none --workers "$workers" > /dev/null 2> "$TMP/err" ||
        die "netsift failed on $file: $(tail -1 "$TMP/err")"
      read -r kib secs < <(tail -1 "$TMP/time")
      [ "$kib" -gt "$peak" ] && peak=$kib
      wall="$wall${wall:+/}$secs"
    done
    [ "$peak" -ge "$LIMIT_KIB" ] && over=1
    printf '%-12s %-8s %-14s %-10s\n' "$label" "$workers" \
      "$(awk -v k="$peak" 'BEGIN {printf "%.1f", k / 1024}')" "$wall" | tee -a "$report"
  done
}
for n in $SIZES; do
  file="$OUT/memory-$n.pcap"
  "$BENCH_DIR/make-benchfile.sh" "$file" "$n" "$n" > /dev/null || die "cannot build $file"
  packets=$(capinfos -c -M "$file" | awk -F: '/Number of packets/ {gsub(/ /, "", $2); print $2}')
  measure "$packets" "$file"
done
if [ "$FLOODS" = 1 ]; then
  for kind in syn-flood hello-flood; do
    file="$OUT/memory-$kind.pcap"
    [ -s "$file" ] || python3 "$REPO_ROOT/tests/integration/make_pcap.py" "$kind" "$file" ||
      die "cannot build $file"
    measure "$kind" "$file"
  done
fi
if [ "$over" = 0 ]; then
  echo "every peak under 256 MiB" | tee -a "$report"
else
  echo "a peak reached 256 MiB or more" | tee -a "$report"
fi
