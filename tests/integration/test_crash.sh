#!/usr/bin/env bash
# test_crash.sh - kill -9 at random moments during a capture, 20 rounds,
# all into the same database directory: afterwards the database passes
# PRAGMA integrity_check, every row of every table joins to an eth row,
# and the next capture into the same path works.
source "$(dirname "$0")/lib.sh"
ROUNDS=${CRASH_ROUNDS:-20}
S="$SRC_DIR/sample/sample.pcap"
# a file long enough to be killed mid-way: shifted copies of the sample
shifted_copies 60 "$WORK/long.pcap"
for i in 1 2 3 4 5 6; do   # double it six times: 315k packets
  editcap -t $((60 * (1 << i))) "$WORK/long.pcap" "$WORK/shifted.pcap"
  mergecap -a -F pcap -w "$WORK/longer.pcap" "$WORK/long.pcap" "$WORK/shifted.pcap"
  mv "$WORK/longer.pcap" "$WORK/long.pcap"
done
total=$(capinfos -c -M "$WORK/long.pcap" | awk '/Number of packets/ {print $NF}')
db="$WORK/db"
H="$db/headers.sqlite"
tables="eth arp ip4 ip6 tcp udp icmp4 icmp6 dns mdns dhcp"

orphans() { # rows of any table without their eth row
  local q="0" t
  for t in $tables; do
    [ "$t" = eth ] && continue
    q="$q + (SELECT count(*) FROM $t x WHERE NOT EXISTS (SELECT 1 FROM eth e WHERE e.hash = x.ethh_hash AND e.timestamp = x.timestamp))"
  done
  sql "$H" "SELECT $q"
}

frames() { # frames stored so far, 0 before the database has any
  local n
  n=$(sql "$H" 'SELECT coalesce(sum(frames), 0) FROM eth' 2> /dev/null)
  echo "${n:-0}"
}

survived=0
midway=0
for round in $(seq 1 "$ROUNDS"); do
  before=$(frames)
  # small batches, so kills land between and inside commits
  "$NETSIFT" capture -q -r "$WORK/long.pcap" -d "$db" --batch-rows $((500 + RANDOM % 3000)) \
    --workers $((1 + round % 2)) > /dev/null 2>&1 &
  pid=$!
  # once this capture has committed (a kill before its first commit would
  # test nothing, and a loaded machine starts it late), at a random moment
  for _ in $(seq 1 1200); do [ "$(frames)" -gt "$before" ] && break; sleep 0.05; done
  sleep "0.$((RANDOM % 5))$((RANDOM % 10))"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  [ -f "$H" ] || continue   # killed before the database existed
  ic=$(sql "$H" 'PRAGMA integrity_check' 2>&1)
  if [ "$ic" != ok ]; then fail "round $round: integrity_check: $ic"; continue; fi
  o=$(orphans)
  if [ "$o" != 0 ]; then fail "round $round: $o rows without their eth row"; continue; fi
  survived=$((survived + 1))
  [ $(($(frames) - before)) -lt "$total" ] && midway=$((midway + 1)) # this round stored part of the file
done
echo "kills that landed before the capture had stored everything: $midway of $ROUNDS"
[ "$midway" -ge $((ROUNDS / 2)) ] && pass || fail "only $midway kills landed mid-capture: the test file is too short"
check "kill -9 rounds survived" "$ROUNDS" "$survived"

# the next capture into the same path works and completes the data
"$NETSIFT" capture -q -r "$WORK/long.pcap" -d "$db" --json > "$WORK/final.json" 2> "$WORK/final.err"
check "capture after the kills: exit status" 0 $?
# every frame has its row, and no row is there that a clean run lacks
# (the frames that the killed runs had stored are counted again in their
# rows' frames: the file was read into the database more than once)
"$NETSIFT" capture -q -r "$WORK/long.pcap" -d "$WORK/clean" > /dev/null 2>&1
check "after the kills: the rows of a clean run, no more, no fewer" 0 \
  "$(sql "$H" "ATTACH '$WORK/clean/headers.sqlite' AS c; SELECT (SELECT count(*) FROM (SELECT hash, timestamp, ethh_hash FROM main.eth EXCEPT SELECT hash, timestamp, ethh_hash FROM c.eth)) + (SELECT count(*) FROM (SELECT hash, timestamp, ethh_hash FROM c.eth EXCEPT SELECT hash, timestamp, ethh_hash FROM main.eth))")"
check "clean run: every frame counted once" \
  "$(python3 -c "import json; print(json.load(open('$WORK/final.json'))['packets'])")" "$(sql "$WORK/clean/headers.sqlite" 'SELECT sum(frames) FROM eth')"
check "after the kills: integrity" ok "$(sql "$H" 'PRAGMA integrity_check')"
check "after the kills: no orphan rows" 0 "$(orphans)"
[ -n "${FIGURES_DIR:-}" ] && echo "kill -9 during capture of $total packets ($midway kills mid-capture): $survived of $ROUNDS rounds left a consistent database (integrity_check ok, every row joins eth); the next capture completed it" > "$FIGURES_DIR/crash.txt"
finish
