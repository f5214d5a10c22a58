#!/usr/bin/env bash
# test_live_veth.sh - live capture on a veth pair: a network namespace
# replays a capture (tcpreplay) onto one end, netsift captures on the other
# with -i.  The rows stored per table equal those of reading the same file
# offline; a BPF filter applies to live capture; SIGTERM under load commits
# everything: rows stored = packets read.
source "$(dirname "$0")/lib.sh"

veth_pair

S="$SRC_DIR/sample/sample.pcap"

# start netsift on VB; wait for it to say it is listening
start_capture() { # DB [extra args...]
  local db=$1; shift
  CAP_DB=$db
  "$NETSIFT" capture -i "$VB" --immediate -d "$db" --json --process-interval 200 "$@" > "$db.json" 2> "$db.err" &
  CAP_PID=$!
  for _ in $(seq 1 100); do grep -q listening "$db.err" 2>/dev/null && return 0; sleep 0.05; done
  fail "netsift did not start listening: $(cat "$db.err")"
}
stop_capture() { stop "$CAP_PID" INT; CAP_RC=$STOPPED_RC; }
# wait until the running capture has read N packets (STATS over its control
# socket, published about every second): a condition, not a number of seconds
wait_read() { # N
  local n=0
  for _ in $(seq 1 600); do
    n=$("$NETSIFT" query --control "$CAP_DB/control.sock" STATS 2> /dev/null | awk '$1 == "packets_read" {print $2}')
    [ "${n:-0}" -ge "$1" ] && return 0
    sleep 0.1
  done
  fail "the capture read ${n:-0} of $1 packets in 60 s"
}
field() { python3 -c "import json,sys; d=json.load(open('$1')); print(eval('d' + sys.argv[1]))" "$2"; }

# 1. the sample, replayed, equals the sample read from the file
"$NETSIFT" capture -q -r "$S" -d "$WORK/offline" > /dev/null
start_capture "$WORK/live"
ip netns exec "$NS" tcpreplay -q -i "$VA" "$S" > /dev/null 2>&1
wait_read 82
kill -USR1 "$CAP_PID"   # kernel counters on demand, capture goes on
for _ in $(seq 1 300); do grep -q "dropped by kernel" "$WORK/live.err" && break; sleep 0.1; done
stop_capture
check "live capture exit status" 0 "$CAP_RC"
if grep -q "dropped by kernel" "$WORK/live.err"; then pass; else fail "SIGUSR1 printed no kernel counters: $(cat "$WORK/live.err")"; fi
check "live packets = replayed packets" 82 "$(field "$WORK/live.json" "['packets']")"
check "kernel drops" 0 "$(field "$WORK/live.json" "['kernel']['dropped']")"
for t in eth arp ip4 ip6 tcp udp icmp4 icmp6 dns mdns dhcp; do
  check "live rows in $t = offline rows" "$(sql "$WORK/offline/headers.sqlite" "SELECT count(*) FROM $t")" \
    "$(sql "$WORK/live/headers.sqlite" "SELECT count(*) FROM $t")"
done

# 2. a BPF filter on a live interface
start_capture "$WORK/filtered" 'udp port 53'
ip netns exec "$NS" tcpreplay -q -i "$VA" "$S" > /dev/null 2>&1
wait_read "$(tcpdump -nn -r "$S" 'udp port 53' 2> /dev/null | wc -l)"
stop_capture
check "filtered live capture stores only port 53 over udp" \
  "$(sql "$WORK/offline/headers.sqlite" "SELECT count(*) FROM udp WHERE source = 53 OR dest = 53")" \
  "$(sql "$WORK/filtered/headers.sqlite" "SELECT count(*) FROM udp")"

# 3. privileges: --user drops root after opening the interface; files belong to that user
mkdir -p "$WORK/priv" && chown nobody "$WORK/priv" && chmod 755 "$WORK"
start_capture "$WORK/priv/db" --user nobody
check "--user nobody: runs as nobody, cannot gain privileges again (no_new_privs)" "$(id -u nobody) 1" \
  "$(awk '/^Uid:/ {u = $2} /^NoNewPrivs:/ {n = $2} END {print u, n}' "/proc/$CAP_PID/status")"
ip netns exec "$NS" tcpreplay -q -i "$VA" "$S" > /dev/null 2>&1
wait_read 82
stop_capture
check "--user nobody: exit status" 0 "$CAP_RC"
check "--user nobody: database owned by nobody" nobody "$(stat -c %U "$WORK/priv/db/headers.sqlite" 2>/dev/null)"
check "--user nobody: all packets stored" 82 "$(sql "$WORK/priv/db/headers.sqlite" 'SELECT sum(frames) FROM eth')"

# an unprivileged user with CAP_NET_RAW and CAP_NET_ADMIN (setcap) captures live
if command -v setcap >/dev/null && cp "$NETSIFT" "$WORK/priv/netsift" && chmod 755 "$WORK/priv/netsift" &&
   setcap cap_net_raw,cap_net_admin+eip "$WORK/priv/netsift" 2>/dev/null; then
  runuser -u nobody -- "$WORK/priv/netsift" capture -i "$VB" -d "$WORK/priv/capdb" --count 82 --json \
    > "$WORK/priv/cap.json" 2> "$WORK/priv/cap.err" &
  CAP_PID=$!
  for _ in $(seq 1 100); do grep -q listening "$WORK/priv/cap.err" 2>/dev/null && break; sleep 0.05; done
  ip netns exec "$NS" tcpreplay -q -i "$VA" "$S" > /dev/null 2>&1
  for _ in $(seq 1 100); do kill -0 "$CAP_PID" 2>/dev/null || break; sleep 0.05; done
  stop "$CAP_PID" INT
  check "setcap, unprivileged user: exit status" 0 $STOPPED_RC
  check "setcap, unprivileged user: packets" 82 "$(field "$WORK/priv/cap.json" "['packets']")"
  # without the capabilities, the same user is refused with a clear line
  cp "$NETSIFT" "$WORK/priv/plain" && chmod 755 "$WORK/priv/plain"
  runuser -u nobody -- "$WORK/priv/plain" capture -i "$VB" -d "$WORK/priv/plaindb" > /dev/null 2> "$WORK/priv/plain.err"
  check "no capabilities: exit status" 1 $?
  if grep -q "permission denied" "$WORK/priv/plain.err"; then pass; else fail "no capabilities: $(cat "$WORK/priv/plain.err")"; fi
else
  echo "skip: setcap not available (Debian package libcap2-bin)"
fi

# 4. SIGTERM while packets pour in: everything read is committed
shifted_copies 40 "$WORK/load.pcap"
start_capture "$WORK/load" --batch-rows 100000
ip netns exec "$NS" tcpreplay -q --topspeed -i "$VA" "$WORK/load.pcap" > /dev/null 2>&1 &
REPLAY=$!
wait_read 1000 # well into the replay: any moment will do, as long as packets pour in
stop "$CAP_PID" TERM
check "SIGTERM under load: exit status" 0 $STOPPED_RC
wait "$REPLAY"
read_pkts=$(field "$WORK/load.json" "['packets']")
[ "$read_pkts" -gt 0 ] && pass || fail "SIGTERM under load: no packets read"
check "SIGTERM under load: frames stored = packets read" "$read_pkts" "$(sql "$WORK/load/headers.sqlite" 'SELECT sum(frames) FROM eth')"
finish
