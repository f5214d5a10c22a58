/*
 * sync_engine.h - push the rows of every local table that PostgreSQL
 * does not have yet.
 *
 * For each database of sink/databases.h whose file exists in DB_PATH
 * (only read: PRAGMA query_only) and each of its tables, rows are read in rowid
 * order after the table's position (sync_state.h), a batch at a time,
 * and sent in one PostgreSQL transaction: COPY straight into the table;
 * if a row of the batch is there already (it was sent before), that
 * transaction is rolled back and the batch goes through a staging table
 * and INSERT ... SELECT ... ON CONFLICT (pg_tables.h), the way the table
 * keeps until a batch is all new; then COMMIT.  Only then does the
 * position move to the batch's last rowid.  Local
 * SQLite stays the source of truth: a batch whose fate is unknown (the
 * connection broke during COMMIT) is sent again and absorbed.  A table
 * whose rows all went (retention) or whose file was replaced (its
 * largest rowid is below the position) starts over from rowid 0.
 * Header files are many (rotation.h): the closed files of
 * DB_PATH/headers/ not pushed whole yet, then headers.sqlite under the
 * rotation lock, left as soon as the writer wants to rotate; each file's
 * positions are kept under its identity (header_file_id()), which moves
 * with it into DB_PATH/headers/.
 *
 * One engine is used by one thread; sync_engine_cancel() may be called
 * from another.
 */
#ifndef NETSIFT_SYNC_ENGINE_H
#define NETSIFT_SYNC_ENGINE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../conf/conf.h"

struct sync_engine;
struct sync_state;

struct sync_totals {
    uint64_t pushed;   /* rows PostgreSQL committed (sent again after a failure: counted again) */
    uint64_t inserted; /* of them, rows PostgreSQL did not have */
    uint64_t batches;
};

/* One table's state for `netsift sync --status`. */
struct sync_table_status {
    const char *database, *table;
    bool present;        /* the local table exists */
    uint64_t local_rows; /* rows in the local table */
    int64_t last_rowid;  /* position */
    uint64_t pending;    /* local rows after the position */
    uint64_t pushed;
    const char *error; /* "" when none */
};

/* An engine for c's DB_PATH and target.  create_state: make
 * DB_PATH/sync-state.sqlite when missing (otherwise a missing file means
 * nothing was pushed yet).  Does not connect.  NULL with one line in err. */
struct sync_engine *sync_engine_new(const struct netsift_conf *c, bool create_state, char *err,
                                    size_t errlen);
void sync_engine_free(struct sync_engine *e);

/* "HOST:PORT database DB sensor NAME", the key of the positions; and
 * "HOST:PORT database DB" alone. */
const char *sync_engine_target(const struct sync_engine *e);
const char *sync_engine_where(const struct sync_engine *e);

/*
 * Connect when not connected, then push until every table is caught up,
 * until *stop (when stop is not NULL) or until deadline_us (monotonic
 * microseconds; 0: none) is passed, checked between batches.  Returns 0
 * when everything pending was pushed, 1 when stopped early, -1 when the
 * connection failed or a table could not be pushed (sync_engine_error()
 * says why, in one line without secrets; the other tables went on).
 */
int sync_engine_pass(struct sync_engine *e, uint64_t deadline_us, atomic_bool *stop);
const char *sync_engine_error(const struct sync_engine *e);
void sync_engine_totals(const struct sync_engine *e, struct sync_totals *t);
/* Rows not pushed yet, summed over every table; 0 or -1. */
int sync_engine_pending(struct sync_engine *e, uint64_t *pending);

/* Every table's state for `target` (NULL: this engine's), in database
 * order.  0 or -1 with err. */
int sync_engine_status(struct sync_engine *e, const char *target,
                       void (*fn)(void *arg, const struct sync_table_status *st), void *arg,
                       char *err, size_t errlen);
/* The positions file, NULL when it does not exist (yet). */
struct sync_state *sync_engine_state(struct sync_engine *e);

/* Ask the server to cancel the statement running now, if any (any thread). */
void sync_engine_cancel(struct sync_engine *e);

#endif
