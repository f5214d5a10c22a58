#!/usr/bin/env bash
# test_live_overload.sh - loss accounting at every stage, under overload on
# purpose: tcpreplay --topspeed onto a veth pair while netsift captures
# with two workers, headers, raw store and monitor on, twice:
#   1. back-pressure (the default): a tiny kernel ring (-B 1), so the
#      kernel drops;
#   2. lossy mode (--queue-drop): a large kernel ring and tiny worker
#      queues (--queue-size 256K), so the queues drop.
# Each time the counters must add up:
#   sent (tcpreplay)  = kernel received (pcap_stats ps_recv)
#   kernel received   = packets decoded + kernel dropped + queue dropped
#   packets decoded   = eth rows stored + frames merged = sum(frames) (+ rows lost: none here)
#                     = raw packets written + not written = meta rows
#                     = packets the monitor saw
# and the stage under pressure must have dropped some (else the test
# proved nothing).  While it runs, STATS names every loss counter, and
# `netsift query --prometheus STATS` gives them in Prometheus text format.
source "$(dirname "$0")/lib.sh"
veth_pair

shifted_copies 300 "$WORK/load.pcap"
sent=$(capinfos -c -M "$WORK/load.pcap" | awk '/Number of packets/ {print $NF}')
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
figures=""

# overload NAME STAGE_THAT_MUST_DROP CAPTURE_ARGS...
overload() {
  local name=$1 stage=$2; shift 2
  local db="$WORK/db-$name"
  "$NETSIFT" capture -i "$VB" -d "$db" -w 2 --file-write --json "$@" > "$db.json" 2> "$db.err" &
  local pid=$!
  for _ in $(seq 1 200); do grep -q listening "$db.err" 2>/dev/null && [ -S "$db/control.sock" ] && break; sleep 0.05; done
  ip netns exec "$NS" tcpreplay -q --topspeed -i "$VA" "$WORK/load.pcap" > "$db.replay" 2>&1
  "$NETSIFT" query --control "$db/control.sock" STATS > "$db.stats" 2>&1
  check "$name: STATS answered" 0 $?
  for key in packets_read drops_kernel drops_interface queue_full_waits queue_dropped decode_truncated \
             decode_malformed db_batches_failed db_rows_lost flows_evicted tcp_gaps tcp_gap_bytes; do
    grep -qE "^$key [0-9]+$" "$db.stats" && pass || fail "$name: STATS lacks '$key': $(tr '\n' ' ' < "$db.stats")"
  done
  # the same figures for Prometheus (node_exporter textfile collector format)
  "$NETSIFT" query --control "$db/control.sock" --prometheus STATS > "$db.prom" 2>&1
  check "$name: --prometheus exit status" 0 $?
  check "$name: every line is a TYPE line or a sample" 0 \
    "$(grep -cvE '^(# TYPE netsift_[a-z0-9_]+ (counter|gauge)|netsift_[a-z0-9_]+(\{database="[a-z_-]+",table="[a-z0-9_]+"\})? [0-9]+)$' "$db.prom")"
  for metric in netsift_drops_kernel_total netsift_queue_dropped_total netsift_decode_malformed_total \
                netsift_db_rows_lost_total netsift_tcp_gaps_total netsift_flows_active; do
    grep -qE "^$metric [0-9]+$" "$db.prom" && pass || fail "$name: no $metric in --prometheus output"
  done
  grep -qE '^netsift_rows_total\{database="headers",table="eth"\} [0-9]+$' "$db.prom" && pass || fail "$name: no eth row counter"
  sleep 1
  stop "$pid" INT
  check "$name: capture exit status" 0 $STOPPED_RC
  local received kdropped qdropped packets eth dups lost written notwritten metarows
  read -r received kdropped qdropped packets <<< "$(json "$db.json" "d['kernel']['received'], d['kernel']['dropped'], d['queue_dropped'], d['packets']" | tr -d '(),')"
  read -r eth dups lost <<< "$(json "$db.json" "d['headers']['rows_stored']['eth'], d['headers']['frames_merged'].get('eth', 0), d['headers']['db_rows_lost']" | tr -d '(),')"
  read -r written notwritten metarows <<< "$(json "$db.json" "d['raw']['packets_written'], d['raw']['packets_not_written'], d['raw']['rows_stored']" | tr -d '(),')"
  local line="$name: sent $sent = kernel received $received = decoded $packets + kernel dropped $kdropped + queue dropped $qdropped; decoded = $eth eth rows + $dups frames merged into a row + $lost rows lost = $written raw packets + $notwritten not written"
  echo "$line"
  figures="$figures$line"$'\n'
  if [ "$stage" = kernel ]; then local must=$kdropped; else local must=$qdropped; fi
  [ "${must:-0}" -gt 0 ] && pass || fail "$name: no $stage drops: nothing was overloaded"
  check "$name: sent = kernel received" "$sent" "$received"
  check "$name: received = decoded + kernel dropped + queue dropped" "$received" "$((packets + kdropped + qdropped))"
  check "$name: no database rows lost" 0 "$lost"
  check "$name: decoded = eth rows + frames merged" "$packets" "$((eth + dups))"
  check "$name: decoded = sum(frames) over eth" "$packets" "$(sql "$db/headers.sqlite" 'SELECT sum(frames) FROM eth')"
  check "$name: eth rows in the database" "$eth" "$(sql "$db/headers.sqlite" 'SELECT count(*) FROM eth')"
  check "$name: decoded = raw written + not written" "$packets" "$((written + notwritten))"
  check "$name: meta rows = raw written" "$written" "$(sql "$db/pcap-meta.sqlite" 'SELECT count(*) FROM meta')"
  check "$name: summary meta rows" "$written" "$metarows"
  check "$name: monitor saw every packet decoded" "$packets" "$(json "$db.json" "d['monitor']['packets']")"
}

overload back-pressure kernel -B 1
overload queue-drop queue -B 131072 --queue-size 256K --queue-drop
if [ -n "${FIGURES_DIR:-}" ]; then
  printf 'overload on a veth pair (tcpreplay --topspeed, 2 workers, %s cores):\n%s' "$(nproc)" "$figures" > "$FIGURES_DIR/live_overload.txt"
fi
finish
