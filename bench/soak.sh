#!/usr/bin/env bash
# bench/soak.sh - does a live capture stay flat for a long time?  Issue 30.
#
# usage: bench/soak.sh [--netsift PATH] [--out DIR] [--packets N]
#                      [--rate PPS] [--interval SECONDS] [-- CAPTURE OPTIONS]
#
#   1. a veth pair, one end in a network namespace of its own (needs root,
#      tcpreplay and ip netns); the input: 600 copies of sample/sample.pcap,
#      copy i shifted by i seconds (49,200 packets of ARP, DNS, mDNS, DHCP,
#      ICMP, HTTP and other TCP, IPv4 and IPv6: what test_live_load
#      replays; the benchmark file has records tcpreplay refuses);
#   2. netsift capture -i on this end with the default sinks and the
#      default live rotation of headers.sqlite (256 MiB or 1 h), plus any
#      CAPTURE OPTIONS; tcpreplay sends the file in a loop at --rate
#      packets/s (default 50000) from the other end until --packets
#      (default 50,000,000) have gone;
#   3. every --interval seconds (default 60) one row from the control
#      socket's STATS and /proc: packets read in the interval and per
#      second, the writer's lag (packets read - eth rows stored), kernel
#      drops so far, the process's RSS, header files closed so far.
# Prints a Markdown table, also kept in OUT/soak.txt, then the capture's
# summary line.  Exit status 0; 1 when a step failed; 2 on bad usage.  See
# bench/README.md ("Soak").

source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
PACKETS=50000000
RATE=50000
INTERVAL=60
EXTRA=()

number() { [[ $2 =~ ^[1-9][0-9]*$ ]] || { echo "bench/soak.sh: $1 takes a positive number" >&2; exit 2; }; }
while [ $# -gt 0 ]; do
  case $1 in
    --netsift) NETSIFT=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --packets) number "$1" "$2"; PACKETS=$2; shift 2 ;;
    --rate) number "$1" "$2"; RATE=$2; shift 2 ;;
    --interval) number "$1" "$2"; INTERVAL=$2; shift 2 ;;
    --) shift; EXTRA=("$@"); break ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/soak.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -x "$NETSIFT" ] || die "no netsift at $NETSIFT (build it first: make build)"
[ "$(id -u)" = 0 ] || die "needs root (a veth pair in a network namespace)"
command -v tcpreplay >/dev/null || die "tcpreplay is missing (Debian package tcpreplay)"
mkdir -p "$OUT"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/netsift-soak.XXXXXX")
NS="soak$$" VA="sk$$a" VB="sk$$b"
CAP="" REPLAY=""
cleanup() {
  set +e # everything is undone, whatever fails
  [ -n "$REPLAY" ] && kill "$REPLAY" 2>/dev/null
  [ -n "$CAP" ] && kill "$CAP" 2>/dev/null && wait "$CAP" 2>/dev/null
  ip link del "$VB" 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

BASE="$OUT/soak-input.pcap"
if [ ! -s "$BASE" ] || [ "$BASE" -ot "$REPO_ROOT/sample/sample.pcap" ]; then
  for i in $(seq 1 600); do editcap -t "$i" "$REPO_ROOT/sample/sample.pcap" "$TMP/c$i.pcap"; done
  mergecap -a -F pcap -w "$BASE" $(for i in $(seq 1 600); do echo "$TMP/c$i.pcap"; done)
  rm -f "$TMP"/c*.pcap
fi
per_loop=$(capinfos -c -M "$BASE" | awk '/Number of packets/ {print $NF}')
loops=$(( (PACKETS + per_loop - 1) / per_loop ))

ip netns add "$NS"
ip link add "$VA" type veth peer name "$VB"
ip link set "$VA" netns "$NS"
ip netns exec "$NS" sysctl -qw "net.ipv6.conf.all.disable_ipv6=1"
sysctl -qw "net.ipv6.conf.$VB.disable_ipv6=1"
ip netns exec "$NS" ip link set "$VA" up
ip link set "$VB" up

DB="$TMP/db"
"$NETSIFT" capture -i "$VB" -d "$DB" --json "${EXTRA[@]}" > "$TMP/summary.json" 2> "$TMP/capture.err" &
CAP=$!
for _ in $(seq 1 200); do grep -q listening "$TMP/capture.err" 2>/dev/null && break; sleep 0.05; done
grep -q listening "$TMP/capture.err" || die "the capture did not start: $(cat "$TMP/capture.err")"

ip netns exec "$NS" tcpreplay -q --loop="$loops" --limit="$PACKETS" --pps="$RATE" -i "$VA" "$BASE" \
  > "$TMP/replay.out" 2>&1 &
REPLAY=$!

stat_of() { awk -v k="$1" '$1 == k {print $2}' "$TMP/stats"; }
table="| minute | packets read | packets/s | writer lag (packets) | kernel drops | RSS (MiB) | header files closed |"$'\n'
table+="| --- | --- | --- | --- | --- | --- | --- |"$'\n'
prev=0 start=$(date +%s) n=0
printf '%s' "$table"
while kill -0 "$REPLAY" 2>/dev/null; do
  # the next sample time, or the end of the replay, whichever comes first
  for _ in $(seq 1 $((INTERVAL * 10))); do kill -0 "$REPLAY" 2>/dev/null || break; sleep 0.1; done
  "$NETSIFT" query --control "$DB/control.sock" STATS > "$TMP/stats" 2>/dev/null || continue
  n=$((n + 1))
  read_now=$(stat_of packets_read)
  eth=$(stat_of rows.headers.eth)
  rss=$(awk '/^VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$CAP/status")
  closed=$(ls "$DB/headers/" 2>/dev/null | grep -c '^headers-' || true)
  elapsed=$(( $(date +%s) - start ))
  row="| $(awk -v s="$elapsed" 'BEGIN {printf "%.1f", s / 60}') | $((read_now - prev)) | $(( (read_now - prev) / INTERVAL )) | $((read_now - ${eth:-0})) | $(stat_of drops_kernel) | $rss | $closed |"
  printf '%s\n' "$row"
  table+="$row"$'\n'
  prev=$read_now
done
wait "$REPLAY" || die "tcpreplay failed: $(cat "$TMP/replay.out")"
REPLAY=""
sleep 1 # the last packets through the kernel
kill -INT "$CAP"
wait "$CAP" || die "the capture failed: $(cat "$TMP/capture.err")"
CAP=""
summary=$(python3 - "$TMP/summary.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
h = d["headers"]
r = h.get("rotation", {})
print("packets read %d, kernel drops %d, eth rows %d, frames merged %d, header files closed %d (longest writer pause %.0f ms), %.0f s"
      % (d["packets"], d["kernel"]["dropped"], h["rows_stored"]["eth"], h["frames_merged"]["total"],
         r.get("files_closed", 0), r.get("pause_max_us", 0) / 1000, d["elapsed_s"]))
EOF
)
{ echo "soak: $PACKETS packets at $RATE packets/s (tcpreplay), default sinks, $(nproc) cores"; echo
  printf '%s' "$table"; echo; echo "$summary"; } > "$OUT/soak.txt"
echo "$summary"
grep -E 'Actual|Rated' "$TMP/replay.out" || true
