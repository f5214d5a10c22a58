#!/usr/bin/env bash
# test_sync.sh - database sync to PostgreSQL, against a real server: a
# throw-away cluster (initdb + pg_ctl) in a temporary directory, run as an
# unprivileged user on 127.0.0.1 and a random free port, stopped at exit.
#   1. captures of the sample and of dev corpus files with --db-sync and
#      --file-write: every table of every database holds the same rows on
#      both sides (count and md5 of the rows in key order)
#   2. faults: PostgreSQL killed (pg_ctl stop -m immediate) during a long
#      capture and started again: the capture exits 0 at about its usual
#      pace with one line about it; netsift sync catches up; both sides
#      equal, no duplicates
#   3. every position lost: pushing everything again changes nothing
#   4. two sensors syncing into one database keep their rows apart
#   5. bad input: wrong port, wrong password, a role without CREATE: one
#      line, the capture goes on and exits 0, sync --status shows the
#      error, netsift sync exits 1; no password appears in any output
#   6. sync --status before and after netsift sync
#   7. rotated header files (--db-rotate-size): every closed file and
#      headers.sqlite arrive once, during the capture, after kill -9 during
#      a rotating capture, and when every position is lost
# Skipped (exit 77, ctest: skipped) when the Debian postgresql
# server cannot be found or started.
source "$(dirname "$0")/lib.sh"


source "$SRC_DIR/scripts/pg-throwaway.sh"
ADMIN_PW="adm-$RANDOM$RANDOM-Secret"
READER_PW="rdr-$RANDOM$RANDOM-Secret"
WRONG_PW="wrong-$RANDOM$RANDOM-Secret"
PG_ADMIN_PW="$ADMIN_PW"
trap 'pg_throwaway_remove; rm -rf "$WORK"' EXIT
pg_throwaway_start 2> "$WORK/pg-start.err" || skip "$(tail -1 "$WORK/pg-start.err")"
PORT=$PG_PORT
CLOSED_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
OUT="$WORK/out"   # every output of netsift: searched for passwords at the end
mkdir -p "$OUT"

for db in s1 s2 s4 s5 s7 s10; do pgq postgres -c "CREATE DATABASE $db"; done
pgq postgres -c "CREATE ROLE reader LOGIN PASSWORD '$READER_PW'"

S="$SRC_DIR/sample/sample.pcap"
export PGPASSWORD="$ADMIN_PW"   # libpq's own variable; never a flag
sync_args() { echo --sync-address 127.0.0.1 --sync-port "$PORT" --sync-user admin --sync-db "$1" --sensor "$2"; }

# tables_of FILE: one line per table: name|"col",...|"key col",...
tables_of() {
  sql "$1" "SELECT m.name,
      (SELECT group_concat('\"' || name || '\"', ',') FROM (SELECT name FROM pragma_table_info(m.name) ORDER BY cid)),
      (SELECT group_concat('\"' || name || '\"', ',') FROM (SELECT name FROM pragma_table_info(m.name) WHERE pk > 0 ORDER BY pk))
    FROM sqlite_master m WHERE m.type = 'table' AND m.name != 'netsift_file' ORDER BY m.name"
}

# pg_count DB SENSOR TABLE: the sensor's rows (0 when the table is missing)
pg_count() {
  [ "$(pgq "$1" -c "SELECT to_regclass('\"$3\"') IS NOT NULL")" = t ] || { echo 0; return; }
  pgq "$1" -c "SELECT count(*) FROM \"$3\" WHERE sensor = '$2'"
}

