#!/usr/bin/env bash
# test_label.sh - netsift label: IDS alerts onto audit records and the
# header database.
#
# Alert files are written here for known flows of two corpus captures (an
# HTTP capture with two TCP connections, a DNS capture with two UDP
# exchanges), with the packet times and endpoints taken from tshark, in
# eve.json and in fast.log form (Suricata's and Snort's), and checked:
# exact match, the reverse direction, several alerts (first wins,
# --strict, --collect), --exclude, alerts matching nothing and alerts
# outside the capture's time, malformed lines (skipped; fatal with
# --strict), the labels table, the same labels from eve.json and fast.log,
# and -r/--rules without Suricata installed.
source "$(dirname "$0")/lib.sh"

D=$SHARED/pcaps/dev
HTTP=$D/ndpi/tests_cfgs_default_pcap_http-manipulated.pcap
DNS=$D/tcpdump/tests_dns-badvers.pcap
for f in "$HTTP" "$DNS"; do
  [ -f "$f" ] || { skip "corpus capture $f not found"; }
done
export TZ=UTC

# frame N of a capture: "epoch_us src sport dst dport" from tshark
frame() {
  tshark -r "$1" -Y "frame.number == $2" -T fields -e frame.time_epoch -e ip.src -e tcp.srcport \
    -e udp.srcport -e ip.dst -e tcp.dstport -e udp.dstport 2>/dev/null |
    awk -F'\t' '{ split($1, t, "."); printf "%s%s %s %s %s %s\n", t[1], substr(t[2] "000000", 1, 6), $2, $3 $4, $5, $6 $7 }'
}
# eve LINE: ts_us src sport dst dport proto sid class
eve() {
  local s=$(($1 / 1000000)) us=$(printf '%06d' $(($1 % 1000000)))
  printf '{"timestamp":"%s.%s+0000","flow_id":1,"event_type":"alert","src_ip":"%s","src_port":%s,"dest_ip":"%s","dest_port":%s,"proto":"%s","alert":{"action":"allowed","gid":1,"signature_id":%s,"rev":1,"signature":"TEST sid %s","category":"%s","severity":2}}\n' \
    "$(date -u -d "@$s" +%Y-%m-%dT%H:%M:%S)" "$us" "$2" "$3" "$4" "$5" "$6" "$7" "$7" "$8"
}
# fast LINE (Suricata): the same arguments
fast() {
  local s=$(($1 / 1000000)) us=$(printf '%06d' $(($1 % 1000000)))
  printf '%s.%s  [**] [1:%s:1] TEST sid %s [**] [Classification: %s] [Priority: 2] {%s} %s:%s -> %s:%s\n' \
    "$(date -u -d "@$s" +%m/%d/%Y-%H:%M:%S)" "$us" "$7" "$7" "$8" "$6" "$2" "$3" "$4" "$5"
}

# captures: audit records and the header database of both
"$NETSIFT" capture -r "$HTTP" --audit "$WORK/http" --db-path "$WORK/httpdb" -q >/dev/null 2>&1
check "capture http" 0 $?
"$NETSIFT" capture -r "$DNS" --audit "$WORK/dns" --db-path "$WORK/dnsdb" -q >/dev/null 2>&1
check "capture dns" 0 $?

read -r T3 S3 SP3 D3 DP3 <<<"$(frame "$HTTP" 3)"    # connection 1, client -> server
read -r T5 S5 SP5 D5 DP5 <<<"$(frame "$HTTP" 5)"    # connection 1, server -> client
read -r T11 S11 SP11 D11 DP11 <<<"$(frame "$HTTP" 11)" # connection 2 (its first packet)
check "tshark: frame 5 is the reverse of frame 3" "$S3 $SP3 $D3 $DP3" "$D5 $DP5 $S5 $SP5"
check "tshark: frame 11 is another connection" 1 "$([ "$SP11" != "$SP3" ] && echo 1)"

