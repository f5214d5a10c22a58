#!/usr/bin/env bash
# test_rotation.sh - rotated header databases (--db-rotate-size,
# --db-rotate-time), their retention (--db-max-size, --db-max-age) and
# netsift sql, on shifted copies of the sample and a corpus capture:
#   - the closed files and headers.sqlite together hold what one file
#     holds: per table and key, the same frames (EXCEPT both ways), and the
#     summary's counts;
#   - every closed file passes integrity_check, has exactly the tables of
#     a fresh headers.sqlite, is read-only and named by its time range;
#   - netsift sql answers over all files as over one;
#   - retention removes the oldest files and nothing else;
#   - kill -9 at random moments of a rotating capture leaves every file
#     consistent, and the next start finishes what was pending.
source "$(dirname "$0")/lib.sh"
TABLES="eth arp ip4 ip6 tcp udp icmp4 icmp6 dns mdns dhcp"

# frames per key of every table, from one or more header files
keys_of() { # OUT FILE...
  local out=$1 f t
  shift
  for t in $TABLES; do sql "$out" "CREATE TABLE IF NOT EXISTS $t (hash, timestamp, ethh_hash, frames)"; done
  for f in "$@"; do
    for t in $TABLES; do
      sql "$out" "ATTACH '$f' AS x; INSERT INTO $t SELECT hash, timestamp, ethh_hash, frames FROM x.$t"
    done
  done
}

differences() { # A B: keys whose frames differ, both ways, all tables
  local q="0" t
  for t in $TABLES; do
    q="$q + (SELECT count(*) FROM (SELECT hash, timestamp, ethh_hash, sum(frames) FROM main.$t GROUP BY 1, 2, 3 EXCEPT SELECT hash, timestamp, ethh_hash, sum(frames) FROM b.$t GROUP BY 1, 2, 3))"
    q="$q + (SELECT count(*) FROM (SELECT hash, timestamp, ethh_hash, sum(frames) FROM b.$t GROUP BY 1, 2, 3 EXCEPT SELECT hash, timestamp, ethh_hash, sum(frames) FROM main.$t GROUP BY 1, 2, 3))"
  done
  sqlite3 -batch -noheader "$1" "ATTACH '$2' AS b; SELECT $q"
}

shifted_copies 400 "$WORK/long.pcap"
inputs=("$WORK/long.pcap")
CORPUS=$SHARED/pcaps/dev/ndpi/tests_cfgs_default_pcap_1kxun.pcap
[ -f "$CORPUS" ] && inputs+=("$CORPUS")

for input in "${inputs[@]}"; do
  name=$(basename "$input")
  "$NETSIFT" capture -q -r "$input" -d "$WORK/one-$name" --no-monitor --file-write --json > "$WORK/one-$name.json" 2>&1
  check "$name: single file exit" 0 $?
  # small transactions, a new file after every one of them past 1 MiB
  "$NETSIFT" capture -q -r "$input" -d "$WORK/rot-$name" --no-monitor --batch-rows 4000 \
    --db-rotate-size 1M --json > "$WORK/rot-$name.json" 2> "$WORK/rot-$name.err"
  check "$name: rotating exit" 0 $?
  closed=$(ls "$WORK/rot-$name/headers/" | grep -c '^headers-.*\.sqlite$')
  [ "$closed" -ge 2 ] && pass || fail "$name: only $closed closed files"
  check "$name: summary counts the closed files" "$closed" \
    "$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['headers']['rotation']['files_closed'])" "$WORK/rot-$name.json")"
  check "$name: nothing left pending" "" "$(ls -A "$WORK/rot-$name/headers/" | grep -v '^headers-')"
  keys_of "$WORK/union-$name.db" "$WORK/rot-$name"/headers/headers-*.sqlite "$WORK/rot-$name/headers.sqlite"
  keys_of "$WORK/single-$name.db" "$WORK/one-$name/headers.sqlite"
  check "$name: every key's frames, rotated = one file" 0 "$(differences "$WORK/union-$name.db" "$WORK/single-$name.db")"
  check "$name: frames stored = packets read" \
    "$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['packets'])" "$WORK/rot-$name.json")" \
    "$(sql "$WORK/union-$name.db" 'SELECT sum(frames) FROM eth')"
  # each closed file: whole, read-only, the tables of a fresh file, named by its range
  fresh=$(sql "$WORK/one-$name/headers.sqlite" "SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_master WHERE type = 'table' ORDER BY name)")
  bad=0
  for f in "$WORK/rot-$name"/headers/headers-*.sqlite; do
    [ "$(sql "$f" 'PRAGMA integrity_check')" = ok ] || { bad=$((bad + 1)); echo "integrity: $f"; }
    [ "$(sql "$f" "SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_master WHERE type = 'table' ORDER BY name)")" = "$fresh" ] ||
      { bad=$((bad + 1)); echo "schema: $f"; }
    [ "$(stat -c %a "$f")" = 440 ] || { bad=$((bad + 1)); echo "mode: $f"; }
    [ -e "$f-wal" ] || [ -e "$f-shm" ] && { bad=$((bad + 1)); echo "wal beside: $f"; }
    range=$(python3 - "$f" <<'EOF'
import datetime, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
lo, hi = c.execute("SELECT min(timestamp), max(timestamp) FROM eth").fetchone()
f = lambda us: datetime.datetime.fromtimestamp(us / 1e6, datetime.timezone.utc).strftime("%Y%m%dT%H%M%S.") + "%06dZ" % (us % 1000000)
print("headers-%s--%s" % (f(lo), f(hi)))
EOF
)
    case "$(basename "$f")" in "$range"*) ;; *) bad=$((bad + 1)); echo "name: $f, range $range" ;; esac
  done
  check "$name: every closed file whole, read-only, specified tables, named by its range" 0 "$bad"
