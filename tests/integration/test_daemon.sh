#!/usr/bin/env bash
# test_daemon.sh - netsift daemon without live interfaces (runs anywhere):
# watchers replaying a capture file (read_file) have exactly tshark's
# per-MAC, per-IP, per-conversation, per-protocol and host counters, with
# and without filters; `netsift stats --json`, /metrics (checked against the
# exposition format) and the stats table agree; SIGUSR1 snapshots; the pid
# file; bad configuration files are refused with FILE:LINE: reason.
source "$(dirname "$0")/lib.sh"

PREFIX="nstest$$"
P=$SHARED/pcaps/dev/ndpi
CAP="$WORK/replay.pcap"
if [ ! -d "$P" ]; then skip "the corpus ($P) is absent"; fi
mergecap -a -F pcap -w "$CAP" $P/tests_cfgs_default_pcap_http_auth.pcap \
  $P/tests_cfgs_default_pcap_windowsupdate_over_http.pcap $P/tests_cfgs_default_pcap_http.pcapng \
  $P/tests_cfgs_default_pcap_dns-google-nsid.pcapng $P/tests_cfgs_default_pcap_lru_ipv6_caches.pcapng \
  $P/tests_cfgs_default_pcap_dns_ambiguous_names.pcap
PROMPY=python3
/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null && PROMPY=/usr/bin/python3
PORT=$((20000 + $$ % 20000))

# 1. bad configuration files: FILE:LINE: reason, exit 2
bad() { # DESCRIPTION EXPECTED-LINE EXPECTED-TEXT CONTENT
  printf '%b' "$4" > "$WORK/bad.conf"
  "$NETSIFT" daemon -c "$WORK/bad.conf" --check > /dev/null 2> "$WORK/bad.err"
  check "$1: exit status" 2 $?
  if grep -q "$WORK/bad.conf:$2: .*$3" "$WORK/bad.err"; then pass; else fail "$1: $(cat "$WORK/bad.err")"; fi
}
bad "unknown key" 3 "unknown key 'colour'" "[watcher a]\nread_file = $CAP\ncolour = red\n"
bad "bad CIDR" 2 "bad IP address or CIDR '10.0.0.0/33'" "[watcher a]\nsrc_ip = 10.0.0.0/33\nread_file = x\n"
bad "host bits" 2 "host bits set" "[watcher a]\ndst_ip = 10.1.0.0/8\n"
bad "bad IPv6 CIDR" 2 "bad IP address" "[watcher a]\nip = 2001:db8::zz/64\n"
bad "bad regex" 3 "bad regex '(GET': missing closing parenthesis" "[watcher a]\nread_file = x\nregex = (GET\n"
bad "unknown interface" 2 "unknown interface 'nosuch0'" "[watcher a]\ninterface = nosuch0\n"
bad "bad BPF" 2 "bad BPF expression" "[watcher a]\nbpf = tcp port\n"
bad "bad port range" 2 "bad port range '90-80'" "[watcher a]\nport = 90-80\n"
bad "bad MAC" 2 "bad MAC address" "[watcher a]\nsrc_mac = 00:11:22:33:44\n"
bad "unknown protocol" 2 "unknown protocol 'tcpp'" "[watcher a]\nprotocol = tcpp\n"
bad "unknown handler" 2 "unknown handler 'macs'" "[watcher a]\nhandlers = ip macs\n"
bad "no source" 1 "needs exactly one of interface and read_file" "[watcher a]\nport = 80\n"
bad "duplicate watcher" 4 "defined twice" "[watcher a]\nread_file = x\n\n[watcher a]\nread_file = x\n"
bad "unknown section" 1 "unknown section" "[capture]\n"
bad "key outside a section" 1 "outside a section" "port = 80\n"
bad "bad metrics address" 2 "bad listen address" "[daemon]\nmetrics = localhost:99999\n"
bad "bad watcher name" 1 "bad watcher name" "[watcher a/b]\n"
"$NETSIFT" daemon -c "$WORK/none.conf" 2> "$WORK/none.err"
check "missing file: exit status" 2 $?
"$NETSIFT" daemon --help | grep -q "SIGHUP re-reads" && pass || fail "daemon --help"
"$NETSIFT" stats --help | grep -q -- "--watch" && pass || fail "stats --help"
"$NETSIFT" stats --shm-prefix "$PREFIX" nosuch 2> /dev/null
check "stats of a missing watcher: exit status" 1 $?