A=$WORK/a
mkdir -p "$A"
{
  eve "$T3" "$S3" "$SP3" "$D3" "$DP3" TCP 1000001 "Attempted Information Leak"
  eve "$T5" "$S5" "$SP5" "$D5" "$DP5" TCP 1000002 "Web Application Attack"
  echo '{"timestamp":"2000-01-01T00:00:00.000000+0000","event_type":"flow","src_ip":"1.1.1.1"}'
  eve "$T3" 10.9.9.9 1 10.9.9.8 2 TCP 1000003 "Misc activity"              # inside the time, no record
  eve 978307200000000 "$S3" "$SP3" "$D3" "$DP3" TCP 1000004 "Misc activity"  # 2001-01-01, outside
} >"$A/eve.json"
{ head -c 60 "$A/eve.json"; echo; } >"$A/broken.json"
cat "$A/eve.json" >>"$A/broken.json"

run() { "$NETSIFT" label "$@" >"$WORK/out" 2>"$WORK/err"; }
nonnormal() { tail -n +2 "$1" | grep -vc ',normal$'; }
col() { awk -F, -v c="$2" 'NR > 1 { print $c "," $NF }' "$1"; }   # column c and the label

# 1. default (first alert wins): exact and either direction
run --alerts "$A/eve.json" --audit "$WORK/http"
check "eve: exit" 0 $?
check "TCP: two packets labeled" 2 "$(nonnormal "$WORK/http/TCP_labeled.csv")"
check "TCP: the client packet (exact)" "$T3,Attempted Information Leak" \
  "$(col "$WORK/http/TCP_labeled.csv" 1 | grep -v ',normal$' | head -1)"
check "TCP: the server packet (reverse direction)" "$T5,Web Application Attack" \
  "$(col "$WORK/http/TCP_labeled.csv" 1 | grep -v ',normal$' | tail -1)"
check "IPv4: the same two packets" 2 "$(nonnormal "$WORK/http/IPv4_labeled.csv")"
check "header line: record columns + label" "$("$NETSIFT" dump --csv "$WORK/http/Connection.ncap.gz" | head -1),label" \
  "$(head -1 "$WORK/http/Connection_labeled.csv")"
check "records unchanged" "$("$NETSIFT" dump --csv "$WORK/http/TCP.ncap.gz" | tail -n +2 | md5sum)" \
  "$(tail -n +2 "$WORK/http/TCP_labeled.csv" | sed 's/,[^,]*$//' | md5sum)"
check "Connection 1: first alert wins" "$SP3,Attempted Information Leak" \
  "$(col "$WORK/http/Connection_labeled.csv" 9 | grep "^$SP3,")"
check "Connection 2: normal" "$SP11,normal" "$(col "$WORK/http/Connection_labeled.csv" 9 | grep "^$SP11,")"
# (the unrelated alert at T3 meets the LinkFlow records, which have only a
# time span, after alert 1: shadowed)
check "summary: outside and shadowed alerts" 1 \
  "$(grep -c '2 labeled something, 1 matched only records an earlier alert labels, 1 outside the records.* time, 0 inside it matching no record' "$WORK/err")"

check "Ethernet: only the packets of the two alerts" "$T3,Attempted Information Leak
$T5,Web Application Attack" "$(col "$WORK/http/Ethernet_labeled.csv" 1 | grep -v ',normal$')"

{ head -1 "$A/eve.json"; head -1 "$A/eve.json"; } >"$A/twice.json"
run --alerts "$A/twice.json" --audit "$WORK/http"
check "the same alert twice: the second one is counted as shadowed" 1 \
  "$(grep -c '1 labeled something, 1 matched only records an earlier alert labels, 0 outside' "$WORK/err")"

# 2. --collect: both labels on the connection, joined in file order
run --alerts "$A/eve.json" --audit "$WORK/http" --collect
check "collect: exit" 0 $?
check "collect: Connection 1" "$SP3,Attempted Information Leak | Web Application Attack" \
  "$(col "$WORK/http/Connection_labeled.csv" 9 | grep "^$SP3,")"
check "collect: packet records keep one label" 2 "$(nonnormal "$WORK/http/TCP_labeled.csv")"

# 3. --strict: the connection has two alerts: an error naming both
# (the packet records at T3 are fine: the unrelated alert at T3 has other
# addresses, which the Ethernet record takes from its packet's IPv4 record)
run --alerts "$A/eve.json" --audit "$WORK/http" --strict
check "strict: exit 1" 1 $?
check "strict: names both alerts" 1 "$(grep -c 'Flow.ncap.gz record .* more than one alert: .*eve.json:1 \[1:1000001:1\].* and .*eve.json:2 \[1:1000002:1\]' "$WORK/err")"
check "strict: packet records passed" 0 "$(grep -c 'Ethernet.ncap.gz record\|TCP.ncap.gz record' "$WORK/err")"
check "strict: no half-labeled Flow CSV left" 0 "$(ls "$WORK/http" | grep -c '^Flow_labeled.csv$')"

