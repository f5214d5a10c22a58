#!/usr/bin/env bash
# test_live_overload.sh - loss accounting at every stage, under overload on
# purpose: tcpreplay --topspeed onto a veth pair while netsift captures
# with a tiny kernel ring (-B 1) and two workers, headers, raw store and
# monitor on.  The counters must add up:
#   sent (tcpreplay)         = kernel received (pcap_stats ps_recv)
#   kernel received          = packets read + kernel dropped
#   packets read             = eth rows stored + duplicates + rows lost
#   packets read             = raw packets written + not written = meta rows
# and the kernel must have dropped some (else the test proved nothing).
# While it runs, STATS on the control socket names every loss counter.
source "$(dirname "$0")/lib.sh"
veth_pair

shifted_copies 300 "$WORK/load.pcap"
sent=$(capinfos -c -M "$WORK/load.pcap" | awk '/Number of packets/ {print $NF}')
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

db="$WORK/db"
"$NETSIFT" capture -i "$VB" -d "$db" -B 1 -w 2 --file-write --json > "$db.json" 2> "$db.err" &
pid=$!
for _ in $(seq 1 200); do grep -q listening "$db.err" 2>/dev/null && [ -S "$db/control.sock" ] && break; sleep 0.05; done
ip netns exec "$NS" tcpreplay -q --topspeed -i "$VA" "$WORK/load.pcap" > "$db.replay" 2>&1
"$NETSIFT" query --control "$db/control.sock" STATS > "$WORK/stats.txt" 2>&1
check "STATS answered" 0 $?
for key in packets_read drops_kernel drops_interface queue_full_waits decode_truncated decode_malformed \
           db_batches_failed db_rows_lost flows_evicted tcp_gaps tcp_gap_bytes; do
  grep -qE "^$key [0-9]+$" "$WORK/stats.txt" && pass || fail "STATS lacks '$key': $(tr '\n' ' ' < "$WORK/stats.txt")"
done
sleep 1
kill -INT "$pid"; wait "$pid"
check "capture exit status" 0 $?

read -r received dropped ifdropped packets <<< "$(json "$db.json" "d['kernel']['received'], d['kernel']['dropped'], d['kernel']['interface_dropped'], d['packets']" | tr -d '(),')"
read -r eth dups lost <<< "$(json "$db.json" "d['headers']['rows_stored']['eth'], d['headers']['duplicates'].get('eth', 0), d['headers']['db_rows_lost']" | tr -d '(),')"
read -r written notwritten metarows <<< "$(json "$db.json" "d['raw']['packets_written'], d['raw']['packets_not_written'], d['raw']['rows_stored']" | tr -d '(),')"
echo "sent $sent, kernel received $received, dropped $dropped (interface $ifdropped), read $packets, eth rows $eth (+$dups duplicates, $lost rows lost), raw written $written (+$notwritten not), meta rows $metarows"
[ "${dropped:-0}" -gt 0 ] && pass || fail "no kernel drops: the pipeline was not overloaded"
check "sent = kernel received" "$sent" "$received"
check "kernel received = read + kernel dropped" "$received" "$((packets + dropped))"
check "no database rows lost" 0 "$lost"
check "read = eth rows + duplicates" "$packets" "$((eth + dups))"
check "eth rows in the database" "$eth" "$(sql "$db/headers.sqlite" 'SELECT count(*) FROM eth')"
check "read = raw written + not written" "$packets" "$((written + notwritten))"
check "meta rows = raw written" "$written" "$(sql "$db/pcap-meta.sqlite" 'SELECT count(*) FROM meta')"
check "summary meta rows" "$written" "$metarows"
check "monitor saw every packet read" "$packets" "$(json "$db.json" "d['monitor']['packets']")"
if [ -n "${FIGURES_DIR:-}" ]; then
  echo "overload (topspeed, -B 1, 2 workers, $(nproc) cores): sent $sent = kernel received $received = read $packets + kernel dropped $dropped; read = $eth eth rows + $dups duplicates + $lost rows lost = $written raw packets + $notwritten not written" > "$FIGURES_DIR/live_overload.txt"
fi
finish
