#!/usr/bin/env bash
# test_daemon_live.sh - netsift daemon on a veth pair (root, network
# namespaces, tcpreplay): a namespace replays known captures onto one end
# and the daemon's watchers listen on the other.  Each watcher's counters
# equal tshark's on the same capture; the regex watcher matches the same
# packets as ngrep; a reader hammering shared memory never sees a torn
# value; SIGHUP adds, removes and changes watchers keeping counters, and a
# bad new file keeps the old configuration; a watcher whose interface
# disappears waits and comes back while the others go on; SIGTERM under
# load stops cleanly with the last counters in the stats table.
source "$(dirname "$0")/lib.sh"

veth_pair
command -v ngrep > /dev/null || { skip "ngrep (Debian package ngrep) is missing"; }
P=$SHARED/pcaps/dev/ndpi
[ -d "$P" ] || { skip "the corpus is absent"; }
CAP="$WORK/replay.pcap"
mergecap -a -F pcap -w "$CAP" $P/tests_cfgs_default_pcap_http_auth.pcap \
  $P/tests_cfgs_default_pcap_windowsupdate_over_http.pcap $P/tests_cfgs_default_pcap_http.pcapng \
  $P/tests_cfgs_default_pcap_dns-google-nsid.pcapng $P/tests_cfgs_default_pcap_lru_ipv6_caches.pcapng \
  $P/tests_cfgs_default_pcap_dns_ambiguous_names.pcap
FRAMES=$(capinfos -Mc "$CAP" | awk '/Number of packets/ {print $NF}')
PREFIX="nslive$$"
XA="nsxa$$" XB="nsxb$$" # a second veth pair that comes and goes
trap 'ip netns del "$NS" 2>/dev/null; ip link del "$VB" 2>/dev/null; ip link del "$XA" 2>/dev/null; rm -rf "$WORK"' EXIT
ip link add "$XA" type veth peer name "$XB" && ip link set "$XA" up && ip link set "$XB" up
REGEX='HTTP/1\.[01] [0-9]{3}|Host: |google'

conf() { # the configuration, with extra sections from stdin
  cat > "$WORK/d.conf" <<CONF
[daemon]
db_path = $WORK/db
shm_prefix = $PREFIX
publish_interval = 20
persist_interval = 1h

[watcher all]
interface = $VB
CONF
  cat >> "$WORK/d.conf"
}
conf <<CONF
[watcher http]
interface = $VB
protocol = tcp
port = 80

[watcher re]
interface = $VB
regex = $REGEX
bpf = tcp or udp

[watcher gone]
interface = $XA
CONF
stats_json() { "$NETSIFT" stats --shm-prefix "$PREFIX" --json "$@"; }
field() { # WATCHER KEY
  stats_json "$1" 2> /dev/null | python3 -c "import json,sys; print(json.load(sys.stdin)['watchers'][0]['$2'])" 2> /dev/null
}
wait_seen() { # WATCHER COUNT: until the watcher has seen COUNT packets (10 s at most)
  for _ in $(seq 1 100); do [ "$(field "$1" packets_seen)" = "$2" ] && return 0; sleep 0.1; done
  fail "$1 saw $(field "$1" packets_seen) packets, expected $2"
}
replay() { ip netns exec "$NS" tcpreplay -q -t -i "$VA" "$@" > /dev/null 2>&1; }

"$NETSIFT" daemon -c "$WORK/d.conf" 2> "$WORK/d.err" &
DPID=$!
for _ in $(seq 1 100); do [ "$(grep -c 'listening on' "$WORK/d.err")" -ge 4 ] && break; sleep 0.1; done

# 1. replay once: counters equal tshark's on the file; regex = ngrep
replay "$CAP"
wait_seen all "$FRAMES"
sleep 0.2
stats_json > "$WORK/s1.json"
D=$SRC_DIR/tests/integration/statsdiff.py
python3 "$D" "$CAP" "$WORK/s1.json" all --iface "$VB" && pass || fail "live all: counters differ from tshark"
python3 "$D" "$CAP" "$WORK/s1.json" http --filter 'tcp.port == 80' && pass || fail "live http: counters differ"
ngrep -q -I "$CAP" "$REGEX" 'tcp or udp' 2> /dev/null | grep -E '^[TU] ' > "$WORK/ngrep.txt"
python3 - "$WORK/ngrep.txt" "$WORK/s1.json" <<'PY' && pass || fail "regex watcher and ngrep match different packets"
import collections, ipaddress, json, re, sys
conv = collections.Counter()
for line in open(sys.argv[1]):
    m = re.match(r"^[TU] (\S+):\d+ -> (\S+):\d+", line)
    a, b = ipaddress.ip_address(m.group(1)), ipaddress.ip_address(m.group(2))
    lo, hi = sorted((a, b), key=lambda x: x.packed)
    conv[(f"{lo},{hi}", "tx_packets" if a.packed <= b.packed else "rx_packets")] += 1
w = [w for w in json.load(open(sys.argv[2]))["watchers"] if w["name"] == "re"][0]
ours = collections.Counter()
for e in w["entries"]:
    if e["handler"] == "conversation":
        for d in ("tx_packets", "rx_packets"):
            if e[d]:
                ours[(e["key"], d)] = e[d]
print(f"ngrep: {sum(conv.values())} packets match, netsift re: {w['packets_matched']}; "
      f"per conversation and direction equal: {conv == ours}")
