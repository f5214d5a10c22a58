/*
 * header_union.h - one header table over any number of header files:
 * a read-only SQLite virtual table (module "netsift_union").
 *
 * SQLite attaches at most 10 databases in Debian's build
 * (SQLITE_MAX_ATTACHED), and weeks of rotated header files are hundreds.
 * This module reads them the way SQLite's own swarmvtab does (not built
 * into Debian's libsqlite3): each file on its own read-only connection,
 * opened when a query first needs it and closed, least recently used
 * first, beyond a bound on open files; a closed file is opened immutable,
 * and the open headers.sqlite is read in one transaction while cursors
 * are open (one snapshot per statement, no lock per lookup).  Constraints are pushed into each
 * file's query (so the primary key serves a lookup by hash), a timestamp
 * constraint skips the files whose name's time range cannot hold it, and
 * a join on columns no index starts with builds, per file and once per
 * query, the index SQLite would build on a table (an automatic index), in
 * that file connection's temporary schema.
 */
#ifndef NETSIFT_HEADER_UNION_H
#define NETSIFT_HEADER_UNION_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct header_union_file {
    const char *path;
    uint64_t first_us, last_us; /* the packets' time range (0, UINT64_MAX when not known) */
    bool closed;                /* a closed file: never written again, read without locks */
};

/* Open one header file read-only: a closed one as immutable (SQLite takes
 * no lock and checks for no change: no system call per query).  SQLite's
 * result code; *db is set either way (sqlite3_close it). */
int header_union_open_file(const char *path, bool closed, sqlite3 **db);

/* Define on db one temporary virtual table per header table (eth, ...,
 * http) reading the n files, oldest first.  The paths are copied.  0, or
 * -1 with a one-line reason in err. */
int header_union_create(sqlite3 *db, const struct header_union_file *files, int n, char *err,
                        size_t errlen);

#endif
