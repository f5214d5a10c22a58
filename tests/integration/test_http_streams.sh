#!/usr/bin/env bash
# test_http_streams.sh - TCP reassembly and HTTP on real captures:
#  - the http table equals tshark's HTTP dissection per connection, and the
#    bodies tshark --export-objects http writes equal netsift's extracted
#    files by SHA-256 (httpdiff.py), on a set of HTTP captures of the corpus
#    (keep-alive, pipelining, chunked, gzip, 100-continue, HEAD, IPv6,
#    CONNECT, lost segments, a reply before its request);
#  - --streams writes the same per-direction bytes as tcpflow -r
#    (flowcmp.py: tcpflow's Ethernet-padding zeros aside);
#  - IPv4 fragments are reassembled before TCP: requests sent in fragments
#    are in the http table (in the capture list above), with 1, 2 and 4
#    workers and from a pipe, and the datagrams rebuilt equal tshark's
#    ip.fragment.count frames on captures full of fragments;
#  - hostile streams (an endless head, endless chunks, a bogus
#    Content-Length, conflicting retransmissions, a flood of half-open
#    connections) stay within the caps, are flagged, and never stall.
source "$(dirname "$0")/lib.sh"
here="$SRC_DIR/tests/integration"
D="$SHARED/pcaps/dev"

if ! command -v tshark >/dev/null || [ ! -d "$D" ]; then
  skip "needs tshark and $D"
fi

