#!/usr/bin/env bash
# test_interop.sh - Community ID and SQL-to-pcap extraction, against tshark.
#
#  - Community ID: on a few corpus captures (TCP, UDP, ICMP, ICMPv6, SCTP,
#    tunnels) every community_id netsift stores (tcp/udp/icmp4/icmp6 rows,
#    meta rows) equals tshark's `communityid` of that frame, header and meta
#    rows agree, and each flow has one value for both directions
#    (interop.py cid); --community-id-seed changes the values; monitor flows
#    and fingerprints carry their packets' value;
#  - JA4 of every fingerprinted TLS client hello equals JA4 computed from
#    tshark's dissection (interop.py ja4); the devices' locally administered
#    flag and DHCP grouping;
#  - extract --sql: the packets equal tshark -Y of the equivalent display
#    filter (timestamp, length, caplen, SHA-256) on several captures and
#    queries, a join included (interop.py sql); --community-id gives the
#    flow's packets (tshark: communityid == ID);
#  - selected packets whose pcap file retention removed are counted, exit 0;
#  - refusals: anything but one read-only SELECT (INSERT, DROP, two
#    statements, ATTACH, PRAGMA, a query without the key columns) exits 2
#    with one line on stderr and leaves the database untouched.
source "$(dirname "$0")/lib.sh"

N="$NETSIFT"
IO=(python3 "$SRC_DIR/tests/integration/interop.py")
D="$SHARED/pcaps/dev"
if [ ! -d "$D" ] || ! command -v tshark >/dev/null; then
  skip "needs the shared corpus and tshark"
fi
KX="$D/ndpi/tests_cfgs_default_pcap_1kxun.pcap"

# io DESC ARGS...: an interop.py check
io() {
  local desc=$1; shift
  if "${IO[@]}" "$@" > "$WORK/io.txt" 2>&1; then pass; else fail "$desc: $(head -5 "$WORK/io.txt")"; fi
}

# ---- Community ID against tshark ----
io "community id vs tshark" cid --netsift "$N" "$KX" \
  "$D/ndpi/tests_cfgs_default_pcap_443-chrome.pcap" "$D/ndpi/tests_cfgs_default_pcap_NTPv4.pcap" \
  "$D/arkime/tests_pcap_sctp-www.pcap" "$D/ndpi/tests_cfgs_default_pcap_icmp-tunnel.pcap" \
  "$D/pcapplusplus/Tests_Packet++Test_PacketExamples_IcmpV6_Generic.pcap" \
  "$D/pcapplusplus/Tests_Packet++Test_PacketExamples_IcmpPackets.pcap" \
  "$D/ndpi/tests_cfgs_default_pcap_6in4tunnel.pcap" "$D/tcpdump/tests_icmpv6.pcap"
compared=$(grep -o '^[0-9]* frames compared' "$WORK/io.txt" | awk '{print $1}')
[ "${compared:-0}" -gt 2000 ] && pass || fail "community id: only ${compared:-0} frames compared"

"$N" capture -q -r "$KX" -d "$WORK/kx" --file-write --no-monitor > /dev/null 2>&1
check "capture exit status" 0 $?
"$N" capture -q -r "$KX" -d "$WORK/kx1" --no-monitor --community-id-seed 1 > /dev/null 2>&1
q='SELECT community_id FROM tcp ORDER BY frame LIMIT 1'
s0=$(sql "$WORK/kx/headers.sqlite" "$q"); s1=$(sql "$WORK/kx1/headers.sqlite" "$q")
[ -n "$s0" ] && [ -n "$s1" ] && [ "$s0" != "$s1" ] && pass || fail "seed 1 should change '$s0' ($s1)"
check "every tcp row has a community id" 0 "$(sql "$WORK/kx/headers.sqlite" 'SELECT count(*) FROM tcp WHERE community_id IS NULL')"
check "frame numbers are unique" "$(sql "$WORK/kx/pcap-meta.sqlite" 'SELECT count(*) FROM meta')" \
  "$(sql "$WORK/kx/pcap-meta.sqlite" 'SELECT count(DISTINCT frame) FROM meta')"