# 4. --exclude: the first alert's class is ignored, the second one labels
run --alerts "$A/eve.json" --audit "$WORK/http" --exclude "attempted information leak,Nothing Else"
check "exclude: exit" 0 $?
check "exclude: Connection 1" "$SP3,Web Application Attack" "$(col "$WORK/http/Connection_labeled.csv" 9 | grep "^$SP3,")"
check "exclude: one TCP packet" 1 "$(nonnormal "$WORK/http/TCP_labeled.csv")"
check "exclude: counted" 1 "$(grep -c '1 excluded by classification' "$WORK/err")"
run --alerts "$A/eve.json" --audit "$WORK/http" --exclude "Attempted Information Leak,Web Application Attack" --strict
check "exclude both: strict passes" 0 $?

# 5. malformed lines: reported with file:line and skipped; fatal with --strict
run --alerts "$A/broken.json" --audit "$WORK/http"
check "malformed: exit" 0 $?
check "malformed: file and line" 1 "$(grep -c "broken.json:1: not JSON" "$WORK/err")"
check "malformed: the rest labels" 2 "$(nonnormal "$WORK/http/TCP_labeled.csv")"
run --alerts "$A/broken.json" --audit "$WORK/http" --strict
check "malformed + strict: exit 1" 1 $?

# 6. the labels table in headers.sqlite
run --alerts "$A/eve.json" --db-path "$WORK/httpdb"
check "db: exit" 0 $?
check "db summary: outside and unmatched alerts" 1 \
  "$(grep -c '2 labeled something, 0 matched only records an earlier alert labels, 1 outside the records.* time, 1 inside it matching no record' "$WORK/err")"
DB=$WORK/httpdb/headers.sqlite
check "db: tcp rows" "$T3|1000001|$S3|$SP3
$T5|1000002|$S5|$SP5" "$(sql "$DB" "SELECT l.timestamp, sid, src_ip, src_port FROM labels l JOIN tcp t ON t.rowid = l.row_id WHERE tbl = 'tcp' ORDER BY l.timestamp")"
check "db: labels joined to the tcp rows' ports" "$SP3|$DP3" \
  "$(sql "$DB" "SELECT t.source, t.dest FROM labels l JOIN tcp t ON t.rowid = l.row_id WHERE tbl = 'tcp' AND sid = 1000001")"
check "db: every table of the two frames" "eth|2
ip4|2
tcp|2" "$(sql "$DB" "SELECT tbl, count(*) FROM labels WHERE tbl != 'http' GROUP BY tbl")"
check "db: the HTTP transaction of connection 1" "$SP3|Attempted Information Leak" \
  "$(sql "$DB" "SELECT h.client_port, l.label FROM labels l JOIN http h ON h.rowid = l.row_id WHERE tbl = 'http'")"
run --alerts "$A/eve.json" --db-path "$WORK/httpdb" --collect
check "db: collect, a rerun replaces; not the 2001 alert" "1000001
1000002" "$(sql "$DB" "SELECT sid FROM labels WHERE tbl = 'http' ORDER BY sid")"

# 6b. rotated header files: the closed files' labels in labels.sqlite
# (with their file's name), headers.sqlite's in its own table; together the
# labels of one file, row for row
"$NETSIFT" capture -r "$HTTP" --db-path "$WORK/httprot" --no-monitor --batch-rows 20 \
  --db-rotate-size 64K -q > /dev/null 2>&1