# 2. watchers replaying the file: counters equal tshark's
cat > "$WORK/d.conf" <<CONF
# statistics daemon test
[daemon]
db_path = $WORK/db
shm_prefix = $PREFIX
metrics = 127.0.0.1:$PORT
persist_interval = 1h

[watcher all]
read_file = $CAP

[watcher http]
read_file = $CAP
protocol = tcp
dst_port = 80

[watcher v6net]
read_file = $CAP
ip = 2001:4860::/32

[watcher dns4]
read_file = $CAP
src_ip = 10.200.2.0/24
port = 53
protocol = udp
handlers = ip, conversation

[watcher mac]
read_file = $CAP
src_mac = 54:04:a6:8a:d1:2c

[watcher bpf]
read_file = $CAP
bpf = udp
handlers = protocol interface
CONF
"$NETSIFT" daemon -c "$WORK/d.conf" --pid-file "$WORK/d.pid" 2> "$WORK/d.err" &
DPID=$!
for _ in $(seq 1 100); do [ "$(grep -c 'end of' "$WORK/d.err")" -ge 6 ] && break; sleep 0.1; done
check "pid file" "$DPID" "$(cat "$WORK/d.pid" 2>/dev/null)"
"$NETSIFT" stats --shm-prefix "$PREFIX" --json > "$WORK/s.json"
check "stats --json lists the watchers" "all bpf dns4 http mac v6net" \
  "$(python3 -c "import json; print(' '.join(w['name'] for w in json.load(open('$WORK/s.json'))['watchers']))")"
D=$SRC_DIR/tests/integration/statsdiff.py
field_all() { "$NETSIFT" stats --shm-prefix "$PREFIX" --json all | python3 -c "import json,sys; print(json.load(sys.stdin)['watchers'][0]['packets_matched'])"; }
FRAMES_ALL=$(field_all)
python3 "$D" "$CAP" "$WORK/s.json" all --iface file && pass || fail "all: counters differ from tshark"
python3 "$D" "$CAP" "$WORK/s.json" http --filter 'tcp.dstport == 80' && pass || fail "http: counters differ"
python3 "$D" "$CAP" "$WORK/s.json" v6net --filter 'ipv6.addr == 2001:4860::/32' && pass || fail "v6net: counters differ"
python3 "$D" "$CAP" "$WORK/s.json" dns4 --filter 'ip.src == 10.200.2.0/24 && udp.port == 53' && pass || fail "dns4: counters differ"
python3 "$D" "$CAP" "$WORK/s.json" mac --filter 'eth.src == 54:04:a6:8a:d1:2c' && pass || fail "mac: counters differ"
check "bpf: only what the kernel filter passed is seen" "$(tshark -r "$CAP" -Y udp 2>/dev/null | wc -l)" \
  "$(python3 -c "import json; print([w for w in json.load(open('$WORK/s.json'))['watchers'] if w['name']=='bpf'][0]['packets_seen'])")"
"$NETSIFT" stats --shm-prefix "$PREFIX" all --top 3 > "$WORK/s.txt"
grep -q "^  conversation" "$WORK/s.txt" && grep -q "(.* more)" "$WORK/s.txt" && pass || fail "stats text: $(head -5 "$WORK/s.txt")"

