#!/usr/bin/env bash
# test_audit.sh - audit records (capture --audit DIR, netsift dump).
#
# On a handful of corpus captures (Ethernet, VLAN and QinQ, Linux loopback,
# ARP, IPv4, IPv6, TCP, UDP, ICMP, ICMPv6, DNS, DHCP, TLS hellos):
#   - an independent reader (auditcheck.py: Python gzip + Google protobuf
#     with classes built from proto/netsift.proto) reads every file, so
#     every string is valid UTF-8 and the framing is the standard one;
#   - records per type == tshark's frames per protocol;
#   - Connection records == tshark -z conv,tcp / conv,udp;
#   - netsift dump --json prints exactly what the Python reader reads;
#   - --workers 1 and --workers 4 give the same records (multiset);
# and dump's CSV/--select/--header, truncated, corrupt and foreign files,
# files of a capture killed with SIGKILL,
# --encoders/--include/--exclude, unknown.pcap, errors.pcap and errors.log.
source "$(dirname "$0")/lib.sh"

D=$SHARED/pcaps/dev
CAPTURES=(
  "$D/ndpi/tests_cfgs_default_pcap_iphone.pcap"
  "$D/arkime/tests_pcap_twovlan.pcap"
  "$D/pcapplusplus/Tests_Pcap++Test_PcapExamples_VlanPackets.pcap"
  "$D/tcpdump/tests_802.1ad_QinQ.pcap"
  "$D/tcpdump/tests_dns-badvers.pcap"
  "$D/arkime/tests_pcap_krb5-tcp.pcap"
  "$D/tcpdump/tests_icmpv6-RFC2894-RR.pcap"
  "$D/tcpdump/tests_ip6-snmp-oid-unsigned.pcap"
)
ERRORS_PCAP=$D/tcpdump/tests_babel_update_oobr.pcap
for f in "${CAPTURES[@]}" "$ERRORS_PCAP"; do
  [ -f "$f" ] || { skip "corpus capture $f not found"; }
done

PY=
for p in python3 /usr/bin/python3; do
  if "$p" -c 'import google.protobuf' 2>/dev/null; then PY=$p; break; fi
done
if [ -z "$PY" ]; then
  fail "python3-protobuf is missing (scripts/install-deps.sh --test installs it)"
  finish; exit
fi
DESC=$WORK/netsift.desc
protoc-c --descriptor_set_out="$DESC" -I"$SRC_DIR/proto" "$SRC_DIR/proto/netsift.proto" ||
  fail "protoc-c --descriptor_set_out"
CHECK="$PY $SRC_DIR/tests/integration/auditcheck.py"
export LC_ALL=C

audit() { # audit PCAP DIR [options...]
  local pcap=$1 dir=$2
  shift 2
  "$NETSIFT" capture -r "$pcap" --no-db-write --no-monitor -q --audit "$dir" "$@" >"$dir.summary" 2>"$dir.err"
}

# 1. every capture: independent reader, tshark counts and conversations
i=0
for f in "${CAPTURES[@]}"; do
  i=$((i + 1))
  out=$WORK/c$i
  audit "$f" "$out" --audit-flow-timeout 100000 --json
  check "capture $(basename "$f") exit" 0 $?
  $CHECK counts "$DESC" "$out" "$f" 2>&1 | grep -v '^Running as'
  check "$(basename "$f"): records per type == tshark frames per protocol" 0 "${PIPESTATUS[0]}"
  $CHECK conv "$DESC" "$out" "$f" 2>&1 | grep -v '^Running as'
  check "$(basename "$f"): Connection records == tshark conv,tcp/udp" 0 "${PIPESTATUS[0]}"
done

