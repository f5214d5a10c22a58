#!/usr/bin/env bash
# test_corpus.sh - every capture of the shared corpus through netsift with
# every sink on: no crash, no hang, packet counts equal capinfos'.
source "$(dirname "$0")/lib.sh"
if [ ! -d "$SHARED/pcaps/dev" ]; then
  echo "skip: $SHARED/pcaps/dev is absent"; echo "0 passed, 0 failed, 1 skipped"; exit 0
fi
fig=""
[ -n "${FIGURES_DIR:-}" ] && { fig="$FIGURES_DIR/corpus.txt"; : > "$fig"; }
exec python3 "$SRC_DIR/tests/integration/corpus.py" --netsift "$NETSIFT" --corpus "$SHARED/pcaps/dev" \
  ${fig:+--figure "$fig"} -- --workers 2
