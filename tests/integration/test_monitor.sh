#!/usr/bin/env bash
# test_monitor.sh - the device monitor end to end:
#   1. the sample capture's fingerprint rows, exactly (the specification's
#      DNS example among them), the devices it finds, one worker or two;
#   2. key collisions bump the timestamp instead of dropping a row;
#      --max-flows evicts; --no-monitor writes nothing; --flow-log; the
#      rows of 60,000 flows ending at once go out in memory-sized batches;
#      past a quarter of the flow table, flows get no nDPI state;
#   3. netsift query --db-path with no capture running;
#   4. the control socket of a running capture (monitor_control.py);
#   5. with ../shared: per-flow protocol against ndpiReader 4.2 on the nDPI
#      corpus (ndpidiff.py, allow-list ndpi-allow.txt, report
#      docs/ndpi-agreement.md) and TLS/SSH/QUIC inputs against nDPI's
#      (ja3diff.py);
#   6. with ../shared and tshark: SNI, JA3, JA3S, HTTP Host and DNS-over-TCP
#      names read from TCP streams against tshark's, on the captures whose
#      hellos span segments, also replayed reversed and with a retransmission
#      (tcpinputs.py).
source "$(dirname "$0")/lib.sh"
here="$SRC_DIR/tests/integration"
sample="$SRC_DIR/sample/sample.pcap"

capture() { "$NETSIFT" capture -q -r "$sample" --no-db-write --control none --flow-log "$@"; }
fp_rows() { sql "$1/fingerprint.sqlite" "SELECT mac, protocol, fingerprint, timestamp, ifnull(query, '') FROM fingerprint ORDER BY timestamp, mac"; }

# ---- 1. the sample --------------------------------------------------------
capture --db-path "$WORK/s1" --workers 1 > "$WORK/s1.out" || fail "capture of the sample failed"
cat > "$WORK/expected" <<'EOF'
02:00:00:00:00:05|DHCP|gUQypPQGMv5r+DyyENs2JHjpUzukqV5eQSPChCYA3uo|1700000000003000|pixel-7
02:00:00:00:00:01|DNS|gPwPuSZtt7g/hYUPoOZUi21w7mjItbQS8d7qbr3vBAQ|1700000000007000|www.example.com
02:00:00:00:00:fe|DNS|gPwPuSZtt7g/hYUPoOZUi21w7mjItbQS8d7qbr3vBAQ|1700000000007000|www.example.com
02:00:00:00:00:01|DNS|gPwPuSZtt7g/hYUPoOZUi21w7mjItbQS8d7qbr3vBAQ|1700000000009000|www.example.com
02:00:00:00:00:fe|DNS|gPwPuSZtt7g/hYUPoOZUi21w7mjItbQS8d7qbr3vBAQ|1700000000009000|www.example.com
02:00:00:00:00:05|DNS|NqRTRWiNdfG4zMkiXE9P0eRQIefPgMYV/vXUymxdvNw|1700000000011000|1.0.0.10.in-addr.arpa
02:00:00:00:00:0a|DNS|NqRTRWiNdfG4zMkiXE9P0eRQIefPgMYV/vXUymxdvNw|1700000000011000|1.0.0.10.in-addr.arpa
02:00:00:00:00:01|HTTP|1fUXPkkBkYoKg3AMfqL1rHqDFVJyXCpiGb8BPHTEcEY|1700000000020000|www.example.com
02:00:00:00:00:fe|HTTP|1fUXPkkBkYoKg3AMfqL1rHqDFVJyXCpiGb8BPHTEcEY|1700000000020000|www.example.com
02:00:00:00:00:01|DNS|v6vDdDKViwYzYNOtZGHJxHNa5/jt1GWSpeDwFFKy5LU|1700000000030000|example.org
02:00:00:00:00:fe|DNS|v6vDdDKViwYzYNOtZGHJxHNa5/jt1GWSpeDwFFKy5LU|1700000000030000|example.org
02:00:00:00:00:01|MDNS|t9HLEz1hhSmEl53Xf55WJNBhgYXdgUdExlqa4jVJqMM|1700000000071000|_googlecast._tcp.local
02:00:00:00:00:01|MDNS|t9HLEz1hhSmEl53Xf55WJNBhgYXdgUdExlqa4jVJqMM|1700000000073000|_googlecast._tcp.local
EOF
fp_rows "$WORK/s1" > "$WORK/got"
if diff "$WORK/expected" "$WORK/got" > "$WORK/diff"; then pass; else cat "$WORK/diff"; fail "sample fingerprint rows differ"; fi
check "the specification's DNS example row" \
  "02:00:00:00:00:0a|DNS|NqRTRWiNdfG4zMkiXE9P0eRQIefPgMYV/vXUymxdvNw|1.0.0.10.in-addr.arpa" \
  "$(sql "$WORK/s1/fingerprint.sqlite" "SELECT mac, protocol, fingerprint, query FROM fingerprint WHERE mac = '02:00:00:00:00:0a'")"
