# lib.sh - shared helpers for the integration scripts (sourced, not run).
# Every script gets: $NETSIFT (the binary), $SRC_DIR (the repository),
# $SHARED (../shared next to the repository, may be absent), a fresh $WORK
# directory removed at exit, and check/fail helpers that count results.
set -uo pipefail

: "${SRC_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${NETSIFT:=$SRC_DIR/build/netsift}"
SHARED="${NETSIFT_SHARED:-$SRC_DIR/../shared}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/netsift-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
PASSED=0
FAILED=0

pass() { PASSED=$((PASSED + 1)); }
fail() { FAILED=$((FAILED + 1)); echo "FAIL: $*" >&2; }

# check DESCRIPTION EXPECTED ACTUAL
check() {
  if [ "$2" = "$3" ]; then pass; else fail "$1: expected '$2', got '$3'"; fi
}

# stop PID SIGNAL [SECONDS]: send SIGNAL to a background child once and wait
# up to SECONDS (default 60) for it to exit; STOPPED_RC is its exit status.
# A child that does not exit is a failure, killed, never a hung test.  One
# signal only: a second one arriving while LeakSanitizer's exit-time check
# has the process stopped can hang it (seen with timeout -s INT, which signals
# the child and then its whole process group).
stop() {
  local pid=$1 sig=$2 secs=${3:-60} i
  kill "-$sig" "$pid" 2> /dev/null
  for ((i = 0; i < secs * 10; i++)); do
    case "$(ps -o stat= -p "$pid" 2> /dev/null)" in "" | Z*) break ;; esac
    sleep 0.1
  done
  case "$(ps -o stat= -p "$pid" 2> /dev/null)" in
  "" | Z*) ;;
  *) fail "pid $pid ($(ps -o args= -p "$pid" | cut -c1-80)) still running ${secs} s after SIG$sig; killed"
     kill -KILL "$pid" 2> /dev/null ;;
  esac
  wait "$pid"
  STOPPED_RC=$?
}

# sql DB QUERY: one value
sql() { sqlite3 -batch -noheader "$1" "$2"; }

# finish: the plain closing line, and the exit status
# skip REASON: the test cannot run here: say why and exit 77, which ctest
# reports as skipped, not passed (tests/CMakeLists.txt: SKIP_RETURN_CODE)
skip() {
  echo "skip: $*"
  echo "0 passed, 0 failed, 1 skipped"
  exit 77
}

finish() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}

# kill9_when PID CONDITION...: once the command CONDITION succeeds (or PID
# has ended; at most 30 s), kill -9 PID at a random moment within 0.4 s,
# and reap it.
kill9_when() {
  local pid=$1 _
  shift
  for _ in $(seq 1 600); do
    "$@" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  sleep "0.$((RANDOM % 5))"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}

# shifted_copies N OUT: N copies of the sample capture, the i-th shifted by
# i seconds (so no two frames share a timestamp), concatenated into OUT
shifted_copies() {
  local n=$1 out=$2 dir i
  dir=$(mktemp -d "$WORK/copies.XXXXXX")
  for i in $(seq 1 "$n"); do editcap -t "$i" "$SRC_DIR/sample/sample.pcap" "$dir/c$i.pcap"; done
  mergecap -a -F pcap -w "$out" $(for i in $(seq 1 "$n"); do echo "$dir/c$i.pcap"; done)
  rm -rf "$dir"
}

# veth_pair: a network namespace $NS holding one end ($VA) of a veth pair
# whose other end ($VB) stays here, both up, IPv6 off (the kernel's own
# router solicitations would otherwise be captured).  Skips the whole test
# where that is not possible; removes everything at exit.
veth_pair() {
  if [ "$(id -u)" -ne 0 ] || ! command -v tcpreplay >/dev/null || ! ip netns add "nsprobe$$" 2>/dev/null; then
    skip "live capture needs root, tcpreplay and network namespaces"
  fi
  ip netns del "nsprobe$$"
  NS=nsift$$ VA=nsa$$ VB=nsb$$
  trap 'ip netns del "$NS" 2>/dev/null; ip link del "$VB" 2>/dev/null; rm -rf "$WORK"' EXIT
  ip netns add "$NS"
  ip link add "$VB" type veth peer name "$VA"
  ip link set "$VA" netns "$NS"
  sysctl -qw "net.ipv6.conf.$VB.disable_ipv6=1"
  ip netns exec "$NS" sysctl -qw "net.ipv6.conf.$VA.disable_ipv6=1"
  ip link set "$VB" up
  ip netns exec "$NS" ip link set "$VA" up
  ip netns exec "$NS" ip link set lo up
}
