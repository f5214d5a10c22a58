#!/usr/bin/env bash
# test_raw_corpus.sh - the raw packet store's round trip over every capture
# of the shared corpus that libpcap reads to the end: `netsift capture
# --file-write` then `netsift extract` gives back exactly what libpcap read
# (tcpdump -w), frame by frame: timestamp, length, caplen and SHA-256 of
# the bytes; every RAW_TSHARK_STRIDE-th capture (default 8) is also read by
# tshark on both sides.  Skipped with a message when ../shared is absent.
source "$(dirname "$0")/lib.sh"

if [ ! -d "$SHARED/pcaps/dev" ]; then
  echo "skip: $SHARED/pcaps/dev is absent: corpus round trip not run"
  echo "0 passed, 0 failed, 1 skipped"; exit 0
fi
# without the flow monitor (nDPI) when this build has one: only the store is checked here
more=""
"$NETSIFT" capture --help > "$WORK/help.txt"
grep -q -- '--no-monitor' "$WORK/help.txt" && more="--no-monitor"
if python3 "$SRC_DIR/tests/integration/rawcheck.py" corpus --netsift "$NETSIFT" \
     --corpus "$SHARED/pcaps/dev" --stride "${RAW_TSHARK_STRIDE:-8}" --capture-args="$more" \
     > "$WORK/corpus.txt"; then
  pass
else
  fail "corpus round trip: $(grep -c FAIL "$WORK/corpus.txt") captures differ"
  grep FAIL "$WORK/corpus.txt" | head -20
fi
tail -1 "$WORK/corpus.txt"
[ -n "${FIGURES_DIR:-}" ] && echo "- round trip (capture --file-write, extract) over the corpus: $(tail -1 "$WORK/corpus.txt")" \
  > "$FIGURES_DIR/raw_corpus.txt"
finish