# the specification's columns first, in its order, and its key; netsift's additions after them
check "fingerprint table schema" \
  "CREATE TABLE fingerprint (mac TEXT NOT NULL, protocol TEXT, fingerprint TEXT, timestamp INTEGER NOT NULL, query TEXT, | PRIMARY KEY (mac, timestamp))" \
  "$(sql "$WORK/s1/fingerprint.sqlite" "SELECT sql FROM sqlite_master WHERE name = 'fingerprint'" | sed -E 's/(query TEXT, ).*(PRIMARY KEY)/\1| \2/')"
check "devices found" "02:00:00:00:00:01 02:00:00:00:00:05 02:00:00:00:00:06 02:00:00:00:00:0a 02:00:00:00:00:fe" \
  "$(sql "$WORK/s1/fingerprint.sqlite" "SELECT group_concat(mac, ' ') FROM (SELECT mac FROM devices ORDER BY mac)")"
check "DHCP client device" "1700000000003000|10.0.0.42|pixel-7|android-dhcp-13|DHCP,DNS|2" \
  "$(sql "$WORK/s1/fingerprint.sqlite" "SELECT first_seen, ips, dhcp_host_name, dhcp_vendor_class, protocols, fingerprints FROM devices WHERE mac = '02:00:00:00:00:05'")"
check "mDNS responder device" "192.0.2.50,fe80::50|MDNS" \
  "$(sql "$WORK/s1/fingerprint.sqlite" "SELECT ips, protocols FROM devices WHERE mac = '02:00:00:00:00:06'")"
check "flows: one row per flow" "32" "$(sql "$WORK/s1/fingerprint.sqlite" "SELECT count(*) FROM flows")"
check "flows: nDPI names" "DHCP DNS HTTP HTTP_Proxy ICMP ICMPV6 IGMP MDNS Telnet Unknown" \
  "$(sql "$WORK/s1/fingerprint.sqlite" "SELECT group_concat(protocol, ' ') FROM (SELECT DISTINCT protocol FROM flows ORDER BY protocol)")"
capture --db-path "$WORK/s2" --workers 2 > /dev/null || fail "capture with two workers failed"
check "two workers give the same rows" "$(cat "$WORK/got")" "$(fp_rows "$WORK/s2")"
devices() { sql "$1/fingerprint.sqlite" "SELECT * FROM devices ORDER BY mac"; }
check "two workers find the same devices" "$(devices "$WORK/s1")" "$(devices "$WORK/s2")"

# ---- 2. collisions, eviction, --no-monitor --------------------------------
capture --db-path "$WORK/s1" --workers 1 > /dev/null || fail "second capture into the same DB_PATH failed"
check "a replayed capture keeps every fingerprint (26 rows)" "26" \
  "$(sql "$WORK/s1/fingerprint.sqlite" "SELECT count(*) FROM fingerprint")"
check "colliding rows moved to the next free microsecond" "13" \
  "$(sql "$WORK/s1/fingerprint.sqlite" "SELECT count(*) FROM fingerprint a JOIN fingerprint b ON a.mac = b.mac AND a.timestamp = b.timestamp + 1 AND a.fingerprint = b.fingerprint")"
check "devices keep their history across captures" "1700000000003000|4" \
  "$(sql "$WORK/s1/fingerprint.sqlite" "SELECT first_seen, fingerprints FROM devices WHERE mac = '02:00:00:00:00:05'")"
capture --db-path "$WORK/s3" --workers 1 --max-flows 4 --json > "$WORK/s3.json" || fail "capture with --max-flows failed"
check "--max-flows evicts and counts" "yes" \
  "$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))["monitor"]; print("yes" if m["flows_evicted"] > 0 else "no")' "$WORK/s3.json")"
