#!/usr/bin/env bash
# test_tshark_diff.sh - the differential test against tshark: the sample
# capture always, and every capture of the shared corpus when ../shared is
# there.  Differences must be fixed or listed with a reason in
# tshark-allow.txt; docs/tshark-agreement.md gets the agreement table.
source "$(dirname "$0")/lib.sh"

if ! command -v tshark >/dev/null; then
  skip "tshark is not installed"
fi
here="$SRC_DIR/tests/integration"
# the sample through the sanitizer build; the corpus through the plain
# build when there is one (make test sets NETSIFT_PLAIN): the decoded
# fields are the same, test_corpus.sh already runs the whole corpus
# under ASan+UBSan with every sink on, and the plain build takes a
# third of the time, about a minute and a half of CI's twenty
if python3 "$here/difftshark.py" --netsift "$NETSIFT" --allow "$here/tshark-allow.txt" \
     "$SRC_DIR/sample/sample.pcap" > "$WORK/sample.txt"; then pass; else cat "$WORK/sample.txt"; fail "sample differs from tshark"; fi
tail -1 "$WORK/sample.txt"

if [ -d "$SHARED/pcaps/dev" ]; then
  report="$WORK/agreement.md"
  if python3 "$here/difftshark.py" --netsift "${NETSIFT_PLAIN:-$NETSIFT}" --corpus "$SHARED/pcaps/dev" \
       --allow "$here/tshark-allow.txt" --report "$report" > "$WORK/corpus.txt"; then
    pass
  else
    grep -v '^|' "$WORK/corpus.txt"; fail "corpus differs from tshark beyond the allow-list"
  fi
  grep -E '^[0-9]+ captures' "$WORK/corpus.txt"
  # keep the checked-in agreement figure current when running from a checkout
  [ -w "$SRC_DIR/docs" ] && cp "$report" "$SRC_DIR/docs/tshark-agreement.md"
else
  echo "skip: $SHARED/pcaps/dev is absent: corpus comparison not run"
fi
finish