# a second daemon with the same prefix does not take the segments over
printf '[daemon]\nshm_prefix = %s\n[watcher all]\nread_file = %s\n' "$PREFIX" "$CAP" > "$WORK/dup.conf"
"$NETSIFT" daemon -c "$WORK/dup.conf" > /dev/null 2> "$WORK/dup.err"
check "second daemon, same segments: exit status" 1 $?
grep -q "in use by netsift daemon pid $DPID" "$WORK/dup.err" && pass || fail "second daemon: $(cat "$WORK/dup.err")"
check "the first daemon's segment is intact" "$FRAMES_ALL" "$(field_all)"

# 3. /metrics: exposition format, same values as stats --json
# GET URL: the body on stdout, or the HTTP status code of an error
http_get() {
  python3 -c 'import sys, urllib.request, urllib.error
try:
    sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())
except urllib.error.HTTPError as e:
    print(e.code)' "$1"
}
http_get "http://127.0.0.1:$PORT/metrics" > "$WORK/metrics.txt"
$PROMPY "$SRC_DIR/tests/integration/promcheck.py" "$WORK/metrics.txt" "$WORK/s.json" && pass || fail "metrics"
check "inventory: distinct source MACs, as tshark" "$(tshark -r "$CAP" -T fields -e eth.src 2>/dev/null | sort -u | grep -c .)" \
  "$(awk '/^netsift_inventory_hosts\{watcher="all",address="mac"\}/ {print $2}' "$WORK/metrics.txt")"
check "inventory: distinct source IPs, as tshark" \
  "$(tshark -r "$CAP" -T fields -E occurrence=f -e ip.src -e ipv6.src -e arp.src.proto_ipv4 2>/dev/null | tr -d '\t' | grep -v -x -e '' -e 0.0.0.0 -e :: | sort -u | wc -l)" \
  "$(awk '/^netsift_inventory_hosts\{watcher="all",address="ip"\}/ {print $2}' "$WORK/metrics.txt")"
check "other paths: 404" 404 "$(http_get "http://127.0.0.1:$PORT/x")"
check "a request line that is not HTTP: 400" 400 \
  "$(printf 'GARBAGE\r\n\r\n' | python3 -c 'import socket,sys; s=socket.create_connection(("127.0.0.1",int(sys.argv[1])),5); s.sendall(sys.stdin.buffer.read()); print(s.recv(100).split()[1].decode())' "$PORT")"

# 3b. hostile clients cannot hold the endpoint (metrics_server.h): one
# client trickling a request is cut at the deadline; 100 tricklers from
# another address (127.0.0.2), each opened again when cut, do not keep
# scrapes out, and get no more than their address's share; the daemon
# stops on SIGTERM while they trickle (section 4)
TRICKLE=$SRC_DIR/tests/integration/trickle.py
python3 "$TRICKLE" --tcp "127.0.0.1:$PORT" --clients 1 --seconds 8 > "$WORK/t1.out"
cut=$(awk '/^cut/ {print $2}' "$WORK/t1.out")
[ "${cut:-0}" -ge 1 ] && pass || fail "a lone trickler is not cut in 8 s: $(tr '\n' ' ' < "$WORK/t1.out")"
python3 "$TRICKLE" --tcp "127.0.0.1:$PORT" --source 127.0.0.2 --clients 100 --seconds 8 --ready "$WORK/t100.ready" > "$WORK/t100.out" &
TPID=$!
for _ in $(seq 1 300); do [ -e "$WORK/t100.ready" ] && break; sleep 0.1; done
ok=0
for i in 1 2 3; do
  http_get "http://127.0.0.1:$PORT/metrics" > "$WORK/m$i.txt"
  cmp -s <(grep -c '^netsift_' "$WORK/m$i.txt") <(grep -c '^netsift_' "$WORK/metrics.txt") && ok=$((ok + 1))
done
check "3 whole scrapes while 100 clients trickle" 3 "$ok"
wait $TPID
cut=$(awk '/^cut/ {print $2}' "$WORK/t100.out")
[ "${cut:-0}" -ge 100 ] && pass || fail "100 tricklers: $(tr '\n' ' ' < "$WORK/t100.out")"