captures=(
  arkime/tests_pcap_http-content-gzip.pcap
  arkime/tests_pcap_http-100-continue.pcap
  arkime/tests_pcap_http-post-upload.pcap
  arkime/tests_pcap_http-no-length.pcap
  arkime/tests_pcap_http-500-head.pcap
  arkime/tests_pcap_http-syn-ack.pcap
  arkime/tests_pcap_http-tcp-seq-issue.pcap
  arkime/tests_pcap_v6-http.pcap
  arkime/tests_pcap_https-connect.pcap
  ndpi/tests_cfgs_default_pcap_http.pcapng
  ndpi/tests_cfgs_default_pcap_http_ipv6.pcap
  ndpi/tests_cfgs_default_pcap_http-lines-split.pcap
  ndpi/tests_cfgs_default_pcap_http_starting_with_reply.pcapng
  ndpi/tests_cfgs_default_pcap_http_connect.pcap
  pcapplusplus/Tests_ExamplesTest_pcap_examples_http-packets2.pcap
  pcapplusplus/Tests_Pcap++Test_PcapExamples_four_ipv6_http_streams.pcap
  tcpdump/tests_ipv4_tcp_http_xml_tso.pcap
  # HTTP requests in IPv4 fragments (reassembled before TCP)
  pcapplusplus/Tests_ExamplesTest_pcap_examples_frag_http_req.pcap
  pcapplusplus/Tests_ExamplesTest_expected_output_http_req_frag.pcap
  # lost segments: tshark also exports what it could not reassemble
  lossy:pcapplusplus/Tests_ExamplesTest_pcap_examples_http-packets.pcap
)
transactions=0
for c in "${captures[@]}"; do
  opt=""
  case $c in lossy:*) opt=--lossy; c=${c#lossy:} ;; esac
  name=$(basename "$c")
  out="$WORK/$name"
  mkdir -p "$out"
  if ! "$NETSIFT" capture -r "$D/$c" -d "$out/db" --no-monitor --extract-files "$out/x" -q \
       > "$out/summary" 2> "$out/err"; then
    fail "$name: netsift failed: $(head -1 "$out/err")"; continue
  fi
  if python3 "$here/httpdiff.py" $opt "$D/$c" "$out/db/headers.sqlite" "$out/x" > "$out/diff"; then
    pass
  else
    grep -v '^note' "$out/diff" | head -5; fail "$name: HTTP differs from tshark"
  fi
  transactions=$((transactions + $(sql "$out/db/headers.sqlite" 'SELECT count(*) FROM http')))
done
echo "$transactions HTTP transactions in ${#captures[@]} captures compared with tshark"
check "transactions found" yes "$([ "$transactions" -gt 150 ] && echo yes)"

# the table's content on one known capture: chunked + gzip body, decoded
g="$WORK/tests_pcap_http-content-gzip.pcap/db/headers.sqlite"
check "gzip response row" "GET|/crossdomain.xml|200|gzip|190|272|67f737adf804542ac15aedee7014ee7aee8f9ae2bd345fb5fa56a86f008a2b1e" \
  "$(sql "$g" 'SELECT method, uri, status, resp_content_encoding, resp_body_len, resp_body_size, resp_body_sha256 FROM http')"
c100="$WORK/tests_pcap_http-100-continue.pcap/db/headers.sqlite"
check "100-continue is the interim status of its transaction" "1|100|404" \
  "$(sql "$c100" 'SELECT count(*), interim_status, status FROM http')"

# --streams against tcpflow: the same bytes per direction
if command -v tcpflow >/dev/null; then
  for c in arkime/tests_pcap_http-post-upload.pcap pcapplusplus/Tests_ExamplesTest_pcap_examples_http-packets2.pcap; do
    name=$(basename "$c")
    rm -rf "$WORK/s" "$WORK/tf"; mkdir -p "$WORK/tf"
    "$NETSIFT" capture -r "$D/$c" -d "$WORK/sdb" --no-db-write --no-monitor --streams "$WORK/s" -q >/dev/null
    (cd "$WORK/tf" && tcpflow -r "$D/$c" -o . >/dev/null 2>&1)
    if python3 "$here/flowcmp.py" "$WORK/s" "$WORK/tf" > "$WORK/flowcmp.txt"; then pass; else
      head -5 "$WORK/flowcmp.txt"; fail "--streams differs from tcpflow on $name"; fi
  done
else
  echo "skip: tcpflow is not installed: --streams comparison not run"
fi

# IPv4 fragments: the request in fragments is found with any number of
# workers (the reader reassembles, the flow's worker gets the datagram)
# and from a pipe (one worker on its own thread)
frag=$D/pcapplusplus/Tests_ExamplesTest_pcap_examples_frag_http_req.pcap
for w in 1 2 4; do
  rm -rf "$WORK/fw"
  "$NETSIFT" capture -r "$frag" -d "$WORK/fw" --no-monitor --workers $w -q >/dev/null
  check "fragmented request, $w worker(s)" "GET|/convert_data.js?partner_id=29" \
    "$(sql "$WORK/fw/headers.sqlite" 'SELECT method, uri FROM http')"
done
rm -rf "$WORK/fw"
cat "$frag" | "$NETSIFT" capture -r /dev/stdin -d "$WORK/fw" --no-monitor -q >/dev/null
check "fragmented request, from a pipe" "GET|/convert_data.js?partner_id=29" \
  "$(sql "$WORK/fw/headers.sqlite" 'SELECT method, uri FROM http')"
# datagrams rebuilt: as many as tshark reassembles (duplicates, overlaps,
# fragments of datagrams that never complete, garbage)
for c in pcapplusplus/Tests_ExamplesTest_pcap_examples_ip-frag.pcap \
         pcapplusplus/Tests_Pcap++Test_PcapExamples_ip4_fragments.pcap \
         ndpi/tests_cfgs_default_pcap_ip_fragmented_garbage.pcap \
         arkime/tests_pcap_socks5-http-302-frag.pcap; do
  want=$(tshark -r "$D/$c" -Y 'ip.fragment.count' 2>/dev/null | wc -l)
  rm -rf "$WORK/fd"
  got=$("$NETSIFT" capture -r "$D/$c" -d "$WORK/fd" --no-monitor --json -q 2>/dev/null |
        python3 -c "import json,sys; print(json.load(sys.stdin)['defrag']['datagrams'])")
  check "$(basename "$c"): datagrams rebuilt as tshark" "$want" "$got"
done

# hostile streams
python3 "$here/make_pcap.py" hostile-http "$WORK/hostile.pcap"
start=$(date +%s)
"$NETSIFT" capture -r "$WORK/hostile.pcap" -d "$WORK/h" --no-monitor --json -q \
  --stream-memcap 4M --stream-conn-memcap 64K --stream-idle-timeout 1d --extract-files "$WORK/hx" > "$WORK/h.json" 2> "$WORK/h.err"
check "hostile: exit status 0" 0 $?
check "hostile: finished quickly" yes "$([ $(( $(date +%s) - start )) -lt 60 ] && echo yes)"
js() { python3 -c "import json,sys; d=json.load(open('$WORK/h.json'))['streams']; print(eval(sys.argv[1]))" "$1"; }
check "hostile: peak memory within --stream-memcap" yes "$(js "'yes' if d['peak_memory'] <= 4*1024*1024 else d['peak_memory']")"
check "hostile: half-open flood evicted" yes "$(js "'yes' if d['ended']['evicted'] > 0 else d['ended']")"
check "hostile: conflicting retransmission counted" yes "$(js "'yes' if d['overlap_conflicts'] > 0 else 0")"
check "hostile: endless head flagged" 1 "$(js "d['http']['head_too_large']")"
check "hostile: bad chunk flagged" 1 "$(js "d['http']['bad_chunk']")"
check "hostile: bogus Content-Length flagged" 1 "$(sql "$WORK/h/headers.sqlite" "SELECT count(*) FROM http WHERE flags LIKE '%bad_content_length%'")"
check "hostile: endless chunks are one body" "1|1" \
  "$(sql "$WORK/h/headers.sqlite" "SELECT count(*), resp_chunked FROM http WHERE resp_body_len = 2000000")"
check "hostile: first data wins" "ORIGINAL" \
  "$(sql "$WORK/h/headers.sqlite" "SELECT uri FROM http WHERE uri LIKE '/O%' OR uri LIKE '/E%'" | tr -d /)"
# extraction: bodies are held in memory up to 64 KiB and larger ones go
# through a temporary file; none is left behind, and every file's name is
# the SHA-256 of its content
check "no temporary extraction file left" 0 "$(find "$WORK" -name '.partial-*' | wc -l)"
extracted=$(find "$WORK" -type f -regextype posix-extended -regex '.*/(x|hx)/[0-9a-f]{64}')
echo "$(echo "$extracted" | grep -c .) extracted files checked against their names"
[ "$(echo "$extracted" | grep -c .)" -gt 0 ] && pass || fail "no extracted file to check against its name"
check "extracted files named by their content" "$(echo "$extracted" | grep -c .)" \
  "$(echo "$extracted" | xargs -r sha256sum | awk '{n = split($2, p, "/"); if ($1 == p[n]) print}' | wc -l)"
big=$(find "$WORK" -type f -regextype posix-extended -regex '.*/(x|hx)/[0-9a-f]{64}' -size +64k | wc -l)
check "some extracted bodies are larger than the memory buffer" yes "$([ "$big" -gt 0 ] && echo yes)"
finish
