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

# sql DB QUERY: one value
sql() { sqlite3 -batch -noheader "$1" "$2"; }

# finish: the plain closing line, and the exit status
finish() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}
