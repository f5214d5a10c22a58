#!/usr/bin/env bash
# test_live_load.sh - live capture under load: tcpreplay pushes a capture
# onto a veth pair at increasing rates (bounded: one pass of the file per
# rate).  At every rate netsift must store every packet the kernel handed
# it (frames stored, sum(eth.frames), = packets read); the kernel's drop counter shows where the
# machine stops keeping up, and that rate is written down.
source "$(dirname "$0")/lib.sh"
veth_pair
BIN=${NETSIFT_PLAIN:-$NETSIFT}  # the optimised build when there is one: rates are measured

shifted_copies 600 "$WORK/load.pcap"
sent=$(capinfos -c -M "$WORK/load.pcap" | awk '/Number of packets/ {print $NF}')

first_drop=""
table=""
for rate in 20000 50000 100000 200000 400000 topspeed; do
  db="$WORK/db$rate"
  "$BIN" capture -i "$VB" -d "$db" --json > "$db.json" 2> "$db.err" &
  pid=$!
  for _ in $(seq 1 100); do grep -q listening "$db.err" 2>/dev/null && break; sleep 0.05; done
  if [ "$rate" = topspeed ]; then opt=--topspeed; else opt="--pps=$rate"; fi
  ip netns exec "$NS" tcpreplay -q $opt -i "$VA" "$WORK/load.pcap" > "$db.replay" 2>&1
  sleep 1
  stop "$pid" INT
  read -r got dropped <<< "$(python3 -c "import json; d=json.load(open('$db.json')); print(d['packets'], d['kernel']['dropped'])")"
  stored=$(sql "$db/headers.sqlite" 'SELECT sum(frames) FROM eth')
  check "rate $rate: frames stored (sum of eth.frames) = packets read" "$got" "$stored"
  actual=$(grep -oE '[0-9.]+ pps' "$db.replay" | head -1)
  table="$table| $rate | ${actual:-?} | $sent | $got | $dropped | $stored |"$'\n'
  if [ "$dropped" -gt 0 ] || [ "$got" -lt "$sent" ]; then [ -z "$first_drop" ] && first_drop=$rate; fi
done
# headers.sqlite rotated during the burst: small transactions, a new file
# after each; every frame read is in one of the files
db="$WORK/dbrot"
"$BIN" capture -i "$VB" -d "$db" --batch-rows 2000 --db-rotate-size 1M --json > "$db.json" 2> "$db.err" &
pid=$!
for _ in $(seq 1 100); do grep -q listening "$db.err" 2>/dev/null && break; sleep 0.05; done
ip netns exec "$NS" tcpreplay -q --pps=50000 -i "$VA" "$WORK/load.pcap" > "$db.replay" 2>&1
sleep 1   # as the rounds above: the table compares packets read with packets sent
stop "$pid" INT
read -r got dropped rotations pause <<< "$(python3 -c "import json; d=json.load(open('$db.json')); r=d['headers'].get('rotation', {}); print(d['packets'], d['kernel']['dropped'], r.get('files_closed', 0), r.get('pause_max_us', 0))")"
stored=$(for f in "$db"/headers/headers-*.sqlite "$db/headers.sqlite"; do sql "$f" 'SELECT sum(frames) FROM eth'; done | awk '{ n += $1 } END { print n + 0 }')
check "rotating live capture: frames stored in all files = packets read" "$got" "$stored"
# (at least 2 whatever the load: a busy writer joins queued batches into
# fewer transactions, so the count itself is not fixed)
[ "$rotations" -ge 2 ] && pass || fail "rotating live capture: $rotations files closed (want 2 or more)"
echo "rotating live capture at 50000 pps: $rotations files closed, longest writer pause ${pause} us, $got packets read, $dropped kernel drops"
table="$table| 50000, rotating every transaction | $(grep -oE '[0-9.]+ pps' "$db.replay" | head -1) | $sent | $got | $dropped | $stored |"$'\n'
echo "| requested rate (pps) | tcpreplay achieved | sent | read by netsift | kernel drops | frames stored |"
printf '%s' "$table"
summary="live capture on a veth pair, $sent packets per rate, $(nproc) cores: no packet lost after the kernel at any rate (frames stored = packets read); kernel drops first at: ${first_drop:-none up to topspeed}"
echo "$summary"
if [ -n "${FIGURES_DIR:-}" ]; then
  { echo "$summary"; echo; echo "| requested rate (pps) | tcpreplay achieved | sent | read by netsift | kernel drops | frames stored |";
    echo "| --- | --- | --- | --- | --- | --- |"; printf '%s' "$table"; } > "$FIGURES_DIR/live_load.txt"
fi
finish
