#!/usr/bin/env bash
# test_sample.sh - the bundled sample capture: the generator reproduces it
# byte for byte, and netsift stores exactly the headers it holds (values
# known from how each frame was built, see sample/README.md).
source "$(dirname "$0")/lib.sh"

if [ -n "${GEN_SAMPLE:-}" ]; then
  "$GEN_SAMPLE" "$WORK/regen.pcap" >/dev/null
  if cmp -s "$WORK/regen.pcap" "$SRC_DIR/sample/sample.pcap"; then pass; else fail "generator output differs from sample/sample.pcap"; fi
fi

db="$WORK/db"
"$NETSIFT" capture -r "$SRC_DIR/sample/sample.pcap" --db-path "$db" --workers 1 --json > "$WORK/summary.json" 2>"$WORK/err"
check "exit status" 0 $?
H="$db/headers.sqlite"
py() { python3 -c "import json,sys; d=json.load(open('$WORK/summary.json')); print($1)"; }
check "packets" 82 "$(py "d['packets']")"
check "truncated packets" 1 "$(py "d['truncated_packets']")"
check "malformed ip4" 1 "$(py "d['malformed'].get('ip4', 0)")"
check "malformed dns (pointer loop)" 1 "$(py "d['malformed'].get('dns', 0)")"
check "malformed udp (length 200)" 1 "$(py "d['malformed'].get('udp', 0)")"

check "eth rows" 82 "$(sql "$H" 'SELECT count(*) FROM eth')"
check "arp rows" 3 "$(sql "$H" 'SELECT count(*) FROM arp')"
check "arp reply" "2|02:00:00:00:00:fe|192.0.2.1" "$(sql "$H" 'SELECT arp_op, arp_sha, arp_spa FROM arp WHERE arp_op = 2')"
check "dhcp messages" "1,2,3,5" "$(sql "$H" 'SELECT group_concat(msg_type) FROM (SELECT msg_type FROM dhcp ORDER BY timestamp)')"
check "dhcp discover host name and vendor class" "1" \
  "$(sql "$H" "SELECT count(*) FROM dhcp WHERE msg_type = 1 AND host_name IS NOT NULL AND vendor_class LIKE 'android-dhcp%' AND param_list LIKE '1,%'")"
check "dns PTR question" "1.0.0.10.in-addr.arpa|12" "$(sql "$H" "SELECT qname, qtype FROM dns WHERE qtype = 12 LIMIT 1")"
check "dns over tcp" 2 "$(sql "$H" 'SELECT count(*) FROM dns WHERE over_tcp = 1')"
check "mdns rows" 4 "$(sql "$H" 'SELECT count(*) FROM mdns')"
check "vlan ids (single, stacked)" "100||200|100" \
  "$(sql "$H" "SELECT group_concat(ifnull(vlan_id,'') || '|' || ifnull(vlan_id2,''), '|') FROM (SELECT DISTINCT vlan_id, vlan_id2 FROM eth WHERE vlan_id IS NOT NULL ORDER BY vlan_id2 IS NOT NULL)")"
check "ipv6 extension chain (hop-by-hop, dstopts, routing, AH)" "4|58" \
  "$(sql "$H" 'SELECT ext_count, upper_nxt FROM ip6 ORDER BY ext_count DESC LIMIT 1')"
check "ipv4 fragments: only the first carries udp" 1 \
  "$(sql "$H" "SELECT count(*) FROM udp JOIN ip4 USING (timestamp) WHERE ip4.ip_off & 0x3fff != 0")"
check "every table row joins to an eth row" 0 \
  "$(sql "$H" "SELECT (SELECT count(*) FROM tcp t LEFT JOIN eth e ON e.hash = t.ethh_hash AND e.timestamp = t.timestamp WHERE e.hash IS NULL) + (SELECT count(*) FROM dns t LEFT JOIN eth e ON e.hash = t.ethh_hash AND e.timestamp = t.timestamp WHERE e.hash IS NULL)")"
check "text is valid UTF-8 everywhere" "ok" "$(python3 - "$H" <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall():
    con.execute(f"SELECT * FROM {t}").fetchall()   # raises on invalid UTF-8
print("ok")
PY
)"
check "integrity" ok "$(sql "$H" 'PRAGMA integrity_check')"

# headers.sqlite is made with 64 KiB pages; --workers defaults to the cores
check "headers.sqlite page size" 65536 "$(sql "$H" 'PRAGMA page_size')"
"$NETSIFT" capture -q -r "$SRC_DIR/sample/sample.pcap" --db-path "$WORK/wd" --json > "$WORK/wd.json" 2>/dev/null
check "default workers = cores" "$(nproc)" "$(python3 -c "import json; print(json.load(open('$WORK/wd.json'))['workers'])")"

# any number of workers stores exactly the same rows
dump_tables() {
  for t in eth arp ip4 ip6 tcp udp icmp4 icmp6 dns mdns dhcp; do
    sqlite3 -batch "$1" "SELECT * FROM $t ORDER BY hash, timestamp, ethh_hash"
  done
}
# (64 is the most --workers takes: 130 batches in circulation)
for n in 3 64; do
  "$NETSIFT" capture -q -r "$SRC_DIR/sample/sample.pcap" --db-path "$WORK/w$n" --workers $n > /dev/null
  check "--workers $n: exit status" 0 $?
  if [ "$(dump_tables "$H" | md5sum)" = "$(dump_tables "$WORK/w$n/headers.sqlite" | md5sum)" ]; then pass; else fail "--workers $n stores different rows than --workers 1"; fi
done

