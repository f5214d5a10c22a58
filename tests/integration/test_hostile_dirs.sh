#!/usr/bin/env bash
# test_hostile_dirs.sh - netsift never writes through a link someone
# planted in its output directories (issue 26): for every name it creates
# in the audit directory, the --extract-files directory and the database
# path, a symbolic link to a precious file is planted first; the target
# stays as it was, and what netsift wrote is a regular file of mode 0640
# (directories 0750) whatever the umask (the test runs with umask 000).
source "$(dirname "$0")/lib.sh"
umask 000
HTTP=$SHARED/pcaps/dev/arkime/tests_pcap_http-content-gzip.pcap
[ -f "$HTTP" ] || skip "no shared corpus ($HTTP)"
INPUT=$WORK/input.pcap
mergecap -F pcap -w "$INPUT" "$SRC_DIR/sample/sample.pcap" "$HTTP"

TARGET=$WORK/precious
echo "precious" > "$TARGET"
chmod 0644 "$TARGET"
untouched() { # WHAT
  [ "$(cat "$TARGET")" = precious ] && [ "$(stat -c %a "$TARGET")" = 644 ] && pass ||
    fail "$1: the link's target was written"
}
plant() { # DIR NAME...
  local d=$1 n
  shift
  for n in "$@"; do ln -sf "$TARGET" "$d/$n"; done
}
# every file under DIR (not links) has mode 0640, every directory 0750
modes_ok() { # WHAT DIR
  local bad
  bad=$(find "$2" -mindepth 1 \( -type f ! -perm 0640 \) -o \( -type d ! -perm 0750 \) -o -type l)
  [ -z "$bad" ] && pass || fail "$1: not 0640 files / 0750 directories: $bad"
}

# 1. the audit directory: every record file, unknown.pcap, errors.pcap, errors.log
AUD=$WORK/audit
mkdir -m 0750 "$AUD"
names=$("$NETSIFT" capture --encoders | awk '$1 == "+" {print $2 ".ncap.gz"}')
[ "$(wc -w <<< "$names")" -ge 18 ] && pass || fail "--encoders listed $(wc -w <<< "$names") types"
# shellcheck disable=SC2086
plant "$AUD" $names unknown.pcap errors.pcap errors.log
"$NETSIFT" capture -q -r "$INPUT" -d "$WORK/db-audit" --no-monitor --audit "$AUD" > /dev/null 2> "$WORK/audit.err"
check "capture --audit over planted links: exit" 0 $?
untouched "audit directory"
[ "$(find "$AUD" -type l | wc -l)" = 0 ] && pass || fail "links left in the audit directory"
[ -s "$AUD/TCP.ncap.gz" ] && gzip -t "$AUD/TCP.ncap.gz" && pass || fail "TCP.ncap.gz not written"
modes_ok "audit directory" "$AUD"
modes_ok "database path" "$WORK/db-audit"

# 2. --extract-files: the temporary names and the final (content) names
"$NETSIFT" capture -q -r "$INPUT" -d "$WORK/db-x1" --no-monitor --extract-files "$WORK/x1" > /dev/null 2>&1
extracted=$(ls "$WORK/x1")
[ -n "$extracted" ] && pass || fail "no file extracted from $HTTP"
mkdir -m 0750 "$WORK/x2"
# shellcheck disable=SC2086
plant "$WORK/x2" $extracted $(for w in 0 1 2 3; do for n in $(seq 1 64); do echo ".partial-$w-$n"; done; done)
"$NETSIFT" capture -q -r "$INPUT" -d "$WORK/db-x2" --no-monitor --extract-files "$WORK/x2" > /dev/null 2>&1
check "capture --extract-files over planted links: exit" 0 $?
untouched "--extract-files directory"
check "the same files extracted" "$extracted" "$(find "$WORK/x2" -type f ! -name '.partial-*' -printf '%f\n' | sort)"
for f in $extracted; do
  cmp -s "$WORK/x1/$f" "$WORK/x2/$f" || fail "extracted $f differs"
done
modes_ok "--extract-files directory" "$WORK/x1"

# 3. the database path: the files SQLite makes beside a database, the lock
DB=$WORK/db-links
mkdir -m 0750 "$DB"
plant "$DB" headers.sqlite-wal headers.sqlite-shm headers.sqlite-journal fingerprint.sqlite-wal \
  fingerprint.sqlite-shm pcap-meta.sqlite-wal pcap-meta.sqlite-shm headers.lock