done

# netsift sql over more files than SQLite attaches (10): the same answers
# as one file, by scans, by time ranges, by joins on the key and on columns
# no index starts with (automatic indexes), by a self-join and a LIMIT
db=$WORK/sqlrot
"$NETSIFT" capture -q -r "$WORK/long.pcap" -d "$db" --no-monitor --file-write --batch-rows 4000 --db-rotate-time 30 > /dev/null 2>&1
files=$("$NETSIFT" sql -d "$db" --list | wc -l)
[ "$files" -ge 11 ] && pass || fail "netsift sql: $files files (want more than 10)"
one=$WORK/one-long.pcap/headers.sqlite
mid=$(sql "$one" 'SELECT min(timestamp) + 100000000 FROM eth')
for q in "SELECT sum(frames) FROM eth" "SELECT count(*) FROM http" "SELECT * FROM http ORDER BY conn_ts, client_port, depth" \
         "SELECT ip_src, sum(frames) FROM ip4 GROUP BY 1 ORDER BY 1" \
         "SELECT qname, count(*) FROM dns GROUP BY 1 ORDER BY 1" \
         "SELECT sum(frames) FROM eth WHERE timestamp >= $mid AND timestamp < $mid + 60000000" \
         "SELECT count(*) FROM tcp JOIN ip4 ON ip4.ethh_hash = tcp.ethh_hash AND ip4.timestamp = tcp.timestamp WHERE syn = 1" \
         "SELECT count(*) FROM tcp JOIN eth ON eth.hash = tcp.ethh_hash AND eth.timestamp = tcp.timestamp WHERE syn = 1" \
         "SELECT count(*) FROM tcp a JOIN tcp b ON a.source = b.dest AND a.dest = b.source AND a.timestamp = b.timestamp" \
         "SELECT count(*) FROM (SELECT * FROM udp LIMIT 7)"; do
  check "netsift sql: $q" "$(sql "$one" "$q" | md5sum)" "$("$NETSIFT" sql -d "$db" "$q" | md5sum)"
done
[ "$(sql "$one" "SELECT sum(frames) FROM eth WHERE timestamp >= $mid AND timestamp < $mid + 60000000")" -gt 0 ] && pass ||
  fail "netsift sql: no frame in the minute asked for"
# --from/--to choose the files whose names' ranges meet them (and the open file)
read -r last want < <(python3 - "$db/headers" <<'EOF'
import datetime, os, sqlite3, sys
names = sorted(n for n in os.listdir(sys.argv[1]) if n.startswith("headers-"))
t = datetime.datetime.strptime(names[-1][8:31], "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=datetime.timezone.utc)
us = int(t.timestamp()) * 1000000 + t.microsecond
last = lambda n: sqlite3.connect(os.path.join(sys.argv[1], n)).execute("SELECT max(timestamp) FROM eth").fetchone()[0]
print(t.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), sum(last(n) >= us for n in names))
EOF
)
check "netsift sql --from: the files reaching past it, and headers.sqlite" "$((want + 1))" \
  "$("$NETSIFT" sql -d "$db" --from "$last" --list | wc -l)"