# a second capture into the same database: every frame has the key of a
# stored row, so it is merged into that row (frames 2) and nothing is new
"$NETSIFT" capture -r "$SRC_DIR/sample/sample.pcap" --db-path "$db" --json > "$WORK/again.json" 2>/dev/null
check "second run stores nothing new" 0 "$(python3 -c "import json; print(json.load(open('$WORK/again.json'))['headers']['rows_stored']['total'])")"
check "second run: every frame merged" 82 "$(python3 -c "import json; print(json.load(open('$WORK/again.json'))['headers']['frames_merged']['eth'])")"
check "eth rows unchanged" 82 "$(sql "$H" 'SELECT count(*) FROM eth')"
check "every eth row stands for both reads" "164 $((2 * $(sql "$WORK/w3/headers.sqlite" 'SELECT sum(length) FROM eth')))" \
  "$(sql "$H" "SELECT sum(frames) || ' ' || sum(coalesce(merged_bytes, length)) FROM eth")"

# a progress bar on a terminal only (script(1) gives netsift a pseudo-terminal)
shifted_copies 40 "$WORK/progress.pcap"
if command -v script >/dev/null; then
  script -qec "$NETSIFT capture -r $WORK/progress.pcap -d $WORK/pdb --process-interval 1 > /dev/null" /dev/null > "$WORK/tty.out" 2>&1
  if grep -q '% \[' "$WORK/tty.out"; then pass; else fail "no progress bar on a terminal: $(head -c 300 "$WORK/tty.out")"; fi
fi
"$NETSIFT" capture -r "$WORK/progress.pcap" -d "$WORK/pdb2" > /dev/null 2> "$WORK/notty.err"
check "no progress output when stderr is not a terminal" 0 "$(wc -c < "$WORK/notty.err")"

# output folders inside a database folder that does not exist yet
"$NETSIFT" capture -q -r "$SRC_DIR/sample/sample.pcap" -d "$WORK/fresh" --audit "$WORK/fresh/audit" \
  --extract-files "$WORK/fresh/files" --streams "$WORK/fresh/flows" > /dev/null
check "audit, files and flows folders inside a new db path: exit status" 0 $?
check "... all three made" "yes yes yes" "$(for d in audit files flows; do [ -d "$WORK/fresh/$d" ] && echo -n yes || echo -n no; [ $d != flows ] && echo -n ' '; done)"

# the schema reference in docs/ is the one the binary generates
"$NETSIFT" schema --markdown > "$WORK/schema.md"
if cmp -s "$WORK/schema.md" "$SRC_DIR/docs/schema.md"; then pass; else fail "docs/schema.md is stale: run 'make docs'"; fi
# bursts of identical frames in one microsecond (real captures): every
# frame is counted, and the frames and bytes per source MAC, the query
# the specification's key used to short, equal tshark's
D=$SHARED/pcaps/dev
for f in ndpi/tests_cfgs_default_pcap_dnp3.pcap ndpi/tests_cfgs_default_pcap_agora-sd-rtn.pcap \
         arkime/tests_pcap_socks5-http-302-frag.pcap; do
  [ -f "$D/$f" ] || { echo "skip: $f not in the corpus"; continue; }
  b=$WORK/burst-$(basename "$f")
  "$NETSIFT" capture -q -r "$D/$f" -d "$b" --no-monitor > /dev/null 2>&1
  check "$f: exit" 0 $?
  rows=$(sql "$b/headers.sqlite" 'SELECT count(*) FROM eth')
  frames=$(sql "$b/headers.sqlite" 'SELECT sum(frames) FROM eth')
  [ "$rows" -lt "$frames" ] && pass || fail "$f: no burst merged ($rows rows, $frames frames)"
  check "$f: sum(frames) = capinfos' packets" "$(capinfos -c -M "$D/$f" | awk '/Number of packets/ {print $NF}')" "$frames"
  check "$f: frames and bytes per source MAC = tshark's" \
    "$(tshark -r "$D/$f" -T fields -e eth.src -e frame.len 2>/dev/null |
       awk '{n[$1]++; b[$1] += $2} END {for (m in n) print m "|" n[m] "|" b[m]}' | sort)" \
    "$(sql "$b/headers.sqlite" 'SELECT ether_shost, sum(frames), sum(coalesce(merged_bytes, length)) FROM eth GROUP BY 1' | sort)"
done

# compressed captures and standard input give what the file gives
one=$WORK/plain
"$NETSIFT" capture -q -r "$SRC_DIR/sample/sample.pcap" -d "$one" > /dev/null 2>&1
gzip -c "$SRC_DIR/sample/sample.pcap" > "$WORK/sample.pcap.gz"
"$NETSIFT" capture -q -r "$WORK/sample.pcap.gz" -d "$WORK/gz" > /dev/null 2>&1
check ".pcap.gz: exit" 0 $?
"$NETSIFT" capture -q -r - -d "$WORK/stdin" < "$SRC_DIR/sample/sample.pcap" > /dev/null 2>&1
check "-r - from a file: exit" 0 $?
gzip -c "$SRC_DIR/sample/sample.pcap" | zcat | "$NETSIFT" capture -q -r - -d "$WORK/pipe" > /dev/null 2>&1
check "-r - from a pipe: exit" 0 $?
for d in gz stdin pipe; do
  for t in eth ip4 tcp udp dns http; do
    check "$d: $t rows as from the file" "$(sql "$one/headers.sqlite" "SELECT * FROM $t ORDER BY 1, 2, 3" | md5sum)" \
      "$(sql "$WORK/$d/headers.sqlite" "SELECT * FROM $t ORDER BY 1, 2, 3" | md5sum)"
  done
done

finish
