#!/usr/bin/env bash
# test_corpus.sh - every capture of the shared corpus through netsift with
# every sink on (headers, raw store, monitor with the flows table, audit
# records with payloads, TCP streams, HTTP with file extraction): no crash,
# no hang, packet counts equal capinfos'; and the
# raw store of each capture libpcap reads to the end read back by `netsift
# extract` equal, frame by frame, to what libpcap reads (timestamp, length,
# caplen, SHA-256 of the bytes); every RAW_TSHARK_STRIDE-th capture
# (default 8) is also read by tshark on both sides.  One capture per file
# serves both (corpus.py).
source "$(dirname "$0")/lib.sh"
if [ ! -d "$SHARED/pcaps/dev" ]; then
  skip "$SHARED/pcaps/dev is absent"
fi
fig=""
[ -n "${FIGURES_DIR:-}" ] && { fig="$FIGURES_DIR/corpus.txt"; : > "$fig"; }
exec python3 "$SRC_DIR/tests/integration/corpus.py" --netsift "$NETSIFT" --corpus "$SHARED/pcaps/dev" \
  ${fig:+--figure "$fig"} --round-trip --stride "${RAW_TSHARK_STRIDE:-8}" -- --workers 2 --file-write \
  --audit '{DB}-audit' --payload --streams '{DB}-streams' --extract-files '{DB}-files' --flow-log