# compare DBDIR PGDB SENSOR WHAT: every table of every database in DBDIR
# has the same rows (count, md5 of the rows in key order) on both sides,
# and PostgreSQL holds each key once
compare() {
  local dir=$1 pgdb=$2 sensor=$3 what=$4 f t cols pk lc pc lm pm dups tables=0 bad=0
  for f in "$dir"/*.sqlite; do
    [ "$(basename "$f")" = sync-state.sqlite ] && continue
    while IFS='|' read -r t cols pk; do
      tables=$((tables + 1))
      lc=$(sql "$f" "SELECT count(*) FROM \"$t\"")
      pc=$(pg_count "$pgdb" "$sensor" "$t")
      if [ "$lc" != "$pc" ]; then fail "$what: $(basename "$f") $t: $lc rows locally, $pc in PostgreSQL"; bad=1; continue; fi
      [ "$lc" = 0 ] && continue
      lm=$(sqlite3 -batch -noheader -separator '|' -nullvalue '' "$f" "SELECT $cols FROM \"$t\" ORDER BY $pk" | md5sum)
      pm=$(pgq "$pgdb" -F '|' -c "SELECT $cols FROM \"$t\" WHERE sensor = '$sensor' ORDER BY $pk" | md5sum)
      [ "$lm" = "$pm" ] || { fail "$what: $(basename "$f") $t: rows differ (checksums)"; bad=1; }
      dups=$(pgq "$pgdb" -c "SELECT count(*) - count(DISTINCT ($pk)) FROM \"$t\" WHERE sensor = '$sensor'")
      [ "$dups" = 0 ] || { fail "$what: $t: $dups duplicate keys in PostgreSQL"; bad=1; }
    done < <(tables_of "$f")
  done
  [ "$tables" -gt 0 ] || { fail "$what: no tables in $dir"; bad=1; }
  [ "$bad" = 0 ] && pass
  echo "$what: $tables tables compared"
}

# ---- 1. captures with --db-sync: both sides equal ----------------------
db1="$WORK/db1"
inputs=("$S")
if [ -d "$SHARED/pcaps/dev" ]; then
  while IFS= read -r f; do inputs+=("$f"); done < <(find "$SHARED/pcaps/dev" -type f \
    \( -name '*.pcap' -o -name '*.pcapng' \) | LC_ALL=C sort | awk "NR % ${SYNC_CORPUS_STEP:-40} == 1")
else
  echo "skip: $SHARED/pcaps/dev is absent: the sample only"
fi
bad_exit=0
for i in "${!inputs[@]}"; do
  "$NETSIFT" capture -q -r "${inputs[$i]}" -d "$db1" --file-write --db-sync $(sync_args s1 gw-one) \
    > "$OUT/c1-$i.out" 2> "$OUT/c1-$i.err"
  rc=$?
  # 1: a truncated or unreadable corpus file (what was read is stored)
  [ "$rc" -le 1 ] || { bad_exit=1; fail "capture of ${inputs[$i]} with --db-sync: exit $rc"; }
  grep -q 'netsift: sync:' "$OUT/c1-$i.err" && { bad_exit=1; fail "sync complained: $(cat "$OUT/c1-$i.err")"; }
done
[ "$bad_exit" = 0 ] && pass
echo "captured ${#inputs[@]} files with --db-sync"
compare "$db1" s1 gw-one "in-capture sync of ${#inputs[@]} captures"

# ---- 2. PostgreSQL killed and restarted during a capture ---------------
for i in $(seq 1 60); do editcap -t "$i" "$S" "$WORK/c$i.pcap"; done
mergecap -a -F pcap -w "$WORK/long.pcap" "$WORK"/c*.pcap
rm -f "$WORK"/c*.pcap
for i in 1 2 3 4 5 6 7 8; do   # 1.26M packets: long enough to outlive the outage
  editcap -t $((60 * (1 << i))) "$WORK/long.pcap" "$WORK/shifted.pcap"
  mergecap -a -F pcap -w "$WORK/longer.pcap" "$WORK/long.pcap" "$WORK/shifted.pcap"
  mv "$WORK/longer.pcap" "$WORK/long.pcap"
done
rm -f "$WORK/shifted.pcap"
elapsed() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['elapsed_s'])" "$1"; }
"$NETSIFT" capture -q --json -r "$WORK/long.pcap" -d "$WORK/db2-alone" > "$OUT/c2-alone.json" 2> "$OUT/c2-alone.err"
check "long capture without sync: exit status" 0 $?
rm -rf "$WORK/db2-alone"
db2="$WORK/db2"
"$NETSIFT" capture -q --json -r "$WORK/long.pcap" -d "$db2" --process-interval 200 --db-sync $(sync_args s2 gw-two) \
  > "$OUT/c2.json" 2> "$OUT/c2.err" &
cap=$!
sleep 1.5
pg_throwaway_stop immediate
pushed() { sqlite3 "$db2/sync-state.sqlite" "SELECT coalesce(sum(pushed), 0) FROM sync_state" 2>/dev/null || echo 0; }
pushed_before=$(pushed)
sleep 1
pg_throwaway_restart || fail "PostgreSQL did not start again"
wait "$cap"
check "capture during the outage: exit status" 0 $?
t_alone=$(elapsed "$OUT/c2-alone.json")
t_sync=$(elapsed "$OUT/c2.json")
pushed_during=$(pushed)
echo "long capture: ${t_alone}s without sync, ${t_sync}s with sync through the outage;" \
  "rows pushed before the kill: $pushed_before, by the end of the capture: $pushed_during"
# the capture's own work is not slowed; at the end it gives the sync a
# final pass of at most 5 s
python3 -c "import sys; sys.exit(0 if float(sys.argv[2]) <= 2 * float(sys.argv[1]) + 8 else 1)" "$t_alone" "$t_sync" \
  && pass || fail "capture with sync through an outage took ${t_sync}s against ${t_alone}s alone"
check "outage: one line on stderr" 1 "$(grep -c 'netsift: sync: .*\(retrying\|pushes the rest\)' "$OUT/c2.err")"
grep -q 'netsift: sync: pushing to PostgreSQL at .* again' "$OUT/c2.err" && pass \
  || fail "the capture's sync did not resume after the restart: $(cat "$OUT/c2.err")"
[ "$pushed_during" -gt "$pushed_before" ] && pass || fail "nothing pushed after the restart during the capture"
"$NETSIFT" sync -d "$db2" $(sync_args s2 gw-two) > "$OUT/s2.out" 2> "$OUT/s2.err"
check "netsift sync after the outage: exit status" 0 $?
cat "$OUT/s2.out"
compare "$db2" s2 gw-two "after the outage"

rm -rf "$db2" "$WORK/long.pcap"

# ---- 3. positions lost: everything sent again, nothing changes --------
rm -f "$db1"/sync-state.sqlite*
"$NETSIFT" sync -d "$db1" $(sync_args s1 gw-one) > "$OUT/s3.out" 2> "$OUT/s3.err"
check "sending everything again: exit status" 0 $?
cat "$OUT/s3.out"
compare "$db1" s1 gw-one "everything sent twice"

# ---- 4. two sensors, one database -------------------------------------
for s in a b; do
  "$NETSIFT" capture -q -r "$S" -d "$WORK/db4$s" --file-write --db-sync $(sync_args s4 "sensor-$s") \
    > "$OUT/c4$s.out" 2> "$OUT/c4$s.err"
  check "sensor $s: capture exit status" 0 $?
done
compare "$WORK/db4a" s4 sensor-a "sensor a"
compare "$WORK/db4b" s4 sensor-b "sensor b"
check "two sensors: eth rows of both" \
  $(( $(sql "$WORK/db4a/headers.sqlite" 'SELECT count(*) FROM eth') + $(sql "$WORK/db4b/headers.sqlite" 'SELECT count(*) FROM eth') )) \
  "$(pgq s4 -c 'SELECT count(*) FROM eth')"

# ---- 5. bad input -----------------------------------------------------
# bad_case NAME EXPECTED_TEXT [capture/sync options...]: the capture goes
# on (exit 0, headers stored) with one line naming the cause, sync --status
# shows it, netsift sync exits 1 with one line
bad_case() {
  local name=$1 expect=$2; shift 2
  local db="$WORK/db5-$name"
  "$NETSIFT" capture -q -r "$S" -d "$db" --db-sync "$@" > "$OUT/c5-$name.out" 2> "$OUT/c5-$name.err"
  check "$name: capture exit status" 0 $?
  check "$name: headers stored all the same" 82 "$(sql "$db/headers.sqlite" 'SELECT count(*) FROM eth')"
  check "$name: one line on stderr" 1 "$(wc -l < "$OUT/c5-$name.err")"
  grep -q "$expect" "$OUT/c5-$name.err" && pass || fail "$name: stderr does not say '$expect': $(cat "$OUT/c5-$name.err")"
  "$NETSIFT" sync -d "$db" "$@" --status > "$OUT/st5-$name.out" 2> "$OUT/st5-$name.err"
  check "$name: sync --status exit status" 0 $?
  grep -q "$expect" "$OUT/st5-$name.out" && pass || fail "$name: sync --status does not show '$expect'"
  "$NETSIFT" sync -d "$db" "$@" > "$OUT/s5-$name.out" 2> "$OUT/s5-$name.err"
  check "$name: netsift sync exit status" 1 $?
  check "$name: netsift sync: one line" 1 "$(wc -l < "$OUT/s5-$name.err")"
  echo "$name: $(cat "$OUT/s5-$name.err")"
}
bad_case wrong-port "port $CLOSED_PORT failed: Connection refused" \
  --sync-address 127.0.0.1 --sync-port "$CLOSED_PORT" --sync-user admin --sync-db s5
printf 'db_sync_password = %s\n' "$WRONG_PW" > "$WORK/wrong.conf"
PGPASSWORD= bad_case wrong-password 'password authentication failed for user "admin"' \
  -c "$WORK/wrong.conf" --sync-address 127.0.0.1 --sync-port "$PORT" --sync-user admin --sync-db s5
PGPASSWORD="$READER_PW" bad_case no-create 'permission denied for schema public' \
  --sync-address 127.0.0.1 --sync-port "$PORT" --sync-user reader --sync-db s5

# ---- 6. sync --status before and after --------------------------------
db6="$WORK/db6"
"$NETSIFT" capture -q -r "$S" -d "$db6" > /dev/null
total=$(for f in "$db6"/*.sqlite; do
  tables_of "$f" | while IFS='|' read -r t _; do sql "$f" "SELECT count(*) FROM \"$t\""; done
done | awk '{ n += $1 } END { print n }')
pending() { awk '/^  pending:/ {print $2}' "$1"; }
"$NETSIFT" sync -d "$db6" $(sync_args s5 gw-six) --status > "$OUT/st6-before.out" 2>&1
check "status before: exit status" 0 $?
check "status before: every row pending" "$total" "$(pending "$OUT/st6-before.out")"
check "status before: eth pending" 82 "$(awk '$2 == "eth" {print $6}' "$OUT/st6-before.out")"
"$NETSIFT" sync -d "$db6" $(sync_args s5 gw-six) > "$OUT/s6.out" 2> "$OUT/s6.err"
check "sync: exit status" 0 $?
grep -q "^pushed $total rows" "$OUT/s6.out" && pass || fail "sync did not push $total rows: $(cat "$OUT/s6.out" "$OUT/s6.err")"
"$NETSIFT" sync -d "$db6" $(sync_args s5 gw-six) --status > "$OUT/st6-after.out" 2>&1
check "status after: nothing pending" 0 "$(pending "$OUT/st6-after.out")"
check "status after: eth position" "$(sql "$db6/headers.sqlite" 'SELECT max(rowid) FROM eth')" \
  "$(awk '$2 == "eth" {print $4}' "$OUT/st6-after.out")"
cat "$OUT/st6-after.out" | head -6
compare "$db6" s5 gw-six "netsift sync"

# ---- 7. rotated header files ------------------------------------------
# compare_rotated DBDIR PGDB SENSOR WHAT: each header table's rows in
# every header file (gathered with sqlite3) are PostgreSQL's, each key once
compare_rotated() {
  local dir=$1 pgdb=$2 sensor=$3 what=$4 t cols pk lm pm bad=0 files f u="$WORK/union-$RANDOM.db"
  files=$(ls "$dir/headers/" | grep -c '^headers-')
  [ "$files" -ge 2 ] || { fail "$what: $files closed header files"; return; }
  while IFS='|' read -r t cols pk; do
    for f in "$dir"/headers/headers-*.sqlite "$dir/headers.sqlite"; do
      sql "$u" "ATTACH '$f' AS x; CREATE TABLE IF NOT EXISTS \"$t\" AS SELECT * FROM x.\"$t\" WHERE 0; INSERT INTO \"$t\" SELECT * FROM x.\"$t\""
    done
    lm=$(sqlite3 -batch -noheader -separator '|' -nullvalue '' "$u" "SELECT $cols FROM \"$t\" ORDER BY $pk" | md5sum)
    pm=$(pgq "$pgdb" -F '|' -c "SELECT $cols FROM \"$t\" WHERE sensor = '$sensor' ORDER BY $pk" | md5sum)
    [ "$lm" = "$pm" ] || { fail "$what: $t: rows differ ($(sql "$u" "SELECT count(*) FROM \"$t\"") locally, $(pg_count "$pgdb" "$sensor" "$t") in PostgreSQL)"; bad=1; }
  done < <(tables_of "$dir/headers.sqlite")
  rm -f "$u"
  [ "$bad" = 0 ] && pass
  echo "$what: $files closed header files and headers.sqlite compared"
}
for i in $(seq 1 300); do editcap -t "$i" "$S" "$WORK/c$i.pcap"; done
mergecap -a -F pcap -w "$WORK/rot.pcap" "$WORK"/c*.pcap
rm -f "$WORK"/c*.pcap
db7="$WORK/db7"
"$NETSIFT" capture -q -r "$WORK/rot.pcap" -d "$db7" --no-monitor --batch-rows 4000 --db-rotate-size 2M \
  --process-interval 100 --db-sync $(sync_args s7 gw-rot) > "$OUT/c7.out" 2> "$OUT/c7.err"
check "rotating capture with --db-sync: exit status" 0 $?
check "rotating capture with --db-sync: nothing on stderr" "" "$(cat "$OUT/c7.err")"
[ "$(pg_count s7 gw-rot eth)" -gt 0 ] && pass || fail "in-capture sync pushed no eth row"
# the capture's final pass has a deadline (5 s): on a loaded machine what
# it leaves is the next pass's, here netsift sync's
"$NETSIFT" sync -d "$db7" $(sync_args s7 gw-rot) > "$OUT/s7.out" 2>&1
check "netsift sync after the rotating capture: exit status" 0 $?
compare_rotated "$db7" s7 gw-rot "in-capture sync of rotated files, then netsift sync"
"$NETSIFT" sync -d "$db7" $(sync_args s7 gw-rot) --status > "$OUT/st7.out" 2>&1
check "rotated files: nothing pending" 0 "$(pending "$OUT/st7.out")"
# kill -9 during rotating captures with sync, into one directory; then
# netsift sync brings every file over once
db8="$WORK/db8"
pushed8() { sqlite3 "$db8/sync-state.sqlite" "SELECT coalesce(sum(pushed), 0) FROM sync_state" 2>/dev/null || echo 0; }
for round in 1 2 3; do   # other packets each round: a key read twice would be one row in PostgreSQL
  editcap -t $((1000 * round)) "$WORK/rot.pcap" "$WORK/round.pcap"
  "$NETSIFT" capture -q -r "$WORK/round.pcap" -d "$db8" --no-monitor --batch-rows 2000 --db-rotate-size 1M \
    --process-interval 100 --db-sync $(sync_args s7 gw-killed) > /dev/null 2>&1 &
  # at a random moment after a rotation and a push (or the end)
  kill9_when $! eval 'ls "$db8/headers/" | grep -q "^headers-" && [ "$(pushed8)" != 0 ]'
done
"$NETSIFT" capture -q -r "$S" -d "$db8" --no-monitor --db-rotate-size 1M > /dev/null 2>&1
check "after kill -9: the next capture: exit status" 0 $?
"$NETSIFT" sync -d "$db8" $(sync_args s7 gw-killed) > "$OUT/s8.out" 2> "$OUT/s8.err"
check "after kill -9: netsift sync: exit status" 0 $?
compare_rotated "$db8" s7 gw-killed "rotated files after kill -9"
# every position lost: everything again, nothing changes
rm -f "$db7"/sync-state.sqlite*
"$NETSIFT" sync -d "$db7" $(sync_args s7 gw-rot) > "$OUT/s9.out" 2> "$OUT/s9.err"
check "rotated files sent again: exit status" 0 $?
compare_rotated "$db7" s7 gw-rot "rotated files sent twice"

# a burst whose frames straddle a rotation is a key in two files: in
# PostgreSQL too one row per file (netsift_file in the key), whose frames
# add up; here every key of the sample is in both files.  The eth table
# of s10 is made the way netsift made it before rows knew their file: it
# gains netsift_file, its old rows 0, and the key.
db10=$WORK/db10
"$NETSIFT" capture -q -r "$S" -d "$WORK/db10-closed" --no-monitor > /dev/null 2>&1
"$NETSIFT" capture -q -r "$S" -d "$db10" --no-monitor > /dev/null 2>&1
mkdir -m 0750 "$db10/headers"
closed=$(python3 - "$WORK/db10-closed/headers.sqlite" <<'PY'
import datetime, sqlite3, sys
lo, hi = sqlite3.connect(sys.argv[1]).execute("SELECT min(timestamp), max(timestamp) FROM eth").fetchone()
f = lambda us: datetime.datetime.fromtimestamp(us / 1e6, datetime.timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
print(f"headers-{f(lo)}--{f(hi)}.sqlite")
PY
)
sql "$WORK/db10-closed/headers.sqlite" "PRAGMA journal_mode=DELETE" > /dev/null
mv "$WORK/db10-closed/headers.sqlite" "$db10/headers/$closed"
pgq s10 -c "CREATE TABLE eth (sensor text NOT NULL, hash bigint NOT NULL, timestamp bigint NOT NULL,
  ethh_hash bigint NOT NULL, caplen bigint, length bigint, PRIMARY KEY (sensor, hash, timestamp, ethh_hash))"
pgq s10 -c "INSERT INTO eth VALUES ('gw-old', 1, 2, 3, 60, 60)"
"$NETSIFT" sync -d "$db10" $(sync_args s10 gw-straddle) > "$OUT/s10.out" 2> "$OUT/s10.err"
check "two files with the same keys: sync exit status" 0 $?
for t in eth ip4 tcp dns; do
  check "$t: PostgreSQL's frames are both files'" \
    "$(( $(sql "$db10/headers.sqlite" "SELECT sum(frames) FROM $t") * 2 ))" \
    "$(pgq s10 -c "SELECT sum(frames) FROM \"$t\" WHERE sensor = 'gw-straddle'")"
  check "$t: one row per file" 2 "$(pgq s10 -c "SELECT count(DISTINCT netsift_file) FROM \"$t\" WHERE sensor = 'gw-straddle'")"
done
check "an old table keeps its rows, with netsift_file 0" "0" \
  "$(pgq s10 -c "SELECT netsift_file FROM eth WHERE sensor = 'gw-old'")"
check "an old table's key gains netsift_file" "sensor, hash, \"timestamp\", ethh_hash, netsift_file" \
  "$(pgq s10 -c "SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.i) FROM pg_index x
     CROSS JOIN unnest(x.indkey) WITH ORDINALITY AS k(attnum, i)
     JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
     WHERE x.indrelid = 'eth'::regclass AND x.indisprimary")"
rm -f "$db10"/sync-state.sqlite*
"$NETSIFT" sync -d "$db10" $(sync_args s10 gw-straddle) > /dev/null 2>&1
check "sent again with every position lost: the same frames" \
  "$(( $(sql "$db10/headers.sqlite" "SELECT sum(frames) FROM eth") * 2 ))" \
  "$(pgq s10 -c "SELECT sum(frames) FROM eth WHERE sensor = 'gw-straddle'")"

# ---- no password anywhere ---------------------------------------------
for d in "$WORK"/db*; do
  [ -f "$d/sync-state.sqlite" ] && sqlite3 "$d/sync-state.sqlite" .dump > "$OUT/state-$(basename "$d").sql"
done
cp "$PG_DIR/server.log" "$OUT/server.log"
leaks=$(grep -rlF -e "$ADMIN_PW" -e "$READER_PW" -e "$WRONG_PW" "$OUT" "$WORK"/db* 2>/dev/null)
check "no password in any output, log or database" "" "$leaks"
finish