sys.exit(0 if conv == ours and sum(conv.values()) == w["packets_matched"] > 0 else 1)
PY

# 2. the interface of 'gone' disappears: reported, retried; the others go on
check "gone: running" running "$(field gone state)"
ip link del "$XA"
for _ in $(seq 1 50); do [ "$(field gone state)" = waiting ] && break; sleep 0.1; done
check "gone: waiting after its interface disappeared" waiting "$(field gone state)"
grep -q "watcher gone: .*retrying" "$WORK/d.err" && pass || fail "no report of the lost interface: $(cat "$WORK/d.err")"
replay "$CAP"
wait_seen all $((2 * FRAMES))
ip link add "$XA" type veth peer name "$XB" && ip link set "$XA" up && ip link set "$XB" up
for _ in $(seq 1 50); do [ "$(field gone state)" = running ] && break; sleep 0.1; done
check "gone: running again once the interface is back" running "$(field gone state)"
check "gone: reopened once" 1 "$(field gone reopens)"

# 3. a reader hammering shared memory while packets pour in (published every 20 ms)
shifted_copies 20 "$WORK/load.pcap"
"$NETSIFT" stats --shm-prefix "$PREFIX" --verify 20000 all > "$WORK/verify.txt" 2>&1 &
VPID=$!
replay --loop 5 "$WORK/load.pcap"
wait $VPID
check "hammering reader: exit status" 0 $?
grep -q "no torn read" "$WORK/verify.txt" && pass || fail "hammer: $(cat "$WORK/verify.txt")"
echo "hammer: $(cat "$WORK/verify.txt")"
pubs=$(awk '{print $3}' "$WORK/verify.txt")
[ "${pubs:-0}" -gt 2 ] && pass || fail "hammer saw only ${pubs:-0} publications"

# 4. SIGHUP: 'http' changes, 're' goes, 'dns' comes; 'all' is untouched
before_all=$(field all packets_matched)
before_http=$(field http packets_matched)
conf <<CONF
[watcher http]
interface = $VB
protocol = tcp
port = 80-81

[watcher dns]
interface = $VB
port = 53

[watcher gone]
interface = $XA
CONF
kill -HUP $DPID
for _ in $(seq 1 50); do grep -q "configuration reloaded" "$WORK/d.err" && break; sleep 0.1; done
grep -q "1 added, 1 removed, 1 changed, 2 unchanged" "$WORK/d.err" && pass || fail "SIGHUP: $(grep SIGHUP "$WORK/d.err")"
check "SIGHUP: 'all' keeps its counters" "$before_all" "$(field all packets_matched)"
check "SIGHUP: changed 'http' keeps its counters" "$before_http" "$(field http packets_matched)"
[ -e "/dev/shm/$PREFIX.re" ] && fail "removed watcher's segment still there" || pass
check "SIGHUP: removed watcher's last counters in the stats table" "$(python3 -c "import json; print([w for w in json.load(open('$WORK/s1.json'))['watchers'] if w['name']=='re'][0]['packets_matched'] > 0)")" \
  "$(sql "$WORK/db/stats.sqlite" "SELECT count(*) > 0 FROM stats WHERE watcher='re'" | sed 's/1/True/;s/0/False/')"
replay "$CAP"
wait_seen dns "$FRAMES"
sleep 0.2
stats_json dns > "$WORK/s2.json"
python3 "$D" "$CAP" "$WORK/s2.json" dns --filter 'tcp.port == 53 || udp.port == 53' && pass || fail "new watcher 'dns': counters differ"
check "SIGHUP: 'all' counted on" $((before_all + FRAMES)) "$(field all packets_matched)"

# a bad new file: reported with FILE:LINE, the running configuration stays
printf '[watcher all]\ninterface = %s\nsrc_ip = 10.0.0.0/40\n' "$VB" > "$WORK/d.conf"
kill -HUP $DPID
for _ in $(seq 1 50); do grep -q "keeping the running configuration" "$WORK/d.err" && break; sleep 0.1; done
grep -q "SIGHUP: $WORK/d.conf:3: bad IP address or CIDR '10.0.0.0/40'; keeping the running configuration" "$WORK/d.err" \
  && pass || fail "bad file on SIGHUP: $(tail -3 "$WORK/d.err")"
check "bad file: 'dns' still runs" running "$(field dns state)"

# 5. SIGTERM under load: clean exit, last counters in the stats table
replay --loop 20 "$WORK/load.pcap" &
RPID=$!
sleep 0.5
stop $DPID TERM
check "SIGTERM under load: exit status" 0 $STOPPED_RC
wait $RPID
last=$(grep -o "watcher all: stopped, [0-9]* packets seen, [0-9]* matched" "$WORK/d.err" | tail -1 | awk '{print $7}')
[ "${last:-0}" -gt 0 ] && pass || fail "SIGTERM: no final summary: $(tail -3 "$WORK/d.err")"
check "SIGTERM: the stats table holds the last counters" "$last" \
  "$(sql "$WORK/db/stats.sqlite" "SELECT sum(tx_packets + rx_packets) FROM stats WHERE watcher='all' AND handler='interface' AND time=(SELECT max(time) FROM stats)")"
ls /dev/shm | grep -q "^$PREFIX\." && fail "segments left after exit" || pass
finish
