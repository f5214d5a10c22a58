# pg-throwaway.sh - a throw-away PostgreSQL server for the sync test and
# benchmark (sourced, not run).  Debian's postgresql package, no system
# service: initdb and pg_ctl in a fresh temporary directory, run as an
# unprivileged user (PostgreSQL refuses to run as root: postgres, else
# nobody), listening on 127.0.0.1 on a random free port and on a unix
# socket in that directory.  Superuser `admin`, password $PG_ADMIN_PW over
# TCP (scram-sha-256), no password over the socket (trust).
#
#   pg_throwaway_start      create and start; sets PG_BIN, PG_DIR, PG_PORT.
#                           Non-zero with a reason on stderr when the
#                           server is not installed or does not start.
#   pg_throwaway_stop [M]   pg_ctl stop -m M (default fast)
#   pg_throwaway_restart    start the same cluster again
#   pg_throwaway_remove     stop it and delete its directory
#   pgq DB [psql args]      psql as admin over the socket: -At, stop on error

pg_throwaway_as() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u "$PG_OS_USER" -- "$@"; else "$@"; fi
}

pg_throwaway_start() {
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
    echo "PostgreSQL server not installed (Debian package postgresql)" >&2; return 1
  fi
  command -v psql >/dev/null || { echo "psql not installed (Debian package postgresql-client)" >&2; return 1; }
  PG_OS_USER=$(id -un)
  if [ "$(id -u)" -eq 0 ]; then
    PG_OS_USER=$(id -u postgres >/dev/null 2>&1 && echo postgres || echo nobody)
  fi
  : "${PG_ADMIN_PW:=admin-$RANDOM$RANDOM}"
  PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/netsift-pg.XXXXXX") || return 1
  chmod 755 "$PG_DIR"
  PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  echo "$PG_ADMIN_PW" > "$PG_DIR/pwfile"
  chown -R "$PG_OS_USER" "$PG_DIR"
  if ! pg_throwaway_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U admin --auth-local=trust \
       --auth-host=scram-sha-256 --pwfile="$PG_DIR/pwfile" --locale=C -E UTF8 -N \
       > "$PG_DIR/initdb.log" 2>&1; then
    cat "$PG_DIR/initdb.log" >&2; echo "initdb failed" >&2; return 1
  fi
  rm -f "$PG_DIR/pwfile"
  pg_throwaway_restart || { cat "$PG_DIR/server.log" >&2; echo "PostgreSQL did not start" >&2; return 1; }
}

pg_throwaway_restart() {
  pg_throwaway_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 120 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories=$PG_DIR" start >/dev/null
}

pg_throwaway_stop() {
  pg_throwaway_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m "${1:-fast}" stop >/dev/null 2>&1
}

pg_throwaway_remove() {
  [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR" ] || return 0
  pg_throwaway_stop immediate
  rm -rf "$PG_DIR"
}

pgq() {
  local db=$1; shift
  psql -X -q -h "$PG_DIR" -p "$PG_PORT" -U admin -d "$db" -v ON_ERROR_STOP=1 -At "$@"
}
