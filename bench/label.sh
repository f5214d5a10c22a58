#!/usr/bin/env bash
# label.sh - scale benchmark of `netsift label`: RECORDS synthetic audit
# records (half Connection, half TCP) and ALERTS eve.json alerts made by
# label_bench, labeled end to end (read, map, write the CSV), plus
# label_bench's in-process figure of the index against a scan of every
# alert per record.
#   bench/label.sh [BUILD_DIR] [RECORDS] [ALERTS]
set -euo pipefail
BUILD=${1:-build}
RECORDS=${2:-1000000}
ALERTS=${3:-10000}
DIR=$(mktemp -d "${TMPDIR:-/tmp}/netsift-label-bench.XXXXXX")
trap 'rm -rf "$DIR"' EXIT
"$BUILD/label_bench" "$DIR" "$RECORDS" "$ALERTS"
/usr/bin/time -f 'netsift label end to end: %e s wall, %U s user, %M KiB peak RSS' \
  "$BUILD/netsift" label --alerts "$DIR/eve.json" --audit "$DIR" 2>&1 | grep -v '^netsift label: audit/' | tail -4
wc -l "$DIR"/Connection_labeled.csv "$DIR"/TCP_labeled.csv | head -2