"$NETSIFT" capture -q -r "$INPUT" -d "$DB" --file-write > /dev/null 2> "$WORK/db.err"
check "capture over planted -wal/-shm links: exit" 0 $?
untouched "database path"
check "every header row stored, as without links" "$(sql "$WORK/db-x1/headers.sqlite" 'SELECT sum(frames) FROM eth')" \
  "$(sql "$DB/headers.sqlite" 'SELECT sum(frames) FROM eth')"
# headers.lock: taken by the readers of rotated files (netsift sql) and the rotating writer
check "netsift sql over a planted headers.lock" 1 "$("$NETSIFT" sql -d "$DB" 'SELECT 1' 2>&1)"
untouched "headers.lock"
[ "$(find "$DB" -maxdepth 1 -type l | wc -l)" = 0 ] && pass || fail "links left in the database path"
modes_ok "database path with --file-write" "$DB"
# a database that is itself a link: refused with one line, never opened
for name in headers.sqlite fingerprint.sqlite pcap-meta.sqlite; do
  d=$WORK/db-main-$name
  mkdir -m 0750 "$d"
  plant "$d" "$name"
  "$NETSIFT" capture -q -r "$INPUT" -d "$d" --file-write > /dev/null 2> "$WORK/main.err"
  check "$name as a link: exit 1" 1 $?
  check "$name as a link: one line" 1 "$(wc -l < "$WORK/main.err")"
  grep -q "symbolic link" "$WORK/main.err" && pass || fail "$name: $(cat "$WORK/main.err")"
  untouched "$name as a link"
done

# 4. a database of the right name whose tables are not netsift's (another
# program's): refused with one line naming the table and the column, and
# never changed; a table of an older netsift (a later column missing) is
# completed instead
foreign() { # NAME SQL WORDS...
  local name=$1 sql=$2 d=$WORK/foreign-$RANDOM
  shift 2
  mkdir -m 0750 "$d"
  sqlite3 "$d/$name" "$sql"
  local before
  before=$(sha256sum < "$d/$name")
  "$NETSIFT" capture -q -r "$INPUT" -d "$d" --file-write > /dev/null 2> "$WORK/foreign.err"
  check "foreign $name ($sql): exit 1" 1 $?
  check "foreign $name: one line" 1 "$(wc -l < "$WORK/foreign.err")"
  local w
  for w in "not netsift's" "$@"; do
    grep -qF "$w" "$WORK/foreign.err" && pass || fail "foreign $name: no '$w' in: $(cat "$WORK/foreign.err")"
  done
  check "foreign $name: the file is unchanged" "$before" "$(sha256sum < "$d/$name")"
}
foreign headers.sqlite "CREATE TABLE eth (hash INTEGER, foo TEXT); INSERT INTO eth VALUES (1, 'x')" "table eth" "column foo"
foreign headers.sqlite "CREATE TABLE tcp (hash INTEGER, timestamp TEXT, ethh_hash INTEGER)" "table tcp" "column timestamp is TEXT"
foreign headers.sqlite "CREATE TABLE dns (hash INTEGER, timestamp INTEGER)" "table dns lacks" "column ethh_hash"
foreign fingerprint.sqlite "CREATE TABLE devices (mac TEXT, secret BLOB)" "table devices" "column secret"
foreign pcap-meta.sqlite "CREATE TABLE files (x INTEGER); INSERT INTO files VALUES (7)" "table files" "column x"
# an older netsift's eth table: one of netsift's later columns missing
OLD=$WORK/db-older
"$NETSIFT" capture -q -r "$INPUT" -d "$OLD" --no-monitor > /dev/null 2>&1
sqlite3 "$OLD/headers.sqlite" "ALTER TABLE eth DROP COLUMN payload_type"
"$NETSIFT" capture -q -r "$INPUT" -d "$OLD" --no-monitor > /dev/null 2> "$WORK/older.err"
check "an older netsift's table: capture exit 0" 0 $?
check "an older netsift's table: the column is added back" 1 \
  "$(sql "$OLD/headers.sqlite" "SELECT count(*) FROM pragma_table_info('eth') WHERE name = 'payload_type'")"
finish
