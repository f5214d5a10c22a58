#!/usr/bin/env bash
# test_http_live.sh - live HTTP reconstruction: a Python HTTP server in a
# network namespace and a client here talk over a veth pair; netsift
# captures the host end with -i.  The client fetches files of known
# SHA-256 with Content-Length, with chunked transfer coding and
# gzip-encoded, on one keep-alive connection, and uploads one; every body
# netsift extracts must be one of those files, every file must be
# extracted, and the http table must hold every transaction.
source "$(dirname "$0")/lib.sh"
here="$SRC_DIR/tests/integration"

veth_pair
ip addr add 10.77.0.1/24 dev "$VB"
ip netns exec "$NS" ip addr add 10.77.0.2/24 dev "$VA"

mkdir -p "$WORK/files"
head -c 1 /dev/urandom > "$WORK/files/a-1"
head -c 1500 /dev/urandom > "$WORK/files/b-1500"
head -c 100000 /dev/urandom > "$WORK/files/c-100k"
python3 -c "print(''.join('line %d of a compressible file\n' % i for i in range(20000)), end='')" > "$WORK/files/d-text"
head -c 2000000 /dev/urandom > "$WORK/files/e-2m"
nfiles=5

ip netns exec "$NS" python3 "$here/http_live.py" serve 10.77.0.2 8080 "$WORK/files" > "$WORK/server.out" 2>&1 &
SRV=$!
for _ in $(seq 1 100); do grep -q serving "$WORK/server.out" && break; sleep 0.05; done

"$NETSIFT" capture -i "$VB" --immediate -d "$WORK/db" --no-monitor --json --extract-files "$WORK/x" \
  --streams "$WORK/s" --process-interval 200 > "$WORK/cap.json" 2> "$WORK/cap.err" &
CAP=$!
for _ in $(seq 1 100); do grep -q listening "$WORK/cap.err" 2>/dev/null && break; sleep 0.05; done

if python3 "$here/http_live.py" fetch http://10.77.0.2:8080 "$WORK/files" > "$WORK/fetch.out" 2>&1; then pass; else
  fail "client: $(tail -1 "$WORK/fetch.out")"; fi
sleep 1
# the capture's threads say what they are (top -H, perf --sort comm)
check "thread names" "ckpt:headers db:headers worker0" \
  "$(cat /proc/"$CAP"/task/*/comm 2>/dev/null | grep -xE 'worker0|db:headers|ckpt:headers' | sort | tr '\n' ' ' | sed 's/ $//')"
stop "$CAP" INT
check "capture exit status" 0 $STOPPED_RC
kill "$SRV" 2>/dev/null; wait "$SRV" 2>/dev/null

check "kernel drops" 0 "$(python3 -c "import json; print(json.load(open('$WORK/cap.json'))['kernel']['dropped'])")"
for f in "$WORK"/files/*; do
  h=$(sha256sum < "$f" | cut -c1-64)
  check "extracted $(basename "$f")" yes "$([ -f "$WORK/x/$h" ] && cmp -s "$f" "$WORK/x/$h" && echo yes)"
  check "3 responses carry $(basename "$f")" 3 "$(sql "$WORK/db/headers.sqlite" "SELECT count(*) FROM http WHERE resp_body_sha256 = '$h'")"
done
up=$(sha256sum < "$WORK/files/e-2m" | cut -c1-64)
check "upload: the request body's hash" 1 "$(sql "$WORK/db/headers.sqlite" "SELECT count(*) FROM http WHERE method = 'POST' AND req_body_sha256 = '$up' AND req_gap = 0")"
check "transactions, one connection" "$((3 * nfiles + 1))|1|0" \
  "$(sql "$WORK/db/headers.sqlite" "SELECT count(*), count(DISTINCT client_port), sum(resp_gap) FROM http")"
check "chunked responses" "$nfiles" "$(sql "$WORK/db/headers.sqlite" "SELECT count(*) FROM http WHERE resp_chunked = 1 AND uri LIKE '/chunked/%'")"
# the files, and the upload's answer (its hash as text); no partial file left
check "extracted files" "$((nfiles + 1))" "$(ls -A "$WORK/x" | wc -l)"
check "two stream files" 2 "$(ls "$WORK/s" | wc -l)"
finish