# 2. the C reader (netsift dump --json) and the Python reader agree on
# every field of every record of every type (over all the captures)
for t in Ethernet Dot1Q ARP IPv4 IPv6 TCP UDP ICMPv4 ICMPv6 DNS DHCPv4 TLSClientHello TLSServerHello \
         Flow Connection LinkFlow NetworkFlow TransportFlow; do
  : >"$WORK/$t.c.json"
  for c in $(seq 1 ${#CAPTURES[@]}); do
    "$NETSIFT" dump --json "$WORK/c$c/$t.ncap.gz" >>"$WORK/$t.c.json" || fail "dump --json c$c/$t exit"
  done
  $CHECK records "$DESC" $(seq -f "$WORK/c%g/$t.ncap.gz" 1 ${#CAPTURES[@]}) >"$WORK/$t.py.json"
  same=$("$PY" -c 'import json,sys
a=[json.loads(l) for l in open(sys.argv[1])]; b=[json.loads(l) for l in open(sys.argv[2])]
print("same" if a == b and len(a) > 0 else "differ %d %d" % (len(a), len(b)))' "$WORK/$t.c.json" "$WORK/$t.py.json")
  check "$t: netsift dump and the Python reader read the same records" same "$same"
done
out=$WORK/c1
"$NETSIFT" dump --json "$out/TCP.ncap.gz" >"$WORK/TCP.c.json"
"$NETSIFT" dump --json "$out/Ethernet.ncap.gz" >"$WORK/Ethernet.c.json"
"$NETSIFT" dump --json "$out/Connection.ncap.gz" >"$WORK/Connection.c.json"
# the summary's record counts are what the files hold
n_tcp=$(grep -c . "$WORK/TCP.c.json")
check "summary TCP records" "$n_tcp" "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["audit"]["records"]["TCP"])' "$out.summary")"

# 3. --workers 1 and 4: the same records, also with payloads
mergecap -F pcap -w "$WORK/merged.pcap" "${CAPTURES[@]:0:3}" "$D/arkime/tests_pcap_krb5-tcp.pcap"
audit "$WORK/merged.pcap" "$WORK/w1" --workers 1 --payload
audit "$WORK/merged.pcap" "$WORK/w4" --workers 4 --payload
$CHECK same "$DESC" "$WORK/w1" "$WORK/w4"
check "--workers 1 and --workers 4 give the same records" 0 $?
check "Header says payloads" "ContainsPayloads: true" "$("$NETSIFT" dump --header "$WORK/w4/TCP.ncap.gz" | grep Contains)"
check "every file is valid gzip" "" "$(for g in "$WORK"/w4/*.gz; do gzip -t "$g" 2>&1; done)"

# 3b. finished flows leave the tables while a file is read at full speed:
# 60000 one-packet flows 1 ms apart with a 1 s timeout, at most 32768
# entries per table, and no tick during the run (--process-interval 60 s):
# without the sweep every 4096 packets the tables would fill.  The shared
# tables expire only what every worker has passed, so a worker running
# behind (a busy machine) holds entries back by up to its queue's worth
# of packets: --queue-size 256K keeps that to about 2,800 packets.
"$PY" "$SRC_DIR/tests/integration/make_pcap.py" many-flows "$WORK/many.pcap"
for w in 1 2; do
  audit "$WORK/many.pcap" "$WORK/many$w" --workers $w --audit-max-flows 32768 --audit-flow-timeout 1 \
    --process-interval 60000 --queue-size 256K --json
  check "many flows, --workers $w: exit" 0 $?
  check "many flows, --workers $w: no flow table overflow" 0 \
    "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["audit"]["flow_table_overflows"])' "$WORK/many$w.summary")"
  check "many flows, --workers $w: one Flow record per flow" 60000 \
    "$("$NETSIFT" dump --csv "$WORK/many$w/Flow.ncap.gz" | tail -n +2 | wc -l)"
done

# 4. dump: CSV, --select, --header, table
f=$WORK/c1/Connection.ncap.gz
n=$(grep -c . "$WORK/Connection.c.json")
csv=$("$NETSIFT" dump --csv "$f")
check "csv header" "TimestampFirst,TimestampLast,LinkProto,NetworkProto,TransportProto,SrcMAC,DstMAC,SrcIP,SrcPort,DstIP,DstPort,NumPackets,TotalSize,AppPayloadSize,Duration,ClientPackets,ServerPackets,ClientBytes,ServerBytes,ClientPayloadBytes,ServerPayloadBytes,SYNCount,FINCount,RSTCount,ACKCount,PSHCount,URGCount,CommunityID" "$(head -1 <<<"$csv")"
check "csv lines" "$((n + 1))" "$(wc -l <<<"$csv")"
check "--select" "SrcIP,dstport" "$("$NETSIFT" dump --csv --select SrcIP,dstport "$f" | head -1 | sed 's/DstPort/dstport/')"
first=$("$PY" -c 'import json,sys; r=json.loads(open(sys.argv[1]).readline()); print("%s,%d" % (r["SrcIP"], r["DstPort"]))' "$WORK/Connection.c.json")
check "--select values" "$first" "$("$NETSIFT" dump --csv --select SrcIP,DstPort "$f" | sed -n 2p)"
check "--header type" "Type: NC_Connection" "$("$NETSIFT" dump --header "$f" | grep '^Type')"
check "table lines" "$((n + 1))" "$("$NETSIFT" dump "$f" | wc -l)"
"$NETSIFT" dump --select Bogus "$f" >/dev/null 2>"$WORK/sel.err"
check "--select unknown field exit" 2 $?
grep -q "no field 'Bogus'" "$WORK/sel.err" || fail "--select unknown field message: $(cat "$WORK/sel.err")"

# 5. truncated, corrupt, foreign files
g=$WORK/c1/TCP.ncap.gz
size=$(stat -c %s "$g")
head -c $((size - 200)) "$g" >"$WORK/trunc.gz"
rows=$("$NETSIFT" dump --csv "$WORK/trunc.gz" 2>"$WORK/trunc.err" | wc -l)
check "truncated file exit" 0 "${PIPESTATUS[0]}"
grep -q "warning: .*truncated at offset [0-9]" "$WORK/trunc.err" || fail "truncated warning: $(cat "$WORK/trunc.err")"
[ "$rows" -gt 1 ] && [ "$rows" -le "$n_tcp" ] || fail "truncated file: $rows lines of $n_tcp records"
zcat "$g" 2>/dev/null | head -c 3000 | gzip >"$WORK/cut.gz"
"$NETSIFT" dump "$WORK/cut.gz" >/dev/null 2>"$WORK/cut.err"
check "file cut inside a record exit" 0 $?
grep -q "truncated at offset" "$WORK/cut.err" || fail "cut record warning: $(cat "$WORK/cut.err")"
cp "$g" "$WORK/corrupt.gz"
printf '\x00\x01\x02\x03\x04\x05\x06\x07' | dd of="$WORK/corrupt.gz" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
"$NETSIFT" dump "$WORK/corrupt.gz" >/dev/null 2>"$WORK/corrupt.err"
check "corrupt file exit" 1 $?
check "corrupt file: one error line naming the offset" 1 "$(grep -c 'offset [0-9]' "$WORK/corrupt.err")"
"$NETSIFT" dump "$ERRORS_PCAP" >/dev/null 2>"$WORK/foreign.err"
check "pcap given to dump exit" 1 $?
grep -q "not a gzip file .*offset 0" "$WORK/foreign.err" || fail "foreign file message: $(cat "$WORK/foreign.err")"
gzip -c "$ERRORS_PCAP" >"$WORK/foreign.gz"
"$NETSIFT" dump "$WORK/foreign.gz" >/dev/null 2>"$WORK/foreign2.err"
check "gzipped pcap given to dump exit" 1 $?
grep -q "offset 0" "$WORK/foreign2.err" || fail "gzipped foreign file message: $(cat "$WORK/foreign2.err")"
"$NETSIFT" dump >/dev/null 2>&1
check "dump without a file exit" 2 $?

# 6. encoder selection
check "--encoders lists every record type" 18 "$("$NETSIFT" capture --encoders | grep -c '^+ ')"
audit "${CAPTURES[0]}" "$WORK/inc" --include TCP,DNS
check "--include: only those files" "DNS.ncap.gz TCP.ncap.gz" "$(cd "$WORK/inc" && echo *.ncap.gz)"
audit "${CAPTURES[0]}" "$WORK/exc" --exclude IPv4
check "--exclude IPv4: no IPv4 file" "" "$(ls "$WORK/exc" | grep '^IPv4')"
check "--exclude IPv4: TCP only over IPv6" "$(tshark -n -r "${CAPTURES[0]}" -Y 'ipv6 && tcp' 2>/dev/null | wc -l)" \
  "$("$NETSIFT" dump --csv "$WORK/exc/TCP.ncap.gz" | tail -n +2 | wc -l)"
check "--exclude IPv4: Ethernet untouched" "$(grep -c . "$WORK/Ethernet.c.json")" \
  "$("$NETSIFT" dump --csv "$WORK/exc/Ethernet.ncap.gz" | tail -n +2 | wc -l)"
"$NETSIFT" capture -r "${CAPTURES[0]}" --audit "$WORK/bad" --include TCP,Nope >/dev/null 2>"$WORK/bad.err"
check "unknown encoder: a usage error (exit 2)" 2 $?
grep -q "unknown encoder 'Nope'" "$WORK/bad.err" || fail "unknown encoder message: $(cat "$WORK/bad.err")"

# 7. unknown.pcap, errors.pcap, errors.log
audit "$ERRORS_PCAP" "$WORK/err" --json
check "malformed packets: capture exit" 0 $?
nerr=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["audit"]["error_packets"])' "$WORK/err.summary")
nunk=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["audit"]["unknown_packets"])' "$WORK/err.summary")
[ "$nerr" -gt 0 ] || fail "no error packets in $ERRORS_PCAP"
check "errors.pcap packets" "$nerr" "$(tshark -r "$WORK/err/errors.pcap" 2>/dev/null | wc -l)"
check "unknown.pcap packets" "$nunk" "$(tshark -r "$WORK/err/unknown.pcap" 2>/dev/null | wc -l)"
log=$WORK/err/errors.log
check "errors.log: one timestamp line per packet" "$nerr" "$(grep -cE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$' "$log")"
check "errors.log: one Error line per packet" "$nerr" "$(grep -c '^Error: ' "$log")"
grep -q '^-- Layer ip4: bytes 14-34' "$log" || fail "errors.log: no layer lines"
grep -qE '^00000000  ([0-9a-f]{2} ){16} \|' "$log" || fail "errors.log: no hex dump"
check "errors.log: summary" "Summary: $nerr packets with errors" "$(grep '^Summary:' "$log")"
sum=$(sed -n '/^Summary:/,$p' "$log" | tail -n +2 | awk -F': ' '{s += $2} END {print s + 0}')
[ "$sum" -ge "$nerr" ] || fail "errors.log summary counts $sum < $nerr packets"
first_ts=$(sed -n 1p "$log")
check "errors.log: first entry is the first bad packet" \
  "$(tshark -r "$WORK/err/errors.pcap" -c 1 -T fields -e frame.time_epoch 2>/dev/null | cut -c1-17)" \
  "$(date -u -d "${first_ts%Z}" +%s.%N | cut -c1-17)"

# 8. a capture killed with SIGKILL (reading a FIFO that stays open): every
# file stays readable, and what was flushed on the process_interval tick
# is there.  The kill comes once the Ethernet file holds every packet's
# record (the capture idles on the FIFO, so the tick flushes them all),
# however long a loaded machine takes to get there.
frames=$(tshark -r "${CAPTURES[0]}" 2>/dev/null | wc -l)
ethernet_records() { "$NETSIFT" dump --csv "$WORK/killed/Ethernet.ncap.gz" 2>/dev/null | tail -n +2 | wc -l; }
mkfifo "$WORK/live.fifo"
(cat "${CAPTURES[0]}"; sleep 600) >"$WORK/live.fifo" &
writer=$!
"$NETSIFT" capture -r "$WORK/live.fifo" --no-db-write --no-monitor -q --process-interval 200 \
  --audit "$WORK/killed" >/dev/null 2>&1 &
victim=$!
for _ in $(seq 1 1200); do   # 10 minutes at most
  [ -f "$WORK/killed/Ethernet.ncap.gz" ] && [ "$(ethernet_records)" -ge "$frames" ] && break
  kill -0 "$victim" 2>/dev/null || break
  sleep 0.5
done
kill -9 "$victim"
{ wait "$victim"; } 2>/dev/null
pkill -P "$writer" 2>/dev/null   # its sleep: it holds the test's stderr
kill "$writer" 2>/dev/null
wait "$writer" 2>/dev/null
bad=0
for g in "$WORK"/killed/*.ncap.gz; do
  "$NETSIFT" dump --csv "$g" >/dev/null 2>>"$WORK/killed.err" || bad=$((bad + 1))
done
check "killed capture: every file readable" 0 "$bad"
check "killed capture: every packet's Ethernet record flushed" "$frames" "$(ethernet_records)"

finish