# 4. SIGUSR1 snapshot, then SIGTERM: rows in the stats table, clean exit
kill -USR1 $DPID
for _ in $(seq 1 50); do [ "$(sql "$WORK/db/stats.sqlite" 'SELECT count(DISTINCT time) FROM stats' 2>/dev/null)" = 1 ] && break; sleep 0.1; done
check "SIGUSR1: one snapshot in the stats table" 1 "$(sql "$WORK/db/stats.sqlite" 'SELECT count(DISTINCT time) FROM stats')"
rm -f "$WORK/t100.ready"
python3 "$TRICKLE" --tcp "127.0.0.1:$PORT" --source 127.0.0.2 --clients 100 --seconds 60 --ready "$WORK/t100.ready" > /dev/null 2>&1 &
TPID=$!
for _ in $(seq 1 300); do [ -e "$WORK/t100.ready" ] && break; sleep 0.1; done
stop $DPID TERM 10 # while 100 clients trickle (before, one of them held it for 2,000 s)
check "SIGTERM: exit status" 0 $STOPPED_RC
kill $TPID 2> /dev/null; wait $TPID 2> /dev/null
check "stats table: two snapshots" 2 "$(sql "$WORK/db/stats.sqlite" 'SELECT count(DISTINCT time) FROM stats')"
check "stats table: the last snapshot's ip rows equal stats --json" \
  "$(python3 -c "import json; w=[w for w in json.load(open('$WORK/s.json'))['watchers'] if w['name']=='all'][0]; print(sum(e['tx_packets'] for e in w['entries'] if e['handler']=='ip'))")" \
  "$(sql "$WORK/db/stats.sqlite" "SELECT sum(tx_packets) FROM stats WHERE watcher='all' AND handler='ip' AND time=(SELECT max(time) FROM stats)")"
[ -e "$WORK/d.pid" ] && fail "pid file left after exit" || pass
ls /dev/shm | grep -q "^$PREFIX\." && fail "segments left after exit" || pass

# 5. -r PCAP --once: one watcher with every handler, counters printed at the end
"$NETSIFT" daemon -r "$CAP" --once --json --shm-prefix "$PREFIX" > "$WORK/once.json" 2> "$WORK/once.err"
check "--once: exit status" 0 $?
python3 "$D" "$CAP" "$WORK/once.json" file --iface file && pass || fail "--once: counters differ from tshark"
"$NETSIFT" daemon -r "$CAP" --once --top 1 --shm-prefix "$PREFIX" 2> /dev/null | grep -q "^watcher file on .*185 matched" \
  && pass || fail "--once text output"

# 6. persist_interval appends snapshots while running; stats --watch redraws
printf '[daemon]\ndb_path = %s\nshm_prefix = %s\npersist_interval = 1\n[watcher w]\nread_file = %s\n' \
  "$WORK/db2" "$PREFIX" "$CAP" > "$WORK/p.conf"
"$NETSIFT" daemon -c "$WORK/p.conf" 2> "$WORK/p.err" &
DPID=$!
sleep 2.6
"$NETSIFT" stats --shm-prefix "$PREFIX" --watch 0.2 > "$WORK/watch.txt" &
SPID=$!
sleep 1.5
# its handler is in place once it has drawn (a background job starts with
# SIGINT ignored)
for _ in $(seq 1 100); do grep -q "^watcher w on" "$WORK/watch.txt" && break; sleep 0.1; done
stop $SPID INT
check "--watch: exit status after ^C" 0 $STOPPED_RC
n=$(grep -c "^watcher w on" "$WORK/watch.txt")
[ "$n" -ge 3 ] && pass || fail "--watch drew $n times"
stop $DPID TERM
n=$(sql "$WORK/db2/stats.sqlite" 'SELECT count(DISTINCT time) FROM stats')
[ "$n" -ge 3 ] && pass || fail "persist_interval = 1: $n snapshots in about 3 s"
finish