# monitor flows and fingerprints carry the flow's Community ID: the packets' value
"$N" capture -q -r "$KX" -d "$WORK/kxm" --flow-log > /dev/null 2>&1
check "monitor capture exit status" 0 $?
sqlite3 -batch -noheader "$WORK/kxm/fingerprint.sqlite" "ATTACH '$WORK/kxm/headers.sqlite' AS h;
  SELECT count(*), sum(community_id IN (SELECT community_id FROM h.tcp UNION SELECT community_id FROM h.udp))
  FROM flows WHERE ip_proto IN (6, 17);
  SELECT count(*) FROM flows WHERE ip_proto IN (6, 17) AND community_id IS NULL;
  SELECT count(*), sum(community_id IN (SELECT community_id FROM flows)) FROM fingerprint;" > "$WORK/mon.txt"
read -r fl_counts < <(sed -n 1p "$WORK/mon.txt")
IFS='|' read -r nflows nfound <<< "$fl_counts"
[ "${nflows:-0}" -gt 50 ] && pass || fail "monitor: only ${nflows:-0} TCP/UDP flows"
check "every TCP/UDP flow's community id is its packets'" "$nflows" "$nfound"
check "no TCP/UDP flow without a community id" 0 "$(sed -n 2p "$WORK/mon.txt")"
IFS='|' read -r nfp nfpfound <<< "$(sed -n 3p "$WORK/mon.txt")"
check "fingerprint rows carry their flow's community id" "$nfp" "$nfpfound"

# randomized MACs: the locally administered flag, grouping by DHCP client id / host name
"$N" capture -q -r "$SRC_DIR/sample/sample.pcap" -d "$WORK/smp" --flow-log > /dev/null 2>&1
check "locally administered flag = the 0x02 bit" 0 "$(sql "$WORK/smp/fingerprint.sqlite" \
  "SELECT count(*) FROM devices WHERE locally_administered != (substr(mac, 2, 1) IN ('2','3','6','7','a','b','e','f'))")"
check "locally administered flag = the 0x02 bit (1kxun)" 0 "$(sql "$WORK/kxm/fingerprint.sqlite" \
  "SELECT count(*) FROM devices WHERE locally_administered != (substr(mac, 2, 1) IN ('2','3','6','7','a','b','e','f'))")"
check "1kxun: vendor MACs are not flagged" 1 "$(sql "$WORK/kxm/fingerprint.sqlite" "SELECT count(*) > 0 FROM devices WHERE locally_administered = 0")"
check "sample: the DHCP client's group" "dhcp-client-id:01:02:00:00:00:00:05" \
  "$(sql "$WORK/smp/fingerprint.sqlite" "SELECT device_group FROM devices WHERE mac = '02:00:00:00:00:05'")"
check "flows: src_mac_local" 0 "$(sql "$WORK/smp/fingerprint.sqlite" \
  "SELECT count(*) FROM flows AS f JOIN devices AS d ON d.mac = f.src_mac WHERE f.src_mac_local != d.locally_administered")"
check "fingerprint: mac_local" 0 "$(sql "$WORK/smp/fingerprint.sqlite" \
  "SELECT count(*) FROM fingerprint AS f JOIN devices AS d ON d.mac = f.mac WHERE f.mac_local != d.locally_administered")"