"$NETSIFT" sql -d "$db" --from 2030-01-01 --to 2020-01-01 "SELECT 1" > /dev/null 2>&1
check "netsift sql: --from after --to: exit 2" 2 $?
"$NETSIFT" sql -d "$db" --from yesterday "SELECT 1" > /dev/null 2> "$WORK/badtime.err"
check "netsift sql: --from not a time: exit 2" 2 $?
check "netsift sql: --from not a time: one line" 1 "$(wc -l < "$WORK/badtime.err")"
# extract --sql reads every file: the same packets as from one file, by
# a table and by a join
for q in "SELECT * FROM tcp WHERE rst = 1 OR dest = 443" \
         "SELECT tcp.* FROM tcp JOIN ip4 ON ip4.timestamp = tcp.timestamp AND ip4.ethh_hash = tcp.ethh_hash WHERE ip4.ip_ttl < 128"; do
  "$NETSIFT" extract -d "$WORK/one-long.pcap" -w "$WORK/x-one.pcap" --sql "$q" 2> /dev/null
  "$NETSIFT" extract -d "$db" -w "$WORK/x-rot.pcap" --sql "$q" 2> /dev/null
  n=$(tcpdump -r "$WORK/x-one.pcap" 2> /dev/null | wc -l)
  [ "$n" -gt 0 ] && pass || fail "extract --sql: no packet from one file for $q"
  check "extract --sql over the rotated files: $q" "$(md5sum < "$WORK/x-one.pcap")" "$(md5sum < "$WORK/x-rot.pcap")"
done
"$NETSIFT" extract -d "$db" -w "$WORK/x.pcap" --sql "DELETE FROM tcp" > /dev/null 2>&1
check "extract --sql: a write is refused (exit 2)" 2 $?
"$NETSIFT" sql -d "$db" "DELETE FROM eth" > /dev/null 2>&1
check "netsift sql: read-only (exit 1)" 1 $?
"$NETSIFT" sql -d "$WORK/none" "SELECT 1" > /dev/null 2> "$WORK/none.err"
check "netsift sql: no database: exit 1" 1 $?
check "netsift sql: one line" 1 "$(wc -l < "$WORK/none.err")"
"$NETSIFT" sql -d "$db" "SELEC 1" > /dev/null 2> "$WORK/badsql.err"
check "netsift sql: bad SQL: exit 1" 1 $?
check "netsift sql: bad SQL: one line" 1 "$(wc -l < "$WORK/badsql.err")"
"$NETSIFT" sql --bogus > /dev/null 2>&1
check "netsift sql: bad option: exit 2" 2 $?
check "netsift sql --csv --header" "frames_read,x" \
  "$("$NETSIFT" sql -d "$db" --csv --header "SELECT sum(frames) AS frames_read, 'x' AS x FROM eth" | head -1)"

# retention by size: the newest files are kept, the oldest removed
db=$WORK/retain
"$NETSIFT" capture -q -r "$WORK/long.pcap" -d "$db" --no-monitor --batch-rows 4000 \
  --db-rotate-size 1M --db-max-size 6M --json > "$WORK/retain.json" 2>&1
check "retention: exit" 0 $?
kept=$(ls "$db/headers/" | grep '^headers-' | sort)
removed=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['headers']['rotation']['files_removed'])" "$WORK/retain.json")
[ "$removed" -gt 0 ] && pass || fail "retention by size: nothing removed"
total=$(( $(cat "$db"/headers/headers-*.sqlite | wc -c) + $(stat -c %s "$db/headers.sqlite") ))
[ "$total" -le $((6 << 20)) ] && pass || fail "retention by size: $total bytes left, limit 6M"
check "retention by size: files removed + kept = files closed" \
  "$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['headers']['rotation']['files_closed'])" "$WORK/retain.json")" \
  "$((removed + $(grep -c . <<< "$kept")))"
# rotation by packet time: 400 s of packets, a file per 30 s
db=$WORK/time
"$NETSIFT" capture -q -r "$WORK/long.pcap" -d "$db" --no-monitor --batch-rows 4000 \
  --db-rotate-time 30 > /dev/null 2>&1
check "--db-rotate-time: exit" 0 $?
n=$(ls "$db/headers/" | grep -c '^headers-')
[ "$n" -ge 11 ] && [ "$n" -le 14 ] && pass || fail "--db-rotate-time 30 over 400 s of packets: $n closed files"
# the newest packet of each file: 30 to 40 s after the one before
steps=$(for f in "$db"/headers/headers-*.sqlite; do sql "$f" 'SELECT max(timestamp) FROM eth'; done | sort -n |
  awk 'NR > 1 && ($1 - prev < 30000000 || $1 - prev > 40000000) {bad++} {prev = $1} END {print bad + 0}')
check "--db-rotate-time 30: files 30 s of packets apart" 0 "$steps"
# retention by age: keep what ends within 100 s of the newest packet
db=$WORK/age
"$NETSIFT" capture -q -r "$WORK/long.pcap" -d "$db" --no-monitor --batch-rows 4000 \
  --db-rotate-time 30 --db-max-age 100 > /dev/null 2>&1