closed=$(ls "$WORK/httprot/headers/" | grep -c '^headers-')
[ "$closed" -ge 3 ] && pass || fail "rotated: $closed closed header files"
run --alerts "$A/eve.json" --db-path "$WORK/httprot" --collect
check "rotated: exit" 0 $?
# each label with its row's key, from one file and from the rotated ones
one=$(for t in eth ip4 tcp http; do
  sql "$DB" "SELECT l.tbl, l.timestamp, l.label, l.sid, t.* FROM labels l JOIN $t t ON t.rowid = l.row_id WHERE l.tbl = '$t'"
done | sort)
rot=$(for f in "$WORK/httprot"/headers/headers-*.sqlite; do
  name=${f#"$WORK/httprot/"}
  for t in eth ip4 tcp http; do
    sqlite3 -batch -noheader "$WORK/httprot/labels.sqlite" "ATTACH '$f' AS h; SELECT l.tbl, l.timestamp, l.label, l.sid, t.* FROM labels l JOIN h.$t t ON t.rowid = l.row_id WHERE l.tbl = '$t' AND l.file = '$name'"
  done
done
for t in eth ip4 tcp http; do
  sql "$WORK/httprot/headers.sqlite" "SELECT l.tbl, l.timestamp, l.label, l.sid, t.* FROM labels l JOIN $t t ON t.rowid = l.row_id WHERE l.tbl = '$t'" 2>/dev/null
done | sort)
[ -n "$one" ] && pass || fail "rotated: no label in the single file"
check "rotated: the labels of the rotated files = those of one file" "$one" "$(sort <<< "$rot")"
# a planted DIR/labels.sqlite link is not followed: one line, exit 1, its target untouched
mv "$WORK/httprot/labels.sqlite" "$WORK/labels-real.sqlite"
echo untouched > "$WORK/victim"
ln -s "$WORK/victim" "$WORK/httprot/labels.sqlite"
run --alerts "$A/eve.json" --db-path "$WORK/httprot"
check "labels.sqlite a link: exit 1" 1 $?
check "labels.sqlite a link: one line about it" 1 "$(grep -c 'labels.sqlite' "$WORK/err")"
check "labels.sqlite a link: its target untouched" untouched "$(cat "$WORK/victim")"
rm "$WORK/httprot/labels.sqlite"
mv "$WORK/labels-real.sqlite" "$WORK/httprot/labels.sqlite"
check "rotated: the closed files are not written" 0 \
  "$(for f in "$WORK/httprot"/headers/headers-*.sqlite; do sql "$f" "SELECT count(*) FROM sqlite_master WHERE name = 'labels'"; done | awk '{ n += $1 } END { print n + 0 }')"

# 7. fast.log (Suricata) with the same alerts: the same CSV as eve.json
{
  fast "$T3" "$S3" "$SP3" "$D3" "$DP3" TCP 1000001 "Attempted Information Leak"
  fast "$T5" "$S5" "$SP5" "$D5" "$DP5" TCP 1000002 "Web Application Attack"
} >"$A/fast.log"
run --alerts "$A/eve.json" --audit "$WORK/http" --collect
cp "$WORK/http/Connection_labeled.csv" "$WORK/conn.eve.csv"
cp "$WORK/http/TCP_labeled.csv" "$WORK/tcp.eve.csv"
run --alerts "$A/fast.log" --audit "$WORK/http" --collect
check "fast.log: exit" 0 $?
check "fast.log: Connection as eve.json" "$(md5sum <"$WORK/conn.eve.csv")" "$(md5sum <"$WORK/http/Connection_labeled.csv")"
check "fast.log: TCP as eve.json" "$(md5sum <"$WORK/tcp.eve.csv")" "$(md5sum <"$WORK/http/TCP_labeled.csv")"

# 8. UDP (DNS capture), Snort's fast format without a year (the capture's year)
read -r U1 US1 USP1 UD1 UDP1 <<<"$(frame "$DNS" 1)"
read -r U4 US4 USP4 UD4 UDP4 <<<"$(frame "$DNS" 4)"
s=$((U4 / 1000000))
printf '%s.%06d  [**] [1:2000:3] SNORT dns reply [**] [Classification: Potentially Bad Traffic] [Priority: 2] {UDP} %s:%s -> %s:%s\n' \
  "$(date -u -d "@$s" +%m/%d-%H:%M:%S)" $((U4 % 1000000)) "$US4" "$USP4" "$UD4" "$UDP4" >"$A/snort.fast"
run --alerts "$A/snort.fast" --audit "$WORK/dns"
check "snort: exit" 0 $?
check "snort: UDP packet 4 only" "$U4,Potentially Bad Traffic" "$(col "$WORK/dns/UDP_labeled.csv" 1 | grep -v ',normal$')"
check "snort: its Connection (2 packets)" "$UDP4,Potentially Bad Traffic" \
  "$(col "$WORK/dns/Connection_labeled.csv" 9 | grep -v ',normal$')"
check "snort: DNS records" 1 "$(nonnormal "$WORK/dns/DNS_labeled.csv")"
eve "$U1" "$UD1" "$UDP1" "$US1" "$USP1" UDP 3000 "Reverse" >"$A/udp.json"   # reversed endpoints of packet 1
run --alerts "$A/udp.json" --audit "$WORK/dns"
check "udp eve, reversed endpoints: packet 1" "$U1,Reverse" "$(col "$WORK/dns/UDP_labeled.csv" 1 | grep -v ',normal$')"

# 9. usage and bad input
run --alerts "$A/none.json" --audit "$WORK/http"
check "missing alert file: exit 1" 1 $?
check "missing alert file: named" 1 "$(grep -c 'none.json' "$WORK/err")"
run --alerts "$A/eve.json"
check "no target: exit 2" 2 $?
run --alerts "$A/eve.json" --audit "$WORK/nothing-here"
check "empty audit dir: exit 1" 1 $?
run --alerts "$A/eve.json" --strict --collect --audit "$WORK/http"
check "strict+collect: exit 2" 2 $?
PATH=/nonexistent "$NETSIFT" label -r "$HTTP" --rules "$A/eve.json" --audit "$WORK/http" >/dev/null 2>"$WORK/err"
check "no suricata: exit 1" 1 $?
check "no suricata: said" 1 "$(grep -c 'suricata is not installed' "$WORK/err")"
"$NETSIFT" label --help | grep -q -- '--collect'
check "--help" 0 $?

# 10. -r/--rules with a stand-in suricata on the PATH (it checks its
# arguments and writes an eve.json into the -l directory, as Suricata does)
mkdir -p "$WORK/bin"
head -2 "$A/eve.json" >"$A/two.json"
echo 'alert tcp any any -> any any (msg:"x"; sid:1;)' >"$A/rules"
{
  echo '#!/usr/bin/env bash'
  echo "[ \"\$1 \$2 \$3 \$4 \$5\" = \"-r $HTTP -S $A/rules -l\" ] && [ -d \"\$6\" ] || exit 3"
  echo "cp '$A/two.json' \"\$6/eve.json\""
} >"$WORK/bin/suricata"
chmod +x "$WORK/bin/suricata"
PATH="$WORK/bin:$PATH" "$NETSIFT" label -r "$HTTP" --rules "$A/rules" --audit "$WORK/http" >/dev/null 2>"$WORK/err"
check "suricata run: exit" 0 $?
check "suricata run: its alerts label" 2 "$(nonnormal "$WORK/http/TCP_labeled.csv")"
check "suricata run: its logs removed" 0 "$(grep -c 'logs are kept' "$WORK/err")"
printf '#!/bin/sh\nexit 4\n' >"$WORK/bin/suricata"
PATH="$WORK/bin:$PATH" "$NETSIFT" label -r "$HTTP" --rules "$A/rules" --audit "$WORK/http" >/dev/null 2>"$WORK/err"
check "suricata failing: exit 1" 1 $?
check "suricata failing: said, log kept" 1 "$(grep -c 'suricata failed (status 4); its log is in /tmp/netsift-suricata' "$WORK/err")"
kept=$(grep -o '/tmp/netsift-suricata\.[A-Za-z0-9]*' "$WORK/err" | head -1)
[ -n "$kept" ] && [ -d "$kept" ] && rm -rf "$kept"

# 11. the scale benchmark's generator at a small size: the index agrees with
# a scan of every alert, and the command labels the files as in process
if [ -x "${BUILD_DIR:-}/label_bench" ]; then
  mkdir -p "$WORK/bench"
  "$BUILD_DIR/label_bench" "$WORK/bench" 20000 300 >"$WORK/bench.out"
  check "label_bench: index agrees with the scan" 1 "$(grep -c 'sample agrees: yes' "$WORK/bench.out")"
  run --alerts "$WORK/bench/eve.json" --audit "$WORK/bench"
  check "label_bench files: labeled" 0 $?
  check "label_bench files: every record" 20002 "$(cat "$WORK/bench"/*_labeled.csv | wc -l)"
  check "label_bench files: labeled as in process" "$(grep -o '([0-9]* labeled)' "$WORK/bench.out" | tr -dc 0-9)" \
    "$(cat "$WORK/bench"/*_labeled.csv | grep -c ',Class [0-9]*$')"
fi

finish
