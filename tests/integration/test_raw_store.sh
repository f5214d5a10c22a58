#!/usr/bin/env bash
# test_raw_store.sh - the raw packet store: `netsift capture --file-write`
# writes every packet to rotated pcap files indexed in pcap-meta.sqlite,
# and `netsift extract` gives them back.
#
#  - round trip: what libpcap reads from a capture (tcpdump -w) equals what
#    extract writes back, frame by frame (timestamp, length, caplen,
#    SHA-256 of the bytes; tshark agrees), on the sample (the shared
#    corpus: test_corpus.sh);
#  - extraction by BPF (peer: tcpdump with the same expression) and by
#    --from/--to/--mac/--ip/--port (peer: tshark display filters);
#  - rotation by size and by time, retention by size and by age;
#  - kill -9 during capture, several rounds: every row points at bytes
#    its file holds, and the next start trims and closes what was open;
#  - bad input: a missing, corrupt or truncated index or pcap file;
#  - a full disk under DB_PATH/pcap: one warning, headers go on, every
#    finished file indexed, exit status 1;
#  - one capture per store at a time.
source "$(dirname "$0")/lib.sh"

N="$NETSIFT"
S="$SRC_DIR/sample/sample.pcap"
RC=(python3 "$SRC_DIR/tests/integration/rawcheck.py")
UUID_RE='^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}'

