/*
 * sync_state.h - how far each local table has been pushed, kept in
 * DB_PATH/sync-state.sqlite.
 *
 * One row per (database file, table, target), target naming the
 * PostgreSQL server, database and sensor (pg_target.h): the rowid of the
 * last row PostgreSQL has committed, the rows pushed so far, the last
 * error and when the row changed.  A separate file, so that the sync
 * never takes the write lock of a database the capture is writing.  The
 * position only moves forward, and only after PostgreSQL's COMMIT
 * succeeded: a crash in between sends a batch again, which the ON
 * CONFLICT of the merge absorbs.  The row with empty database and table
 * holds the connection's last error.
 */
#ifndef NETSIFT_SYNC_STATE_H
#define NETSIFT_SYNC_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SYNC_STATE_FILE "sync-state.sqlite"

struct sync_state;

struct sync_state_row {
    const char *database, *table, *target;
    const char *error; /* NULL: none */
    int64_t last_rowid;
    uint64_t pushed;
    uint64_t updated_us; /* wall clock, microseconds since the epoch */
};

/* Open DB_PATH's state file.  create: make it when missing; otherwise a
 * missing file gives NULL with *missing set.  NULL with one line in err. */
struct sync_state *sync_state_open(const char *db_path, bool create, bool *missing, char *err,
                                   size_t errlen);
void sync_state_close(struct sync_state *s);

/* The row of a table (zeros when there is none; its strings are not
 * set: the last error is copied to error, "" when none).  0 or -1. */
int sync_state_get(struct sync_state *s, const char *database, const char *table,
                   const char *target, struct sync_state_row *row, char *error, size_t errlen);
/* PostgreSQL committed `rows` rows up to last_rowid: move forward (never
 * back) and clear the error.  0 or -1. */
int sync_state_advance(struct sync_state *s, const char *database, const char *table,
                       const char *target, int64_t last_rowid, uint64_t rows);
/* Start the table over from rowid 0 (it was emptied or replaced). */
int sync_state_restart(struct sync_state *s, const char *database, const char *table,
                       const char *target);
/* The rows of database `from` become those of `to` (a file known by a
 * new name), unless `to` has rows already.  0 or -1. */
int sync_state_rename(struct sync_state *s, const char *from, const char *to, const char *target);
/* Record (or, with NULL, clear) the last error of a table, or of the
 * connection with database = table = "".  0 or -1. */
int sync_state_set_error(struct sync_state *s, const char *database, const char *table,
                         const char *target, const char *error);
/* Every row, ordered by target, database, table.  0 or -1. */
int sync_state_foreach(struct sync_state *s,
                       void (*fn)(void *arg, const struct sync_state_row *row), void *arg);
/* SQLite's message for the last failure. */
const char *sync_state_errmsg(struct sync_state *s);

#endif