check "evicted flows are stored as such" "yes" \
  "$(sql "$WORK/s3/fingerprint.sqlite" "SELECT CASE WHEN count(*) > 0 THEN 'yes' ELSE 'no' END FROM flows WHERE end_reason = 'evicted'")"
# 60,000 flows ended at once (at the capture's end), no process_interval
# passing: their rows reach the writer in batches of at most the monitor's
# memory share (a few thousand rows), not in one batch held to the end
python3 "$here/make_pcap.py" many-flows "$WORK/many.pcap"
for w in 1 2; do
  "$NETSIFT" capture -r "$WORK/many.pcap" --db-path "$WORK/m$w" --no-db-write --control none --flow-log \
    --process-interval 600000 --workers $w --json > "$WORK/m$w.json" || fail "many-flows capture failed"
  check "many flows, --workers $w: every flow row stored, in more than 4 transactions" "60000 yes" \
    "$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))["monitor"]; print(m["rows_stored"]["flows"], "yes" if m["transactions"] > 4 else m["transactions"])' "$WORK/m$w.json")"
done
# at most a quarter of the flow table holds nDPI's detection state: past
# it, a flow is counted as not inspected and stored as Unknown
"$NETSIFT" capture -r "$WORK/many.pcap" --db-path "$WORK/mi" --no-db-write --control none --flow-log \
  --max-flows 4000 --workers 2 --json > "$WORK/mi.json" || fail "many-flows capture with --max-flows failed"
check "flows past the inspection cap: counted, stored as Unknown, every row kept" "yes yes 60000" \
  "$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))["monitor"]; n=m.get("flows_not_inspected", 0); print("yes" if n > 30000 else n, "yes" if n == int(sys.argv[2]) else sys.argv[2], m["rows_stored"]["flows"])' \
     "$WORK/mi.json" "$(sql "$WORK/mi/fingerprint.sqlite" "SELECT count(*) FROM flows WHERE protocol = 'Unknown'")")"
# the memory budget (--memory) lowers the caps the user did not set: at
# 128M the flow table holds fewer than these 60,000 flows (evictions);
# with no budget, or with --max-flows set, it holds them all
budget_run() { # NAME ARGS...: the run's "evicted caps_percent"
  local name=$1; shift
  "$NETSIFT" capture -r "$WORK/many.pcap" --db-path "$WORK/$name" --no-db-write --control none \
    --workers 2 --json "$@" > "$WORK/$name.json" 2> "$WORK/$name.err" || fail "$name capture failed"
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); p=d["memory"]["caps_percent"]; print("evicted" if d["monitor"]["flows_evicted"] else "kept", "lowered" if p < 100 else p)' "$WORK/$name.json"
}
check "--memory 128M: flows evicted, caps lowered, no warning" "evicted lowered 0" \
  "$(budget_run mb1 --memory 128M) $(grep -c warning "$WORK/mb1.err")"
check "--memory 0: every flow kept, caps at their defaults" "kept 100" "$(budget_run mb2 --memory 0)"
# the summary lists what each part may hold; the parts add up to "planned",
# and the lowered flow table is below its default (262,144 flows)
check "memory plan: parts add up, flow table lowered" "sum lowered" \
  "$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))["memory"]; p=m["plan"]; print("sum" if abs(sum(p.values()) - m["planned"]) <= len(p) else (sum(p.values()), m["planned"]), "lowered" if 0 < p["monitor flow table"] < 262144 * 1536 else p)' "$WORK/mb1.json")"
check "--memory 128M --max-flows 262144: the cap set is kept" "kept" \
  "$(budget_run mb3 --memory 128M --max-flows 262144 | cut -d' ' -f1)"
check "--memory too small for the caps set: one warning" 1 "$(grep -c 'warning: --memory 128M is less than' "$WORK/mb3.err")"
"$NETSIFT" capture -q -r "$sample" --db-path "$WORK/s4" --no-monitor > /dev/null || fail "--no-monitor capture failed"
check "--no-monitor writes no fingerprint.sqlite" "absent" "$([ -e "$WORK/s4/fingerprint.sqlite" ] && echo present || echo absent)"
"$NETSIFT" capture -q -r "$sample" --no-db-write --control none --db-path "$WORK/s5" > /dev/null || fail "default monitor capture failed"
check "without --flow-log: fingerprints, no flow rows" "13|0" \
  "$(sql "$WORK/s5/fingerprint.sqlite" "SELECT (SELECT count(*) FROM fingerprint), (SELECT count(*) FROM flows)")"

