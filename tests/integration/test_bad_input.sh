#!/usr/bin/env bash
# test_bad_input.sh - every class of bad input gets one clear line on
# stderr naming the problem and the documented exit status, and whatever
# was decoded before a mid-file fault is committed.
#
# Each case is one row: NAME | EXPECTED EXIT | TEXT THE ERROR MUST CONTAIN |
# COMMAND (run with bash -c; $N is netsift, $W a scratch directory, $S the
# sample capture).
source "$(dirname "$0")/lib.sh"

S="$SRC_DIR/sample/sample.pcap"
W="$WORK"
N="$NETSIFT"
export N W S
mkdir -p "$W/files"
: > "$W/files/empty.pcap"
printf 'this is not a capture file\n%.0s' {1..20} > "$W/files/text.pcap"
head -c 10 "$S" > "$W/files/cut-header.pcap"
head -c 5000 "$S" > "$W/files/cut-packet.pcap"
gzip -c "$S" | head -c 1500 > "$W/files/cut.pcap.gz"
printf '\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03not deflate data' > "$W/files/corrupt.pcap.gz"
python3 "$SRC_DIR/tests/integration/make_pcap.py" caplen-over-snaplen "$W/files/caplen.pcap"
python3 "$SRC_DIR/tests/integration/make_pcap.py" pcapng-unknown-block "$W/files/unknown-block.pcapng"
printf 'db_path = %s/cfgdb\nno_such_key = 1\n' "$W" > "$W/files/bad-key.conf"
printf 'promiscuous = maybe\n' > "$W/files/bad-bool.conf"
printf 'process_interval = -5\n' > "$W/files/bad-number.conf"
printf 'just a line without equals\n' > "$W/files/bad-line.conf"
mkdir -p "$W/corrupt"
head -c 8192 /dev/urandom > "$W/corrupt/headers.sqlite"
: > "$W/a-file"

tried=0
cases=$(cat <<'ROWS'
missing file            | 1 | No such file or directory          | $N capture -r $W/nope.pcap -d $W/db
empty file              | 1 | empty file                         | $N capture -r $W/files/empty.pcap -d $W/db
not a capture           | 1 | unknown file format                | $N capture -r $W/files/text.pcap -d $W/db
directory as file       | 1 | is a directory                     | $N capture -r $W/files -d $W/db
cut inside file header  | 1 | truncated dump file                | $N capture -r $W/files/cut-header.pcap -d $W/db
cut inside a packet     | 1 | truncated dump file                | $N capture -r $W/files/cut-packet.pcap -d $W/cutdb
cut gzip capture        | 1 | truncated dump file                | $N capture -r $W/files/cut.pcap.gz -d $W/cutgzdb
corrupt gzip capture    | 1 | zlib cannot inflate                | $N capture -r $W/files/corrupt.pcap.gz -d $W/db
not a capture on stdin  | 1 | unknown file format                | $N capture -r - -d $W/db < $W/files/text.pcap
bad BPF expression      | 2 | bad filter expression              | $N capture -r $S -d $W/db 'tcp port nonsense'
unknown interface       | 1 | no such interface                  | $N capture -i nsnotthere0 -d $W/db
db parent missing       | 1 | cannot create directory            | $N capture -r $S -d $W/no/such/dir
db path is a file       | 1 | is not a directory                 | $N capture -r $S -d $W/a-file
corrupt database        | 1 | not a database                     | $N capture -r $S -d $W/corrupt
unknown config key      | 2 | bad-key.conf:2: unknown key        | $N capture -r $S -c $W/files/bad-key.conf
bad config boolean      | 2 | bad-bool.conf:1: promiscuous       | $N capture -r $S -c $W/files/bad-bool.conf
bad config number       | 2 | bad-number.conf:1: process_interval | $N capture -r $S -c $W/files/bad-number.conf
bad config line         | 2 | bad-line.conf:1: expected          | $N capture -r $S -c $W/files/bad-line.conf
missing config file     | 2 | cannot open configuration file     | $N capture -r $S -c $W/files/none.conf
unknown flag            | 2 | unknown option --frobnicate        | $N capture -r $S --frobnicate
flag without value      | 2 | needs a value                      | $N capture -r $S --count
bad flag number         | 2 | count: 'ten'                       | $N capture -r $S --count ten
memory budget too small | 2 | memory must be 0                   | $N capture -r $S --memory 1M
file and interface      | 2 | not both                           | $N capture -r $S -i lo
nothing to capture      | 2 | nothing to capture                 | $N capture -d $W/db
unknown command         | 2 | unknown command                    | $N frobnicate
unknown --user          | 1 | no such user                       | $N capture -r $S -d $W/db --user nosuchuser
no audit flows          | 2 | audit_max_flows and                | $N capture -r $S -d $W/db --audit $W/aud0 --audit-max-flows 0
unknown audit encoder   | 2 | unknown encoder 'Bogus'            | $N capture -r $S -d $W/db --audit $W/aud0 --include Bogus
excluded bad encoder    | 2 | unknown encoder 'Nope'             | $N capture -r $S -d $W/db --audit $W/aud0 --exclude TCP,Nope
ROWS
)