sanitizer() { grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' "$@" && fail "sanitizer report in $*"; }
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
meta() { sql "$1/pcap-meta.sqlite" "$2"; }
# same DESC REF OUT [ARGS]: the frames of OUT equal REF's
same() {
  local desc=$1; shift
  if "${RC[@]}" same "$@" > "$WORK/same.txt"; then pass; else fail "$desc: $(head -3 "$WORK/same.txt")"; fi
}
# store_ok DESC DB [--closed]
store_ok() {
  local desc=$1; shift
  if "${RC[@]}" store "$@" > "$WORK/store.txt"; then pass; else fail "$desc: $(head -3 "$WORK/store.txt")"; fi
}
# extract DB OUT [ARGS...]: netsift extract, exit status in $erc
extract() {
  local db=$1 out=$2; shift 2
  "$N" extract -q -d "$db" -w "$out" "$@" 2> "$WORK/extract.err"
  erc=$?
  sanitizer "$WORK/extract.err"
}

# --- round trip on the sample ----------------------------------------------
tcpdump -r "$S" -w "$WORK/sample-ref.pcap" 2> /dev/null
for w in 1 2; do
  db="$WORK/sample$w"
  "$N" capture -q -r "$S" -d "$db" --file-write --workers $w --json > "$WORK/s.json" 2> "$WORK/s.err"
  check "sample, $w workers: capture exit status" 0 $?
  sanitizer "$WORK/s.err"
  packets=$(json "$WORK/s.json" "d['packets']")
  check "sample, $w workers: one row per packet" "$packets" "$(meta "$db" 'SELECT count(*) FROM meta')"
  check "sample, $w workers: packets_written" "$packets" "$(json "$WORK/s.json" "d['raw']['packets_written']")"
  check "sample, $w workers: one file per worker" "$w" "$(ls "$db/pcap" | grep -cE "$UUID_RE\.pcap\$")"
  extract "$db" "$WORK/s$w.pcap"
  check "sample, $w workers: extract exit status" 0 "$erc"
  order=time; [ $w = 1 ] && order=exact
  same "sample, $w workers: round trip" "$WORK/sample-ref.pcap" "$WORK/s$w.pcap" --order $order --tshark
  store_ok "sample, $w workers: store" "$db" --closed
done
db="$WORK/sample2"
check "ids are unique" "$(meta "$db" 'SELECT count(*) FROM meta')" "$(meta "$db" 'SELECT count(DISTINCT id) FROM meta')"
check "ids are <uuid>:<10-digit number>, numbered from 1 in each file" 0 \
  "$(meta "$db" "SELECT count(*) FROM meta WHERE id NOT GLOB '????????-????-4???-????-????????????:[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]' OR substr(id, 1, 36) || '.pcap' != name")"
check "numbers count each file's packets" "$(meta "$db" 'SELECT group_concat(packets) FROM (SELECT packets FROM files ORDER BY name)')" \
  "$(meta "$db" 'SELECT group_concat(n) FROM (SELECT max(CAST(substr(id, 38) AS INTEGER)) AS n FROM meta GROUP BY name ORDER BY name)')"
check "interface is the name of the file read, filter ''" "sample.pcap|" "$(meta "$db" 'SELECT DISTINCT interface || "|" || filter FROM meta')"
check "every row has its offset and MACs" 0 "$(meta "$db" 'SELECT count(*) FROM meta WHERE file_offset IS NULL OR src_mac IS NULL')"
check "ethh_hash joins every row to headers.sqlite" "$(meta "$db" 'SELECT count(*) FROM meta')" \
  "$(sql "$db/pcap-meta.sqlite" "ATTACH '$db/headers.sqlite' AS h; SELECT count(*) FROM meta m WHERE EXISTS (SELECT 1 FROM h.eth e WHERE e.hash = m.ethh_hash AND e.timestamp = m.timestamp)")"
"$N" extract -q -d "$db" -w - 2> "$WORK/pipe.err" | tcpdump -r - -w "$WORK/piped.pcap" 2> /dev/null
check "-w - pipes into tcpdump" 0 "${PIPESTATUS[0]}"
same "-w -: round trip through a pipe" "$WORK/sample-ref.pcap" "$WORK/piped.pcap"
"$N" capture -q -r "$S" -d "$WORK/filtered" --file-write --no-db-write 'tcp or udp' > /dev/null 2>&1
check "capture filter recorded in every row" "tcp or udp" "$(meta "$WORK/filtered" 'SELECT DISTINCT filter FROM meta')"
check "--no-db-write: no headers.sqlite, the store works" "no" "$([ -e "$WORK/filtered/headers.sqlite" ] && echo yes || echo no)"
printf 'file_write = yes\npcap_rotate_size = 2K\nworkers = 1\n' > "$WORK/raw.conf"
"$N" capture -q -r "$S" -d "$WORK/conf" -c "$WORK/raw.conf" > /dev/null 2>&1
check "configuration file keys: file_write, pcap_rotate_size 2K" 1 \
  "$(meta "$WORK/conf" "SELECT count(*) > 3 AND max(bytes) <= 2048 FROM files")"

# --- a longer capture: copies of the sample shifted by 1 s each -------------
for i in $(seq 1 120); do editcap -t "$i" "$S" "$WORK/c$(printf %03d "$i").pcap"; done
mergecap -a -F pcap -w "$WORK/long.pcap" "$WORK"/c*.pcap   # in time order
rm -f "$WORK"/c*.pcap
tcpdump -r "$WORK/long.pcap" -w "$WORK/long-ref.pcap" 2> /dev/null
long_packets=$("${RC[@]}" frames "$WORK/long-ref.pcap" | wc -l)

# rotation by size
db="$WORK/rot-size"
"$N" capture -q -r "$WORK/long.pcap" -d "$db" --file-write --workers 2 --pcap-rotate-size 64K --json > "$WORK/r.json" 2> "$WORK/r.err"
check "rotate by size: exit status" 0 $?
files=$(ls "$db/pcap" | grep -cE "$UUID_RE\.pcap\$")
[ "$files" -ge 15 ] && pass || fail "rotate by size: expected at least 15 files of 64K, got $files"
check "rotate by size: no file above 64K" 0 "$(meta "$db" 'SELECT count(*) FROM files WHERE bytes > 65536')"
check "rotate by size: rotations counted" $((files - 2)) "$(json "$WORK/r.json" "d['raw']['rotations']")"
store_ok "rotate by size: store" "$db" --closed
extract "$db" "$WORK/rot.pcap"
check "rotate by size: extract exit status" 0 "$erc"
same "rotate by size: round trip across files" "$WORK/long-ref.pcap" "$WORK/rot.pcap"

# rotation by time (packet time)
db="$WORK/rot-time"
"$N" capture -q -r "$WORK/long.pcap" -d "$db" --file-write --workers 1 --pcap-rotate-time 10 > /dev/null 2>&1
check "rotate by time: exit status" 0 $?
check "rotate by time: each file spans less than 10 s" 0 "$(meta "$db" 'SELECT count(*) FROM files WHERE last_ts - first_ts >= 10000000')"
files=$(meta "$db" 'SELECT count(*) FROM files')
[ "$files" -ge 12 ] && pass || fail "rotate by time: 120 s of packets in $files files"
extract "$db" "$WORK/rott.pcap"
same "rotate by time: round trip, capture order" "$WORK/long-ref.pcap" "$WORK/rott.pcap" --order exact

# retention by size
db="$WORK/ret-size"
"$N" capture -q -r "$WORK/long.pcap" -d "$db" --file-write --workers 2 --pcap-rotate-size 64K --pcap-max-size 256K --json > "$WORK/rs.json" 2> "$WORK/rs.err"
check "retention by size: exit status" 0 $?
sanitizer "$WORK/rs.err"
on_disk=$(du -b -c "$db"/pcap/*.pcap | tail -1 | cut -f1)
[ "$on_disk" -le 262144 ] && pass || fail "retention by size: $on_disk bytes of pcap files, limit 256K"
removed=$(json "$WORK/rs.json" "d['raw']['retention']['files_removed']")
[ "$removed" -ge 10 ] && pass || fail "retention by size: only $removed files removed"
store_ok "retention by size: store" "$db" --closed
extract "$db" "$WORK/rs.pcap"
check "retention by size: extract exit status" 0 "$erc"
check "retention by size: what is left is extracted" "$(meta "$db" 'SELECT sum(packets) FROM files')" "$("${RC[@]}" frames "$WORK/rs.pcap" | wc -l)"
check "retention by size: rows of removed files are gone" "$(meta "$db" 'SELECT sum(packets) FROM files')" "$(meta "$db" 'SELECT count(*) FROM meta')"
check "retention by size: newest packet kept" "$(meta "$WORK/rot-size" 'SELECT max(timestamp) FROM meta')" "$(meta "$db" 'SELECT max(timestamp) FROM meta')"

# retention by age (behind the newest packet)
db="$WORK/ret-age"
"$N" capture -q -r "$WORK/long.pcap" -d "$db" --file-write --workers 1 --pcap-rotate-time 5 --pcap-max-age 30s --json > "$WORK/ra.json" 2>&1
check "retention by age: exit status" 0 $?
check "retention by age: no file ends more than 30 s before the newest packet" 0 \
  "$(meta "$db" 'SELECT count(*) FROM files WHERE last_ts < (SELECT max(last_ts) FROM files) - 30000000')"
[ "$(json "$WORK/ra.json" "d['raw']['retention']['files_removed']")" -ge 15 ] && pass || fail "retention by age: too few files removed"
store_ok "retention by age: store" "$db" --closed

# --- extraction by query ------------------------------------------------------
# filter_case NAME DB REF BPF...: extract with a BPF expression equals
# tcpdump's; an expression tcpdump rejects for the link type is a usage error
filter_case() {
  local name=$1 db=$2 ref=$3; shift 3
  tcpdump -r "$ref" -w "$WORK/peer.pcap" "$@" 2> /dev/null
  local want=$?
  extract "$db" "$WORK/got.pcap" "$@"
  if [ "$want" != 0 ]; then check "$name: '$*' rejected like tcpdump does" 2 "$erc"; return; fi
  check "$name: extract '$*' exit status" 0 "$erc"
  same "$name: extract '$*' equals tcpdump" "$WORK/peer.pcap" "$WORK/got.pcap"
}
TSHARK=(tshark -n -o ip.defragment:FALSE -o ipv6.defragment:FALSE)
# query_case NAME DB REF 'DISPLAY FILTER' ARGS...: extract ARGS equals
# tshark -Y, leaving out the frames tshark calls malformed (doubt-NAME.pcap:
# netsift keeps the fields it could read of them, see tshark-allow.txt)
query_case() {
  local name=$1 db=$2 ref=$3 display=$4; shift 4
  "${TSHARK[@]}" -r "$ref" -Y "$display" -F pcap -w "$WORK/peer.pcap" 2> /dev/null
  extract "$db" "$WORK/got.pcap" "$@"
  check "$name: extract $* exit status" 0 "$erc"
  same "$name: extract $* equals tshark -Y '$display'" "$WORK/peer.pcap" "$WORK/got.pcap" \
    --ignore "$WORK/doubt-$name.pcap"
}
# queries NAME CAPTURE: capture it, then BPF and query extractions
queries() {
  local name=$1 src=$2 db="$WORK/q-$1" ref="$WORK/q-$1.pcap"
  tcpdump -r "$src" -w "$ref" 2> /dev/null
  "${TSHARK[@]}" -r "$ref" -Y '_ws.malformed || _ws.expert.severity >= "error"' -F pcap -w "$WORK/doubt-$name.pcap" 2> /dev/null
  "$N" capture -q -r "$src" -d "$db" --file-write --no-db-write > /dev/null 2>&1
  for bpf in tcp 'udp port 53' 'icmp or icmp6' 'ether broadcast' ip6 arp 'vlan and ip' 'tcp[tcpflags] & tcp-syn != 0' 'greater 1000'; do
    filter_case "$name" "$db" "$ref" $bpf
  done
  local t1 t2 ip ip6 mac port
  t1=$(meta "$db" 'SELECT timestamp FROM meta ORDER BY timestamp LIMIT 1 OFFSET (SELECT count(*) / 4 FROM meta)')
  t2=$(meta "$db" 'SELECT timestamp FROM meta ORDER BY timestamp LIMIT 1 OFFSET (SELECT count(*) * 3 / 4 FROM meta)')
  t1s=$(python3 -c "print(f'{$t1 / 1e6:.6f}')"); t2s=$(python3 -c "print(f'{$t2 / 1e6:.6f}')")
  query_case "$name" "$db" "$ref" "frame.time_epoch >= $t1s && frame.time_epoch <= $t2s" --from "$t1s" --to "$t2s"
  query_case "$name" "$db" "$ref" "frame.time_epoch >= $t2s" --from "$(date -u -d "@${t2s%.*}" +%Y-%m-%dT%H:%M:%S).${t2s#*.}"
  ip=$(meta "$db" 'SELECT src_ip FROM meta WHERE ip_proto IN (6, 17) AND src_ip LIKE "%.%" GROUP BY src_ip ORDER BY count(*) DESC LIMIT 1')
  ip6=$(meta "$db" 'SELECT src_ip FROM meta WHERE src_ip LIKE "%:%" GROUP BY src_ip ORDER BY count(*) DESC LIMIT 1')
  mac=$(meta "$db" 'SELECT src_mac FROM meta WHERE length(src_mac) = 17 GROUP BY src_mac ORDER BY count(*) DESC LIMIT 1')
  port=$(meta "$db" 'SELECT dst_port FROM meta WHERE dst_port IS NOT NULL GROUP BY dst_port ORDER BY count(*) DESC LIMIT 1')
  local noicmp='!(icmp || icmpv6)'  # netsift does not decode the headers an ICMP error quotes
  [ -n "$ip" ] && query_case "$name" "$db" "$ref" "(ip.addr#1 == $ip) && !ipv6" --ip "$ip"
  [ -n "$ip6" ] && query_case "$name" "$db" "$ref" "ipv6.addr#1 == $ip6 && !ip" --ip "$(echo "$ip6" | tr a-f A-F)"
  [ -n "$mac" ] && query_case "$name" "$db" "$ref" "eth.addr == $mac" --mac "$(echo "$mac" | tr a-f: A-F-)"
  [ -n "$port" ] && query_case "$name" "$db" "$ref" "(tcp.port#1 == $port || udp.port#1 == $port) && $noicmp" --port "$port"
  [ -n "$ip" ] && [ -n "$port" ] && query_case "$name" "$db" "$ref" \
    "ip.addr#1 == $ip && !ipv6 && (tcp.port#1 == $port || udp.port#1 == $port) && $noicmp && frame.time_epoch >= $t1s" \
    --ip "$ip" --port "$port" --from "$t1s"
  [ -n "$ip" ] && filter_case "$name" "$db" "$ref" "host $ip and not arp and not rarp"
  extract "$db" "$WORK/none.pcap" --from 1 --to 2
  check "$name: nothing matches: an empty pcap, exit 0" "0 0" "$erc $("${RC[@]}" frames "$WORK/none.pcap" | wc -l)"
}
queries sample "$S"
if [ -d "$SHARED/pcaps/dev" ]; then
  P="$SHARED/pcaps/dev"
  queries many-protocols "$P/pcapplusplus/Tests_ExamplesTest_pcap_examples_many-protocols.pcap"
  queries example "$P/pcapplusplus/Tests_Pcap++Test_PcapExamples_example.pcap"
  queries sll "$P/ndpi/tests_cfgs_default_pcap_KakaoTalk_talk.pcap"
fi

# --- kill -9 during capture -----------------------------------------------------
ROUNDS=${RAW_CRASH_ROUNDS:-6}
cp "$WORK/long.pcap" "$WORK/big.pcap"
for i in 1 2 3 4 5; do   # double it five times: 315k packets
  editcap -t $((120 * (1 << i))) "$WORK/big.pcap" "$WORK/shifted.pcap"
  mergecap -a -F pcap -w "$WORK/bigger.pcap" "$WORK/big.pcap" "$WORK/shifted.pcap"
  mv "$WORK/bigger.pcap" "$WORK/big.pcap"
done
rm -f "$WORK/shifted.pcap"
db="$WORK/crash"
midway=0 recovered=0 trimmed=0
for round in $(seq 1 "$ROUNDS"); do
  "$N" capture -q -r "$WORK/big.pcap" -d "$db" --file-write --pcap-rotate-size 1M \
    --batch-rows $((500 + RANDOM % 3000)) --workers $((1 + round % 2)) > /dev/null 2>&1 &
  pid=$!
  # once its first rows are in, kill it at a random moment
  for _ in $(seq 1 400); do
    n=$(meta "$db" 'SELECT count(*) FROM files WHERE closed = 0' 2> /dev/null)
    [ "${n:-0}" -gt 0 ] 2> /dev/null && break
    sleep 0.025
  done
  sleep "0.$((RANDOM % 6))$((RANDOM % 10))"
  kill -9 "$pid" 2> /dev/null
  wait "$pid" 2> /dev/null
  [ -f "$db/pcap-meta.sqlite" ] || { fail "round $round: killed before the index existed: sleep longer"; continue; }
  store_ok "kill -9 round $round: every row points at bytes its file holds" "$db"
  open=$(meta "$db" 'SELECT count(*) FROM files WHERE closed = 0')
  [ "$open" -gt 0 ] && midway=$((midway + 1))
  # the next start recovers: open files trimmed to their rows and closed
  "$N" capture -q -r "$S" -d "$db" --file-write --json > "$WORK/rec.json" 2> "$WORK/rec.err"
  check "round $round: capture after kill -9: exit status" 0 $?
  sanitizer "$WORK/rec.err"
  got=$(json "$WORK/rec.json" "d['raw']['recovered']['files_closed']")
  [ "$got" -ge "$open" ] && pass || fail "round $round: $open files left open, $got recovered"
  [ "$open" -gt 0 ] && [ "$got" -gt 0 ] && recovered=$((recovered + 1))
  check "round $round: no committed row pointed past its file's end" 0 "$(json "$WORK/rec.json" "d['raw']['recovered']['rows_dropped']")"
  trimmed=$((trimmed + $(json "$WORK/rec.json" "d['raw']['recovered']['bytes_trimmed']")))
  store_ok "round $round: after recovery" "$db" --closed
done
[ "$midway" -ge $((ROUNDS / 2)) ] && pass || fail "only $midway of $ROUNDS kills left a file open: the test file is too short"
echo "kill -9: $midway of $ROUNDS kills left files open; $recovered recoveries closed them, cutting $trimmed unindexed bytes"
extract "$db" "$WORK/crash.pcap"
check "after the kills: extract exit status" 0 "$erc"
check "after the kills: every row extracted" "$(meta "$db" 'SELECT count(*) FROM meta')" "$("${RC[@]}" frames "$WORK/crash.pcap" | wc -l)"
"${RC[@]}" frames "$WORK/crash.pcap" | cut -d' ' -f2- | sort -u > "$WORK/crash.frames"
{ "${RC[@]}" frames "$WORK/big.pcap"; "${RC[@]}" frames "$S"; } | cut -d' ' -f2- | sort -u > "$WORK/input.frames"
check "after the kills: every extracted frame was captured" 0 "$(comm -23 "$WORK/crash.frames" "$WORK/input.frames" | wc -l)"

# one capture per store at a time
"$N" capture -q -r "$WORK/big.pcap" -d "$WORK/locked" --file-write > /dev/null 2>&1 &
pid=$!
for _ in $(seq 1 100); do [ -f "$WORK/locked/pcap-meta.sqlite" ] && break; sleep 0.05; done
"$N" capture -q -r "$S" -d "$WORK/locked" --file-write > /dev/null 2> "$WORK/lock.err"
check "a second capture on the same store: exit status" 1 $?
grep -q "being written by another netsift capture" "$WORK/lock.err" && pass || fail "lock: $(cat "$WORK/lock.err")"
stop "$pid" TERM
store_ok "store after SIGTERM" "$WORK/locked" --closed

# --- live capture: interface and filter recorded -------------------------------------
if [ "$(id -u)" = 0 ]; then
  db="$WORK/live"
  (sleep 1; python3 -c "
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(60):
    s.sendto(b'x' * (100 + i), ('127.0.0.1', 9999)); time.sleep(0.01)") &
  timeout 30 "$N" capture -q -i lo -d "$db" --file-write --count 30 --immediate 'udp port 9999' > /dev/null 2> "$WORK/live.err"
  check "live: exit status" 0 $?
  sanitizer "$WORK/live.err"
  check "live: rows, interface, filter" "30|lo|udp port 9999" "$(meta "$db" 'SELECT count(*), interface, filter FROM meta GROUP BY 2, 3')"
  extract "$db" "$WORK/live.pcap"
  check "live: the 30 datagrams in order" "$(seq 142 171 | tr '\n' ' ')" "$("${RC[@]}" frames "$WORK/live.pcap" | cut -d' ' -f3 | tr '\n' ' ')"
  store_ok "live: store" "$db" --closed
  wait
else
  echo "skip: not root: live capture case not run"
fi

# --- bad input to extract ---------------------------------------------------------
# bad CASE EXIT TEXT ARGS...: extract fails with TEXT in its error
bad() {
  local name=$1 code=$2 text=$3; shift 3
  "$N" extract "$@" > "$WORK/bad.out" 2> "$WORK/bad.err"
  local rc=$?
  check "$name: exit status" "$code" "$rc"
  grep -qF -- "$text" "$WORK/bad.err" && pass || fail "$name: stderr lacks '$text': $(head -3 "$WORK/bad.err")"
  sanitizer "$WORK/bad.err"
}
good="$WORK/sample2"
bad "no -w" 2 "no output" -d "$good"
bad "bad --ip" 2 "not a valid IP address" -d "$good" -w "$WORK/x.pcap" --ip 10.0.0.300
bad "bad --mac" 2 "not a valid MAC address" -d "$good" -w "$WORK/x.pcap" --mac 02:00:00:00:00
bad "bad --port" 2 "not a valid port" -d "$good" -w "$WORK/x.pcap" --port 70000
bad "bad --from" 2 "not a valid time" -d "$good" -w "$WORK/x.pcap" --from yesterday
bad "--from after --to" 2 "later than" -d "$good" -w "$WORK/x.pcap" --from 20 --to 10
bad "bad BPF" 2 "bad filter expression" -d "$good" -w "$WORK/x.pcap" 'tcp port nonsense'
bad "missing index" 1 "cannot open meta database" -d "$WORK/nowhere" -w "$WORK/x.pcap"
mkdir -p "$WORK/corrupt"
head -c 65536 /dev/urandom > "$WORK/corrupt/pcap-meta.sqlite"
bad "corrupt index" 1 "pcap-meta.sqlite" -d "$WORK/corrupt" -w "$WORK/x.pcap"
bad "unwritable output" 1 "cannot write" -d "$good" -w "$WORK/no/such/dir/x.pcap"

# a copy of the rotated store to damage
copy() { rm -rf "$WORK/dmg"; cp -a "$WORK/rot-size" "$WORK/dmg"; }
total=$(meta "$WORK/rot-size" 'SELECT count(*) FROM meta')
pick() { meta "$WORK/dmg" "SELECT name FROM files ORDER BY first_ts LIMIT 1 OFFSET $1"; }
rows_of() { meta "$WORK/dmg" "SELECT count(*) FROM meta WHERE name = '$1'"; }
exported() { "${RC[@]}" frames "$WORK/x.pcap" | wc -l; }

copy; f=$(pick 3); n=$(rows_of "$f")
first=$(meta "$WORK/dmg" "SELECT min(id) FROM meta WHERE name = '$f'")
rm "$WORK/dmg/pcap/$f"
bad "missing pcap file" 1 "pcap file '$WORK/dmg/pcap/$f': No such file or directory; $n rows not exported (ids $first .. " -d "$WORK/dmg" -w "$WORK/x.pcap"
check "missing pcap file: the other files exported" $((total - n)) "$(exported)"

copy; f=$(pick 5); n=$(rows_of "$f")
size=$(stat -c %s "$WORK/dmg/pcap/$f")
truncate -s $((size / 2)) "$WORK/dmg/pcap/$f"
lost=$(meta "$WORK/dmg" "SELECT count(*) FROM meta WHERE name = '$f' AND file_offset + 16 + caplen > $((size / 2))")
bad "truncated pcap file" 1 "truncated" -d "$WORK/dmg" -w "$WORK/x.pcap"
grep -qF "$lost rows not exported" "$WORK/bad.err" && pass || fail "truncated pcap file: expected $lost rows named: $(cat "$WORK/bad.err")"
check "truncated pcap file: what is left exported" $((total - lost)) "$(exported)"

copy; f=$(pick 2)
read -r rid off < <(meta "$WORK/dmg" "SELECT id, file_offset FROM meta WHERE name = '$f' ORDER BY file_offset LIMIT 1 OFFSET 10" | tr '|' ' ')
printf '\xff\xff\xff\x7f' | dd of="$WORK/dmg/pcap/$f" bs=1 seek=$((off + 8)) conv=notrunc 2> /dev/null
bad "corrupt record" 1 "does not match its row" -d "$WORK/dmg" -w "$WORK/x.pcap"
grep -qF "1 rows not exported (ids $rid .. $rid)" "$WORK/bad.err" && pass || fail "corrupt record: row $rid not named: $(cat "$WORK/bad.err")"
check "corrupt record: the rest exported" $((total - 1)) "$(exported)"

copy; f=$(pick 4); n=$(rows_of "$f")
printf 'garbage!' | dd of="$WORK/dmg/pcap/$f" bs=1 seek=0 conv=notrunc 2> /dev/null
bad "corrupt pcap header" 1 "pcap file '$WORK/dmg/pcap/$f': unknown file format; $n rows not exported" -d "$WORK/dmg" -w "$WORK/x.pcap"
check "corrupt pcap header: the other files exported" $((total - n)) "$(exported)"

copy
sql "$WORK/dmg/pcap-meta.sqlite" "UPDATE meta SET name = '../../etc/passwd' WHERE rowid = 7"
bad "a name that is not a store name" 1 "not a store file name (e.g. '../../etc/passwd'); 1 rows not exported" -d "$WORK/dmg" -w "$WORK/x.pcap"
check "a name that is not a store name: the rest exported" $((total - 1)) "$(exported)"

copy
size=$(stat -c %s "$WORK/dmg/pcap-meta.sqlite")
truncate -s $((size / 3)) "$WORK/dmg/pcap-meta.sqlite"
bad "truncated index" 1 "pcap-meta.sqlite" -d "$WORK/dmg" -w "$WORK/x.pcap"
[ -s "$WORK/x.pcap" ] && pass || fail "truncated index: no pcap written"

# --- a full disk under DB_PATH/pcap ------------------------------------------------------
db="$WORK/full"
mkdir -p "$db/pcap"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=1M tmpfs "$db/pcap" 2> /dev/null; then
  "$N" capture -q -r "$WORK/long.pcap" -d "$db" --file-write --workers 2 --pcap-rotate-size 128K --json > "$WORK/full.json" 2> "$WORK/full.err"
  rc=$?
  check "disk full: exit status" 1 "$rc"
  check "disk full: one line on stderr" 1 "$(grep -vc '^netsift: warning' "$WORK/full.err")"
  grep -q "No space left on device" "$WORK/full.err" && pass || fail "disk full: $(cat "$WORK/full.err")"
  sanitizer "$WORK/full.err"
  check "disk full: headers go on" "$long_packets" "$(sql "$db/headers.sqlite" 'SELECT sum(frames) FROM eth')"
  [ "$(json "$WORK/full.json" "d['raw']['packets_not_written']")" -gt 0 ] && pass || fail "disk full: packets_not_written not counted"
  store_ok "disk full: every finished file indexed, files cut back to their rows" "$db" --closed
  extract "$db" "$WORK/full.pcap"
  check "disk full: extract exit status" 0 "$erc"
  check "disk full: every indexed packet extracted" "$(meta "$db" 'SELECT count(*) FROM meta')" "$("${RC[@]}" frames "$WORK/full.pcap" | wc -l)"
  umount "$db/pcap"
  full_line="exit status $rc, $(grep -vc '^netsift: warning' "$WORK/full.err") line on stderr, $(sql "$db/headers.sqlite" 'SELECT count(*) FROM eth') of $long_packets packets in headers.sqlite, $(meta "$db" 'SELECT count(*) FROM meta') indexed in $(meta "$db" 'SELECT count(*) FROM files') closed files"
else
  echo "skip: cannot mount a tmpfs (needs root): disk-full case not run"
fi

if [ -n "${FIGURES_DIR:-}" ]; then
  {
    echo "- kill -9 during a capture of $(capinfos -c -M "$WORK/big.pcap" | awk '/Number of packets/ {print $NF}') packets, $ROUNDS rounds: $midway kills left files open; every row pointed at bytes its file holds; the next start closed them, cutting $trimmed unindexed bytes"
    echo "- disk full under DB_PATH/pcap: ${full_line:-not run (needs root to mount a tmpfs)}"
  } > "$FIGURES_DIR/raw_store.txt"
fi
finish
