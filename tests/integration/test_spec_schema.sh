#!/usr/bin/env bash
# test_spec_schema.sh - the tables netsift creates match the
# specification's CREATE TABLE statements exactly: the specification's
# columns come first, in its order, with its names, types and NOT NULL,
# and the primary key is the same.  netsift's extra columns follow.  Each
# table is looked up in every database the capture wrote (headers.sqlite,
# pcap-meta.sqlite, fingerprint.sqlite, ...); a table found in none fails.
source "$(dirname "$0")/lib.sh"
spec="$SHARED/spec/000_030b1c35e24a9a56.txt"
if [ ! -f "$spec" ]; then
  skip "$spec is absent"
fi
# --file-write: the raw packet store's meta table is in pcap-meta.sqlite
"$NETSIFT" capture -q -r "$SRC_DIR/sample/sample.pcap" --db-path "$WORK/db" --file-write > /dev/null
python3 - "$spec" "$WORK/db" <<'PY'
import re, sqlite3, sys, os
spec, dbdir = sys.argv[1], sys.argv[2]
text = open(spec, encoding="utf-8").read()
checked = failed = 0
stmts = re.findall(r"^CREATE TABLE .*$", text, re.M)
# the eleven header tables and the raw store's meta: a specification read
# wrong (no statement found) must fail, not pass with nothing checked
checked += 1
if len(stmts) < 12:
    failed += 1
    print(f"FAIL: {len(stmts)} CREATE TABLE statements found in the specification, 12 expected")
for stmt in stmts:
    m = re.match(r"CREATE TABLE (\w+) \((.*)\)\s*;?\s*$", stmt)
    table, body = m.group(1), m.group(2)
    pk = re.search(r"PRIMARY KEY \(([^)]*)\)", body).group(1)
    cols = [c.strip() for c in body[:body.index("PRIMARY KEY")].split(",") if c.strip()]
    info = []
    for db in sorted(f for f in os.listdir(dbdir) if f.endswith(".sqlite")):
        con = sqlite3.connect(os.path.join(dbdir, db))
        info = con.execute(f"PRAGMA table_info({table})").fetchall()
        con.close()
        if info:
            break
    if not info:
        checked += 1
        failed += 1
        print(f"FAIL: table {table} is in none of the databases written")
        continue
    for i, col in enumerate(cols):
        parts = col.split()
        name, ctype, notnull = parts[0], parts[1], "NOT NULL" in col
        cid, got_name, got_type, got_notnull, _, got_pk = info[i]
        ok = (got_name, got_type, bool(got_notnull)) == (name, ctype, notnull)
        checked += 1
        if not ok:
            failed += 1
            print(f"FAIL: {table} column {i}: spec {name} {ctype} notnull={notnull}, got {got_name} {got_type} notnull={bool(got_notnull)}")
    want_pk = [c.strip() for c in pk.split(",")]
    got_pk = [r[1] for r in sorted((r for r in info if r[5]), key=lambda r: r[5])]
    checked += 1
    if want_pk != got_pk:
        failed += 1
        print(f"FAIL: {table} primary key: spec {want_pk}, got {got_pk}")
print(f"{checked - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
