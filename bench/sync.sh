#!/usr/bin/env bash
# bench/sync.sh - how fast `netsift sync` pushes a capture's rows to
# PostgreSQL, next to how fast `netsift capture` stores them locally.
#
# usage: bench/sync.sh [--netsift PATH] [--out DIR] [--packets N]
#
#   1. the corpus once (bench/make-benchfile.sh OUT/sync-base.pcap 1) and
#      copies of it shifted in time (editcap -t) until it holds --packets
#      packets, cached as OUT/sync-bench.pcap.  Unlike bench.pcap, whose
#      copies repeat timestamps (so three of every four header rows are
#      duplicates the capture drops), every copy here stores its own rows.
#   2. netsift capture -r FILE -d TMP/db: the local rate is the rows stored
#      in every table divided by the capture's wall time
#   3. a throw-away PostgreSQL server with stock settings on 127.0.0.1
#      (scripts/pg-throwaway.sh) and an empty database
#   4. netsift sync -d TMP/db into it: rows pushed / wall time (new rows: the
#      straight COPY path); then once more with the positions forgotten,
#      every row sent again (the staging + ON CONFLICT path)
# Prints the rates and ratios and keeps them in OUT/sync.txt.  See
# bench/README.md.  Exit status 0, 1 when a step failed, 2 on bad usage.

source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
PACKETS=500000

while [ $# -gt 0 ]; do
  case $1 in
    --netsift) NETSIFT=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --packets) PACKETS=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/sync.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -x "$NETSIFT" ] || die "no netsift binary at $NETSIFT (build first, or --netsift PATH)"
mkdir -p "$OUT"
BASE="$OUT/sync-base.pcap"
FILE="$OUT/sync-bench.pcap"
"$BENCH_DIR/make-benchfile.sh" "$BASE" 1 > /dev/null || die "cannot build $BASE"
count() { capinfos -c -M "$1" | awk '/Number of packets/ {print $NF}'; }
if [ ! -f "$FILE" ] || [ "$FILE" -ot "$BASE" ] || [ "$(count "$FILE")" -lt "$PACKETS" ]; then
  cp "$BASE" "$FILE"
  copy=1
  while [ "$(count "$FILE")" -lt "$PACKETS" ]; do   # a copy 10^7 s (about 4 months) later
    editcap -t $((copy * 10000000)) "$BASE" "$FILE.shifted"
    mergecap -a -F pcap -w "$FILE.new" "$FILE" "$FILE.shifted"
    mv "$FILE.new" "$FILE"
    copy=$((copy + 1))
  done
  rm -f "$FILE.shifted"
fi

source "$REPO_ROOT/scripts/pg-throwaway.sh"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/netsift-syncbench.XXXXXX")
trap 'pg_throwaway_remove; rm -rf "$TMP"' EXIT
pg_throwaway_start || die "no PostgreSQL server to push to"
pgq postgres -c "CREATE DATABASE bench"
export PGPASSWORD="$PG_ADMIN_PW"

now() { echo "$EPOCHREALTIME"; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
rows_in() { # rows of every table of every database in a directory
  local f t n=0
  for f in "$1"/*.sqlite; do
    [ "$(basename "$f")" = sync-state.sqlite ] && continue
    for t in $(sqlite3 "$f" "SELECT name FROM sqlite_master WHERE type = 'table'"); do
      n=$((n + $(sqlite3 "$f" "SELECT count(*) FROM \"$t\"")))
    done
  done
  echo "$n"
}

db="$TMP/db"
cat "$FILE" > /dev/null   # page cache
t0=$(now)
"$NETSIFT" capture -q -r "$FILE" -d "$db" > "$TMP/capture.out" || die "capture failed"
t_cap=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }')
rows=$(rows_in "$db")
header_rows=$(for t in $(sqlite3 "$db/headers.sqlite" "SELECT name FROM sqlite_master WHERE type = 'table'"); do
  sqlite3 "$db/headers.sqlite" "SELECT count(*) FROM \"$t\""; done | awk '{ n += $1 } END { print n }')

args=(-d "$db" --sync-address 127.0.0.1 --sync-port "$PG_PORT" --sync-user admin --sync-db bench --sensor bench)
t0=$(now)
"$NETSIFT" sync "${args[@]}" > "$TMP/sync1.out" || die "sync failed"
t_sync=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }')
rm -f "$db"/sync-state.sqlite*
t0=$(now)
"$NETSIFT" sync "${args[@]}" > "$TMP/sync2.out" || die "second sync failed"
t_again=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }')
pg_rows=0
for t in $(pgq bench -c "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"); do
  pg_rows=$((pg_rows + $(pgq bench -c "SELECT count(*) FROM \"$t\"")))
done
[ "$pg_rows" = "$rows" ] || die "PostgreSQL holds $pg_rows rows, the local databases $rows"

local_rate=$(rate "$rows" "$t_cap")
sync_rate=$(rate "$rows" "$t_sync")
again_rate=$(rate "$rows" "$t_again")
{
  echo "file: $FILE ($(count "$FILE") packets)"
  echo "PostgreSQL $(pgq postgres -c 'SHOW server_version'), stock settings, 127.0.0.1; $(nproc) cores"
  printf 'capture (store locally):   %9s rows in %6.2f s = %8s rows/s (headers.sqlite alone: %s rows/s)\n' \
    "$rows" "$t_cap" "$local_rate" "$(rate "$header_rows" "$t_cap")"
  printf 'netsift sync (new rows):   %9s rows in %6.2f s = %8s rows/s = %.2fx the local rate\n' \
    "$rows" "$t_sync" "$sync_rate" "$(awk -v a="$sync_rate" -v b="$local_rate" 'BEGIN { print a / b }')"
  printf 'netsift sync (sent again): %9s rows in %6.2f s = %8s rows/s = %.2fx the local rate\n' \
    "$rows" "$t_again" "$again_rate" "$(awk -v a="$again_rate" -v b="$local_rate" 'BEGIN { print a / b }')"
} | tee "$OUT/sync.txt"