while IFS='|' read -r name code text cmd; do
  name=$(echo "$name" | xargs); code=$(echo "$code" | xargs); text=$(echo "$text" | sed 's/^ *//;s/ *$//')
  bash -c "$cmd" > "$W/out" 2> "$W/err"
  rc=$?
  lines=$(grep -vc '^netsift: warning' "$W/err")
  check "$name: exit status" "$code" "$rc"
  if grep -qF -- "$text" "$W/err"; then pass; else fail "$name: stderr lacks '$text': $(cat "$W/err")"; fi
  check "$name: one line on stderr" 1 "$lines"
  grep -qE 'AddressSanitizer|runtime error' "$W/err" && fail "$name: sanitizer report"
  tried=$((tried + 1))
done <<< "$cases"

# the packets before the cut were committed: rows = packets the summary counted
decoded=$(grep '^packets:' "$W/out" 2>/dev/null | awk '{print $2}')
bash -c "$N capture -r $W/files/cut-packet.pcap -d $W/cutdb2 --json" > "$W/cut.json" 2>/dev/null
before=$(python3 -c "import json; print(json.load(open('$W/cut.json'))['packets'])")
check "cut file: packets before the cut are stored" "$before" "$(sql "$W/cutdb2/headers.sqlite" 'SELECT sum(frames) FROM eth')"
[ "$before" -gt 10 ] && pass || fail "cut file: expected more than 10 packets before the cut, got $before"

# inputs that are odd but valid: read, not rejected
"$N" capture -q -r "$W/files/caplen.pcap" -d "$W/capdb" > /dev/null 2>&1
check "caplen larger than snaplen is read" 0 $?
"$N" capture -q -r "$W/files/unknown-block.pcapng" -d "$W/ngdb" --json > "$W/ng.json" 2>&1
check "pcapng unknown block skipped" 2 "$(python3 -c "import json; print(json.load(open('$W/ng.json'))['packets'])")"

# unwritable database directory (run as nobody: root ignores permissions)
if command -v runuser >/dev/null && [ "$(id -u)" -eq 0 ]; then
  mkdir -p "$W/ro" && chmod 555 "$W/ro" && chmod 755 "$W"
  cp "$N" "$W/netsift-copy" 2>/dev/null && chmod 755 "$W/netsift-copy"
  runuser -u nobody -- "$W/netsift-copy" capture -r "$S" -d "$W/ro/db" > /dev/null 2> "$W/err"
  check "unwritable db path: exit status" 1 $?
  if grep -q "Permission denied" "$W/err"; then pass; else fail "unwritable db path: $(cat "$W/err")"; fi
else
  echo "skip: unwritable db path (needs root to run as nobody)"
fi

# a full filesystem: a 4 MiB tmpfs fills up mid-capture (the databases take
# about 10 MiB; headers.sqlite's empty tables alone take 1.2 MiB in 64 KiB
# pages)
if [ "$(id -u)" -eq 0 ] && mkdir -p "$W/full" && mount -t tmpfs -o size=4m tmpfs "$W/full" 2>/dev/null; then
  # copies of the sample, each shifted by a second, so no row is a duplicate
  shifted_copies 300 "$W/files/big.pcap"
  big="$W/files/big.pcap"
  "$N" capture -r "$big" -d "$W/full/db" --batch-rows 500 > /dev/null 2> "$W/err"
  check "disk full: exit status" 1 $?
  if grep -qi "full" "$W/err"; then pass; else fail "disk full: error does not say so: $(cat "$W/err")"; fi
  check "disk full: one line" 1 "$(wc -l < "$W/err")"
  check "disk full: database intact" ok "$(sql "$W/full/db/headers.sqlite" 'PRAGMA integrity_check' 2>&1)"
  rows=$(sql "$W/full/db/headers.sqlite" 'SELECT sum(frames) FROM eth')
  [ "${rows:-0}" -gt 0 ] && pass || fail "disk full: no rows committed before the fault"
  umount "$W/full"
else
  echo "skip: full filesystem (cannot mount a tmpfs here)"
fi
[ -n "${FIGURES_DIR:-}" ] && echo "$tried bad-input cases from the table (each: exit status, one clear line on stderr, no sanitizer report), plus a file cut mid-packet (rows committed = packets decoded before the cut), caplen above snaplen, an unknown pcapng block, an unwritable database directory and a full filesystem: $PASSED checks passed, $FAILED failed" > "$FIGURES_DIR/bad_input.txt"
finish