# http transactions and audit Connection/Flow records carry their packets' Community ID
HT="$D/ndpi/tests_cfgs_default_pcap_http-manipulated.pcap"
[ -f "$HT" ] || HT=$(ls "$D"/*/*http*.pcap | head -1)
"$N" capture -q -r "$HT" -d "$WORK/ht" --no-monitor --audit "$WORK/ht-audit" > /dev/null 2>&1
check "http capture exit status" 0 $?
check "http rows: some" 1 "$(sql "$WORK/ht/headers.sqlite" 'SELECT count(*) > 0 FROM http')"
check "every http row's community id is its connection's tcp rows'" 0 "$(sql "$WORK/ht/headers.sqlite" \
  "SELECT count(*) FROM http WHERE community_id IS NULL OR community_id NOT IN (SELECT community_id FROM tcp WHERE (source = client_port AND dest = server_port) OR (source = server_port AND dest = client_port))")"
"$N" dump --csv --select CommunityID "$WORK/ht-audit/Connection.ncap.gz" | tail -n +2 | sort -u > "$WORK/conn-cid.txt"
"$N" dump --csv --select CommunityID,TransportProto "$WORK/ht-audit/Flow.ncap.gz" | grep -E ',(TCP|UDP)$' | cut -d, -f1 | sort -u > "$WORK/flow-cid.txt"
sql "$WORK/ht/headers.sqlite" "SELECT community_id FROM tcp UNION SELECT community_id FROM udp" | sort -u > "$WORK/hdr-cid.txt"
check "audit Connection records: the tcp/udp rows' community ids" "$(cat "$WORK/hdr-cid.txt")" "$(cat "$WORK/conn-cid.txt")"
check "audit Flow records (TCP, UDP): the same community ids" "$(cat "$WORK/hdr-cid.txt")" "$(cat "$WORK/flow-cid.txt")"

# ---- TCP gaps: packets lost before netsift, as tshark's lost_segment ----
editcap "$KX" "$WORK/cut.pcap" $(seq 5 37 1600)
for f in "$KX" "$WORK/cut.pcap"; do
  rm -rf "$WORK/gap"
  "$N" capture -q -r "$f" -d "$WORK/gap" --flow-log --json > "$WORK/gap.json" 2>/dev/null
  ours=$(python3 -c "import json; print(json.load(open('$WORK/gap.json'))['monitor']['tcp_gaps'])")
  theirs=$(tshark -n -r "$f" -Y tcp.analysis.lost_segment 2>/dev/null | wc -l)
  check "tcp gaps = tshark lost segments ($(basename "$f"))" "$theirs" "$ours"
  check "flows rows add up to the summary ($(basename "$f"))" "$ours" \
    "$(sql "$WORK/gap/fingerprint.sqlite" 'SELECT total(tcp_gaps) FROM flows' | cut -d. -f1)"
done
[ "${ours:-0}" -ge 20 ] && pass || fail "cut capture: only ${ours:-0} gaps"

# ---- JA4 of TLS client hellos: as computed from tshark's fields ----
mapfile -t tls_pcaps < <(ls "$D"/ndpi/*.pcap | grep -i -E 'chrome|firefox|google_ssl|tls|ssl|https|443' | head -30)
io "ja4 vs tshark fields" ja4 --netsift "$N" "${tls_pcaps[@]}"
hellos=$(grep -o '^[0-9]* client hellos compared' "$WORK/io.txt" | awk '{print $1}')
[ "${hellos:-0}" -ge 30 ] && pass || fail "ja4: only ${hellos:-0} client hellos compared"

# ---- extract --sql against tshark -Y ----
io "sql: tcp syn" sql --netsift "$N" "$KX" "SELECT * FROM tcp WHERE syn = 1 AND ack = 0" "tcp.flags.syn==1 && tcp.flags.ack==0"
io "sql: udp dns" sql --netsift "$N" "$KX" "SELECT * FROM udp WHERE dest = 53" "udp.dstport==53 && !icmp"
io "sql: join tcp/ip4" sql --netsift "$N" "$KX" \
  "SELECT t.* FROM tcp AS t JOIN ip4 AS i ON i.timestamp = t.timestamp AND i.ethh_hash = t.ethh_hash AND i.frame = t.frame WHERE i.ip_dst = '192.168.5.16' AND t.payload_len > 0" \
  "ip.dst == 192.168.5.16 && tcp.len > 0"
io "sql: ip4 length" sql --netsift "$N" "$D/ndpi/tests_cfgs_default_pcap_443-chrome.pcap" "SELECT * FROM ip4 WHERE ip_len > 1000" "ip.len > 1000"
io "sql: icmp6 type" sql --netsift "$N" "$D/pcapplusplus/Tests_Packet++Test_PacketExamples_IcmpV6_NeighAdvSoli.pcap" \
  "SELECT * FROM icmp6 WHERE icmp6_type = 136" "icmpv6.type == 136"
io "sql: dns over tcp" sql --netsift "$N" "$D/tcpdump/tests_dns_tcp.pcap" "SELECT * FROM dns WHERE over_tcp = 1" "dns && tcp"

# --community-id: the flow's packets, as tshark's communityid field
cid=$(sql "$WORK/kx/headers.sqlite" "SELECT community_id FROM tcp GROUP BY community_id ORDER BY count(*) DESC LIMIT 1")
"$N" extract -q -d "$WORK/kx" -w "$WORK/flow.pcap" --community-id "$cid"
check "--community-id exit status" 0 $?
tshark -n -r "$KX" --enable-protocol communityid -Y "communityid == \"$cid\"" -F pcap -w "$WORK/flow-ref.pcap" 2>/dev/null
if python3 "$SRC_DIR/tests/integration/rawcheck.py" same "$WORK/flow-ref.pcap" "$WORK/flow.pcap" > "$WORK/same.txt"; then pass; else fail "--community-id: $(head -3 "$WORK/same.txt")"; fi

# ---- retention removed some files: counted, not fatal ----
"$N" capture -q -r "$KX" -d "$WORK/ret" --file-write --no-monitor -w 1 --pcap-rotate-size 100K --pcap-max-size 300K > /dev/null 2>&1
"$N" extract -d "$WORK/ret" -w "$WORK/ret.pcap" --sql "SELECT * FROM tcp" 2> "$WORK/ret.err"
check "retention: exit status" 0 $?
sel=$(sed -n 's/.*--sql selected \([0-9]*\) header rows; \([0-9]*\) of them.*/\1 \2/p' "$WORK/ret.err")
written=$(tshark -r "$WORK/ret.pcap" 2>/dev/null | wc -l)
set -- $sel
[ "${2:-0}" -gt 0 ] && pass || fail "retention: no selected row counted as removed: $(cat "$WORK/ret.err")"
check "retention: written + not stored = selected" "${1:-x}" "$((written + ${2:-0}))"

# ---- refusals: one line on stderr, exit status 2, database untouched ----
before=$(sha256sum "$WORK/kx/headers.sqlite" | cut -d' ' -f1)
while IFS='|' read -r name text query; do
  name=$(echo "$name" | xargs); text=$(echo "$text" | sed 's/^ *//;s/ *$//'); query=$(echo "$query" | sed 's/^ *//')
  query=${query//WORKDIR/$WORK} # the heredoc is quoted: the ATTACH names a real path here
  "$N" extract -q -d "$WORK/kx" -w "$WORK/refused.pcap" --sql "$query" > /dev/null 2> "$WORK/err"
  check "$name: exit status" 2 $?
  if grep -qF -- "$text" "$WORK/err"; then pass; else fail "$name: stderr lacks '$text': $(cat "$WORK/err")"; fi
  check "$name: one line on stderr" 1 "$(wc -l < "$WORK/err")"
  grep -qE 'AddressSanitizer|runtime error' "$WORK/err" && fail "$name: sanitizer report"
done <<'ROWS'
insert         | refused | INSERT INTO tcp (hash, timestamp, ethh_hash) VALUES (1, 2, 3)
delete         | refused | DELETE FROM tcp
drop           | refused | DROP TABLE tcp
update         | refused | UPDATE tcp SET syn = 1
two statements | more than one statement | SELECT * FROM tcp; SELECT * FROM udp
select; drop   | more than one statement | SELECT * FROM tcp; DROP TABLE tcp
attach         | refused | ATTACH DATABASE 'WORKDIR/evil.sqlite' AS evil
pragma         | refused | PRAGMA writable_schema = 1
create         | refused | CREATE TABLE x (a)
no key columns | must return the columns timestamp and ethh_hash | SELECT source, dest FROM tcp
syntax error   | refused | SELEC * FROM tcp
empty          | refused | ;
ROWS
check "refusals left the database alone" "$before" "$(sha256sum "$WORK/kx/headers.sqlite" | cut -d' ' -f1)"
[ -e "$WORK/evil.sqlite" ] || [ -e WORKDIR ] && fail "ATTACH created a file" || pass
"$N" extract -q -d "$WORK/kx" -w "$WORK/x.pcap" --community-id 'not-an-id' 2> "$WORK/err"
check "bad --community-id: exit status" 2 $?
check "bad --community-id: one line" 1 "$(wc -l < "$WORK/err")"
"$N" capture -q -r "$SRC_DIR/sample/sample.pcap" -d "$WORK/bad" --community-id-seed 70000 2> "$WORK/err"
check "--community-id-seed 70000: exit status" 2 $?
grep -q "0 to 65535" "$WORK/err" && pass || fail "--community-id-seed 70000: $(cat "$WORK/err")"
"$N" capture -q -r "$SRC_DIR/sample/sample.pcap" -d "$WORK/bad" --queue-size 10K 2> "$WORK/err"
check "--queue-size 10K: exit status" 2 $?
check "--queue-size 10K: one line" 1 "$(wc -l < "$WORK/err")"
"$N" extract -q -d "$WORK/kx" -w "$WORK/x.pcap" --sql "SELECT * FROM tcp  -- trailing comment" 2> "$WORK/err"
check "a trailing comment is fine" 0 $?
finish
