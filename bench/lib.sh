# bench/lib.sh - how every bench script starts (sourced first): strict
# mode, the C locale ('.' as the decimal separator in awk, bc and sort),
# BENCH_DIR and REPO_ROOT, the default NETSIFT (make build) and OUT, and
# die(), which prints "bench/<script>: <reason>" and exits 1.
set -euo pipefail
export LC_ALL=C

BENCH_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[1]}")" && pwd)
REPO_ROOT=$(cd -- "$BENCH_DIR/.." && pwd)
NETSIFT="$REPO_ROOT/build/netsift"
OUT="$BENCH_DIR/results"
BENCH_NAME="bench/$(basename -- "${BASH_SOURCE[1]}")"

die() { printf '%s: %s\n' "$BENCH_NAME" "$*" >&2; exit 1; }