# ---- 3. netsift query --db-path (no capture running) ----------------------
q() { "$NETSIFT" query --db-path "$WORK/s2" "$@"; }
check "query --db-path rows" \
  "02:00:00:00:00:05,DHCP,gUQypPQGMv5r+DyyENs2JHjpUzukqV5eQSPChCYA3uo,1700000000003000,pixel-7
02:00:00:00:00:05,DNS,NqRTRWiNdfG4zMkiXE9P0eRQIefPgMYV/vXUymxdvNw,1700000000011000,1.0.0.10.in-addr.arpa" \
  "$(q 'QUERY_FINGERPRINT 02:00:00:00:00:05 0 >= all')"
check "query --db-path: arguments joined" "02:00:00:00:00:05,DHCP,gUQypPQGMv5r+DyyENs2JHjpUzukqV5eQSPChCYA3uo,1700000000003000,pixel-7" \
  "$(q QUERY_FINGERPRINT 02:00:00:00:00:05 1700000000011000 '<' DHCP)"
check "query --db-path --raw ends with END" "PONG END" "$(q --raw PING | tr '\n' ' ' | sed 's/ $//')"
q STATS > /dev/null 2> "$WORK/q.err"; check "STATS needs a running capture" "1" "$?"
grep -q '^FAIL' "$WORK/q.err" && pass || fail "no FAIL line for STATS without a capture"
q "QUERY_FINGERPRINT 02:00:00:00:00:05 0 >= ' OR 1=1 --" > "$WORK/q.out" 2>&1; check "injection refused (exit 1)" "1" "$?"
check "injection refused (no rows)" "0" "$(grep -c '^02:' "$WORK/q.out")"
printf 'PING\nQUERY_FINGERPRINT 02:00:00:00:00:0a 0 >= DNS\n' | q --raw > "$WORK/stdin.out"; check "commands from stdin (exit)" "0" "$?"
check "commands from stdin (replies)" "PONG|END|02:00:00:00:00:0a,DNS,NqRTRWiNdfG4zMkiXE9P0eRQIefPgMYV/vXUymxdvNw,1700000000011000,1.0.0.10.in-addr.arpa|END" \
  "$(paste -sd'|' "$WORK/stdin.out")"
"$NETSIFT" query --db-path "$WORK/nowhere" PING > /dev/null 2>&1; check "missing database: exit 1" "1" "$?"
"$NETSIFT" query --bogus > /dev/null 2>&1; check "usage error: exit 2" "2" "$?"
"$NETSIFT" query --help | grep -q '^SYNOPSIS' && pass || fail "netsift query --help"
"$NETSIFT" query --control "$WORK/none.sock" PING > /dev/null 2>&1; check "no capture at --control: exit 1" "1" "$?"

# ---- 4. the control socket of a running capture ---------------------------
mkdir -p "$WORK/ctl"
if python3 "$here/monitor_control.py" --netsift "$NETSIFT" --sample "$sample" --work "$WORK/ctl" > "$WORK/ctl.txt" 2>&1; then
  pass
else
  cat "$WORK/ctl.txt"; tail -20 "$WORK/ctl/capture.log" 2>/dev/null; fail "control socket checks"
fi
tail -1 "$WORK/ctl.txt"

# ---- 5. against nDPI on the shared corpus ---------------------------------
if ! command -v ndpiReader > /dev/null; then
  echo "skip: ndpiReader (libndpi-bin) is not installed: nDPI comparisons not run"
elif [ ! -d "$SHARED/pcaps/dev/ndpi" ]; then
  echo "skip: $SHARED/pcaps/dev/ndpi is absent: nDPI comparisons not run"
