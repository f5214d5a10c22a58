#!/usr/bin/env bash
# bench/growth.sh - does storing headers slow down as headers.sqlite grows,
# and does rotating it (--db-rotate-size) keep the rate flat?  Issue 30.
#
# usage: bench/growth.sh [--netsift PATH] [--out DIR] [--copies "1 10 20"]
#                        [--rotate-size SIZE] [--batch-rows "N ..."]
#                        [--rotated-only]
#
#   1. the benchmark file (bench/make-benchfile.sh, 578,872 packets), and
#      for each count C of --copies, C copies of it concatenated, copy i
#      shifted by i x 10^8 s (so no two copies share a timestamp), cached
#      in OUT/growth-C.pcap;
#   2. on each file, in one run: tcpdump -nn -r FILE > /dev/null (the peer),
#      netsift headers alone with one worker into one fresh database
#      (--no-http --no-monitor --workers 1), and the same with
#      --db-rotate-size SIZE (default 1G), once per --batch-rows value
#      (default: netsift's, 200000); --rotated-only skips the one-file run;
#   3. wall seconds, packets/s, the ratio to tcpdump's wall time, peak RSS
#      (GNU time's %M) and the bytes stored (every database is kept until
#      the end: about 20 GB for the default copies).
# Prints a Markdown table, also kept in OUT/growth.txt.  Exit status 0; 1
# when a step failed; 2 on bad usage.  See bench/README.md ("Growth").

source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
COPIES="1 10 20"
ROTATE=1G
BATCHES=""
ONE_FILE=1

while [ $# -gt 0 ]; do
  case $1 in
    --netsift) NETSIFT=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --copies) COPIES=$2; shift 2 ;;
    --rotate-size) ROTATE=$2; shift 2 ;;
    --batch-rows) BATCHES=$2; shift 2 ;;
    --rotated-only) ONE_FILE=0; shift ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/growth.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
for c in $COPIES $BATCHES; do
  [[ $c =~ ^[1-9][0-9]*$ ]] || { echo "bench/growth.sh: --copies and --batch-rows take counts" >&2; exit 2; }
done
MODES=""
[ "$ONE_FILE" = 1 ] && MODES="one"
for b in ${BATCHES:-default}; do MODES="$MODES rotated:$b"; done
[ -x "$NETSIFT" ] || die "no netsift at $NETSIFT (build it first: make build)"
[ -x /usr/bin/time ] || die "/usr/bin/time (GNU time) is missing"
command -v tcpdump >/dev/null || die "tcpdump is missing"
mkdir -p "$OUT"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/netsift-growth.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

BASE="$OUT/bench.pcap"
"$BENCH_DIR/make-benchfile.sh" "$BASE" > /dev/null
file_of() { # C: the C-copy file, built once
  local c=$1 f="$OUT/growth-$1.pcap" i
  [ "$c" = 1 ] && { echo "$BASE"; return; }
  if [ ! -s "$f" ] || [ "$f" -ot "$BASE" ]; then
    printf 'bench/growth.sh: building %s copies\n' "$c" >&2
    for i in $(seq 1 "$c"); do editcap -t $((i * 100000000)) "$BASE" "$TMP/copy$i.pcap"; done
    mergecap -a -F pcap -w "$f" $(for i in $(seq 1 "$c"); do echo "$TMP/copy$i.pcap"; done)
    rm -f "$TMP"/copy*.pcap
  fi
  echo "$f"
}

# timed NAME CMD...: wall seconds and peak KiB into $TMP/NAME.time
timed() {
  local name=$1
  shift
  /usr/bin/time -f '%e %M' -o "$TMP/$name.time" "$@" > /dev/null 2> "$TMP/$name.err" ||
    die "$name failed: $(tail -2 "$TMP/$name.err")"
}

table="| packets | tool | wall s | packets/s | x tcpdump | peak MiB | stored |"$'\n'
table+="| --- | --- | --- | --- | --- | --- | --- |"$'\n'
for c in $COPIES; do
  f=$(file_of "$c")
  packets=$(capinfos -c -M "$f" | awk '/Number of packets/ {print $NF}')
  timed tcpdump tcpdump -nn -r "$f"
  read -r tcp_s tcp_kib < "$TMP/tcpdump.time"
  for mode in $MODES; do
    # each run's output stays until the script ends: ext4 makes the next
    # file-creating run pay for deleting gigabytes (bench/README.md)
    db="$TMP/db-$c-${mode/:/-}"
    extra=() what="one headers.sqlite" batch=${mode#rotated:}
    if [ "$mode" != one ]; then
      extra=(--db-rotate-size "$ROTATE") what="rotated at $ROTATE"
      [ "$batch" != default ] && extra+=(--batch-rows "$batch") what="$what, --batch-rows $batch"
    fi
    timed run "$NETSIFT" capture -q -r "$f" --db-path "$db" --no-http --no-monitor \
      --workers 1 "${extra[@]}"
    read -r s kib < "$TMP/run.time"
    stored=$(du -sb "$db" | cut -f1)
    table+="| $packets | netsift, $what | $s | $(awk -v p="$packets" -v s="$s" 'BEGIN {printf "%.0f", p / s}') | $(awk -v a="$s" -v b="$tcp_s" 'BEGIN {printf "%.2f", a / b}') | $((kib / 1024)) | $(awk -v b="$stored" 'BEGIN {printf "%.1f GB", b / 1e9}') |"$'\n'
  done
  table+="| $packets | tcpdump -nn -r | $tcp_s | $(awk -v p="$packets" -v s="$tcp_s" 'BEGIN {printf "%.0f", p / s}') | 1.00 | $((tcp_kib / 1024)) | |"$'\n'
done
printf '%s' "$table" | tee "$OUT/growth.txt"