check "retention by age: exit" 0 $?
newest=$(sql "$db/headers.sqlite" 'SELECT max(timestamp) FROM eth')
old=0
for f in "$db"/headers/headers-*.sqlite; do
  last=$(sql "$f" 'SELECT max(timestamp) FROM eth')
  [ "$last" -lt $((newest - 100000000)) ] && old=$((old + 1))
done
check "retention by age: no closed file ends more than 100 s before the newest packet" 0 "$old"
n=$(ls "$db/headers/" | grep -c '^headers-')
[ "$n" -ge 2 ] && [ "$n" -le 5 ] && pass || fail "retention by age: $n files kept (want the last 100 s: 2 to 5)"

# --db-max-age in fingerprint.sqlite: fingerprint and flow rows older than
# 100 s before the newest packet go, the others and every device stay
"$NETSIFT" capture -q -r "$WORK/long.pcap" -d "$WORK/fp-all" --flow-log > /dev/null 2>&1
"$NETSIFT" capture -q -r "$WORK/long.pcap" -d "$WORK/fp-aged" --flow-log --db-max-age 100 --json > "$WORK/fp-aged.json" 2>&1
check "fingerprint age limit: exit" 0 $?
cutoff=$(( $(sql "$WORK/fp-all/fingerprint.sqlite" 'SELECT max(last_seen) FROM flows') - 100000000 ))
for q in "SELECT count(*) FROM fingerprint WHERE timestamp >= $cutoff" "SELECT count(*) FROM flows WHERE last_seen >= $cutoff" \
         "SELECT count(*) FROM devices"; do
  check "fingerprint age limit: $q" "$(sql "$WORK/fp-all/fingerprint.sqlite" "$q")" "$(sql "$WORK/fp-aged/fingerprint.sqlite" "$q")"
done
check "fingerprint age limit: nothing older" "0|0" \
  "$(sql "$WORK/fp-aged/fingerprint.sqlite" "SELECT (SELECT count(*) FROM fingerprint WHERE timestamp < $cutoff), (SELECT count(*) FROM flows WHERE last_seen < $cutoff)")"
check "fingerprint age limit: the summary counts what went" \
  "$(sql "$WORK/fp-all/fingerprint.sqlite" "SELECT (SELECT count(*) FROM fingerprint WHERE timestamp < $cutoff) || ' ' || (SELECT count(*) FROM flows WHERE last_seen < $cutoff)")" \
  "$(python3 -c "import json,sys; a=json.load(open(sys.argv[1]))['monitor']['rows_aged_out']; print(a['fingerprint'], a['flows'])" "$WORK/fp-aged.json")"

# kill -9 during rotating captures, into the same directory
db=$WORK/killed
for round in 1 2 3 4 5 6; do
  "$NETSIFT" capture -q -r "$WORK/long.pcap" -d "$db" --no-monitor --batch-rows 2000 \
    --db-rotate-size 1M > /dev/null 2>&1 &
  # at a random moment after the first rotation (or the end)
  kill9_when $! eval 'ls "$db/headers/" | grep -q .'
done
"$NETSIFT" capture -q -r "$SRC_DIR/sample/sample.pcap" -d "$db" --no-monitor --db-rotate-size 1M > /dev/null 2>&1
check "after kill -9: the next capture works" 0 $?
check "after kill -9: nothing pending" "" "$(ls -A "$db/headers/" | grep -v '^headers-\|^bad-')"
bad=0
for f in "$db"/headers/*.sqlite "$db/headers.sqlite"; do
  [ "$(sql "$f" 'PRAGMA integrity_check')" = ok ] || bad=$((bad + 1))
done
check "after kill -9: every file passes integrity_check" 0 "$bad"
check "after kill -9: no file set aside as bad" "" "$(ls "$db/headers/" | grep '^bad-')"

# a hostile DB_PATH/headers: a link to elsewhere is refused, nothing written there
mkdir -p "$WORK/hostile/db" "$WORK/elsewhere"
ln -s "$WORK/elsewhere" "$WORK/hostile/db/headers"
"$NETSIFT" capture -q -r "$SRC_DIR/sample/sample.pcap" -d "$WORK/hostile/db" --db-rotate-size 64K \
  > /dev/null 2> "$WORK/hostile.err"
check "DB_PATH/headers a link: exit 1" 1 $?
check "DB_PATH/headers a link: one line" 1 "$(wc -l < "$WORK/hostile.err")"
check "DB_PATH/headers a link: nothing written through it" "" "$(ls -A "$WORK/elsewhere")"

"$NETSIFT" capture -r x -d "$WORK/x" --db-rotate-size 10 > /dev/null 2> "$WORK/small.err"
check "--db-rotate-size below 64K: exit 2" 2 $?
finish