else
  report="$WORK/ndpi-agreement.md"
  if python3 "$here/ndpidiff.py" --netsift "$NETSIFT" --allow "$here/ndpi-allow.txt" --report "$report" \
       "$SHARED"/pcaps/dev/ndpi/* > "$WORK/ndpi.txt" 2>&1; then
    pass
  else
    grep -v '^|' "$WORK/ndpi.txt" | tail -40; fail "per-flow protocol differs from ndpiReader beyond the allow-list"
  fi
  tail -1 "$WORK/ndpi.txt"
  [ -w "$SRC_DIR/docs" ] && cp "$report" "$SRC_DIR/docs/ndpi-agreement.md"
  tls=$(ls "$SHARED"/pcaps/dev/ndpi/* | grep -i -E 'tls|ja3|443|quic|ssh|http|chrome|firefox|safari|google')
  # shellcheck disable=SC2086
  if python3 "$here/ja3diff.py" --netsift "$NETSIFT" $tls > "$WORK/ja3.txt" 2>&1; then
    pass
  else
    cat "$WORK/ja3.txt"; fail "TLS fingerprint inputs differ from nDPI's"
  fi
  tail -1 "$WORK/ja3.txt"
  capture_file() { rm -rf "$WORK/c"; "$NETSIFT" capture -q -r "$1" --no-db-write --control none --flow-log --workers 1 --db-path "$WORK/c" > /dev/null; }
  capture_file "$SHARED/pcaps/dev/ndpi/tests_cfgs_default_pcap_ssh.pcap"
  check "SSH fingerprint input (client, server banner)" "SSH-2.0-OpenSSH_5.6
SSH-2.0-OpenSSH_5.3|SSH-2.0-OpenSSH_5.6" \
    "$(sql "$WORK/c/fingerprint.sqlite" "SELECT fingerprint_input, query FROM flows WHERE protocol = 'SSH' AND dst_port = 22")"
  capture_file "$SHARED/pcaps/dev/ndpi/tests_cfgs_default_pcap_quic-29.pcap"
  check "QUIC fingerprint (SNI from nDPI)" "QUIC|SZYN5YgOjGh0NBcPZHZgW4/krrmihjLHmVzzuoMdl2M|localhost" \
    "$(sql "$WORK/c/fingerprint.sqlite" "SELECT DISTINCT protocol, fingerprint, query FROM fingerprint")"
fi

# ---- 6. inputs read from TCP streams against tshark ------------------------
# the corpus's ClientHellos over several segments (tshark -Y 'tls.handshake.type
# == 1 && tcp.segments'), its DNS over TCP (tcp port 53 with data), HTTP after
# keep-alive ACKs (anyconnect-vpn), ServerHellos out of order or retransmitted
# (teams, viber, android), SYN-ACKs of different sequence numbers, and an
# HTTP request the old in-order prefix missed (http-tcp-seq-issue)
dev="$SHARED/pcaps/dev"
streams=(arkime/tests_pcap_tls-split-client-hello.pcap ndpi/tests_cfgs_default_pcap_codm.pcap
         ndpi/tests_cfgs_default_pcap_dingtalk.pcap ndpi/tests_cfgs_default_pcap_gaijin_mobile_mixed.pcap
         ndpi/tests_cfgs_default_pcap_tls_with_huge_ch.pcapng arkime/tests_pcap_dns-tcp.pcap
         arkime/tests_pcap_arkime_synthetic.pcap ndpi/tests_cfgs_default_pcap_dns_fragmented.pcap
         ndpi/tests_cfgs_default_pcap_portable_executable.pcap tcpdump/tests_dns_tcp.pcap
         ndpi/tests_cfgs_default_pcap_anyconnect-vpn.pcap ndpi/tests_cfgs_default_pcap_teams.pcap
         ndpi/tests_cfgs_default_pcap_viber.pcap ndpi/tests_cfgs_default_pcap_tls_multiple_synack_different_seq.pcapng
         ndpi/tests_cfgs_default_pcap_android.pcap arkime/tests_pcap_http-tcp-seq-issue.pcap)
if ! command -v tshark > /dev/null || [ ! -d "$dev" ]; then
  echo "skip: tshark or $dev is absent: TCP stream inputs not compared"
else
  mkdir -p "$WORK/tcp"
  if python3 "$here/tcpinputs.py" --netsift "$NETSIFT" --shuffle --work "$WORK/tcp" \
       "${streams[@]/#/$dev/}" > "$WORK/tcp.txt" 2>&1; then
    pass
  else
    cat "$WORK/tcp.txt"; fail "SNI/JA3/JA3S/Host/DNS names read from TCP streams differ from tshark's"
  fi
  tail -1 "$WORK/tcp.txt"
fi
finish
