/*
 * sync_engine.c - read new local rows, push them to PostgreSQL, move the
 * positions (see sync_engine.h).
 */
#define _GNU_SOURCE
#include "sync_engine.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../sink/databases.h"
#include "../store/header_files.h"
#include "../db/rotation.h"
#include "../db/schema.h"
#include "../util/progress.h"
#include "copybuf.h"
#include "pg_tables.h"
#include "pg_target.h"
#include "sync_state.h"

#define SYNC_BATCH_ROWS 50000   /* rows per PostgreSQL transaction */
#define COPY_CHUNK (256u << 10) /* bytes handed to libpq at a time */

/* Results of pushing one table or batch. */
enum { PUSH_DONE = 0, PUSH_STOPPED = 1, PUSH_FAILED = -1, PUSH_LOST = -2, PUSH_CONFLICT = -3 };

#define SQLSTATE_UNIQUE_VIOLATION "23505"

struct local_table {
    sqlite3_stmt *select; /* rowid and columns after a rowid, in rowid order */
    struct pg_table pg;   /* its twin on the current connection (pg.t NULL: not prepared) */
    bool merge;           /* send through the staging merge: rows were sent before */
};

struct local_db {
    const struct database_schema *schema;
    char path[CONF_PATH_MAX + 300];
    char name[300]; /* the file in DB_PATH, as --status shows it */
    char key[128];  /* its positions' name in the sync state: the file's name, or for a header
                       file "headers.sqlite#" and its identity (header_files.h), which stays
                       with it when it is rotated into DB_PATH/headers/ */
    sqlite3 *db;    /* only read; NULL until the file exists */
    int64_t file_id; /* a header file's identity (0: none), its PostgreSQL rows' netsift_file */
    int rotation_lock; /* headers.sqlite: the rotation lock held while it is open, or -1 */
    struct local_table *tables;
};

struct sync_engine {
    struct pg_target target;
    char db_path[CONF_PATH_MAX];
    struct sync_state *state;
    PGconn *pg;
    pthread_mutex_t cancel_lock;
    PGcancel *cancel;     /* under cancel_lock */
    struct local_db *dbs; /* all_databases_count */
    struct copybuf buf;
    char **finished; /* closed header files pushed whole (never written again) */
    size_t nfinished;
    struct sync_totals totals;
    char error[2048]; /* the first failure of the last pass */
};

/* ---- the engine ---------------------------------------------------- */

static void close_local(struct local_db *d);

struct sync_engine *sync_engine_new(const struct netsift_conf *c, bool create_state, char *err,
                                    size_t errlen)
{
    struct sync_engine *e = calloc(1, sizeof *e);
    if (e)
        e->dbs = calloc(all_databases_count, sizeof *e->dbs);
    if (!e || !e->dbs) {
        free(e);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&e->cancel_lock, NULL);
    copybuf_init(&e->buf);
    snprintf(e->db_path, sizeof e->db_path, "%s", c->db_path);
    for (size_t d = 0; d < all_databases_count; d++) {
        e->dbs[d].schema = all_databases[d];
        snprintf(e->dbs[d].path, sizeof e->dbs[d].path, "%s/%s", c->db_path,
                 all_databases[d]->file);
        snprintf(e->dbs[d].name, sizeof e->dbs[d].name, "%s", all_databases[d]->file);
        snprintf(e->dbs[d].key, sizeof e->dbs[d].key, "%s", all_databases[d]->file);
        e->dbs[d].rotation_lock = -1;
        e->dbs[d].tables = calloc(all_databases[d]->ntables, sizeof *e->dbs[d].tables);
        if (!e->dbs[d].tables) {
            snprintf(err, errlen, "out of memory");
            sync_engine_free(e);
            return NULL;
        }
    }
    bool missing = false;
    if (pg_target_init(&e->target, c, err, errlen) != 0 ||
        (!(e->state = sync_state_open(c->db_path, create_state, &missing, err, errlen)) &&
         !missing)) {
        sync_engine_free(e);
        return NULL;
    }
    return e;
}

static void forget_twins(struct sync_engine *e)
{
    for (size_t d = 0; d < all_databases_count; d++)
        for (size_t t = 0; e->dbs[d].tables && t < e->dbs[d].schema->ntables; t++)
            pg_table_free(&e->dbs[d].tables[t].pg);
}

static void disconnect(struct sync_engine *e)
{
    pthread_mutex_lock(&e->cancel_lock);
    PQfreeCancel(e->cancel);
    e->cancel = NULL;
    pthread_mutex_unlock(&e->cancel_lock);
    PQfinish(e->pg);
    e->pg = NULL;
    forget_twins(e);
}

void sync_engine_free(struct sync_engine *e)
{
    if (!e)
        return;
    disconnect(e);
    for (size_t d = 0; d < all_databases_count; d++) {
        close_local(&e->dbs[d]);
        free(e->dbs[d].tables);
    }
    free(e->dbs);
    for (size_t i = 0; i < e->nfinished; i++)
        free(e->finished[i]);
    free(e->finished);
    sync_state_close(e->state);
    pg_target_free(&e->target);
    copybuf_free(&e->buf);
    pthread_mutex_destroy(&e->cancel_lock);
    free(e);
}

const char *sync_engine_target(const struct sync_engine *e)
{
    return e->target.id;
}

const char *sync_engine_where(const struct sync_engine *e)
{
    return e->target.where;
}

const char *sync_engine_error(const struct sync_engine *e)
{
    return e->error;
}

void sync_engine_totals(const struct sync_engine *e, struct sync_totals *t)
{
    *t = e->totals;
}

struct sync_state *sync_engine_state(struct sync_engine *e)
{
    return e->state;
}

void sync_engine_cancel(struct sync_engine *e)
{
    char why[256];
    pthread_mutex_lock(&e->cancel_lock);
    if (e->cancel)
        PQcancel(e->cancel, why, sizeof why);
    pthread_mutex_unlock(&e->cancel_lock);
}

/* Formatted text into dst, cut to fit (messages may be long: paths). */
__attribute__((format(printf, 3, 4))) static void say(char *dst, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst, size, fmt, ap);
    va_end(ap);
}

/* The first failure of a pass goes to e->error. */
__attribute__((format(printf, 2, 3))) static void note_error(struct sync_engine *e, const char *fmt,
                                                             ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (!e->error[0])
        vsnprintf(e->error, sizeof e->error, fmt, ap);
    va_end(ap);
}

/* ---- the local side ------------------------------------------------ */

/* Open a database file once it exists: 0, 1 (not there), -1.  Only read:
 * query_only refuses any write, so the sync never takes the write lock.
 * (Not SQLITE_OPEN_READONLY: a read-only connection that closes last
 * leaves the -wal and -shm files behind; SQLite opens a file the process
 * may not write read-only by itself.) */
static int open_local(struct sync_engine *e, struct local_db *d)
{
    struct stat st;
    if (d->db)
        return 0;
    if (stat(d->path, &st) != 0)
        return 1;
    if (sqlite3_open_v2(d->path, &d->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK ||
        sqlite3_busy_timeout(d->db, 5000) != SQLITE_OK ||
        sqlite3_exec(d->db, "PRAGMA query_only=1", NULL, NULL, NULL) != SQLITE_OK) {
        note_error(e, "%s: %s", d->path, d->db ? sqlite3_errmsg(d->db) : "out of memory");
        sqlite3_close(d->db);
        d->db = NULL;
        return -1;
    }
    return 0;
}

/* Close the file: its statements go, the PostgreSQL twins stay. */
static void close_local(struct local_db *d)
{
    for (size_t t = 0; d->tables && t < d->schema->ntables; t++) {
        sqlite3_finalize(d->tables[t].select);
        d->tables[t].select = NULL;
    }
    sqlite3_close(d->db);
    d->db = NULL;
    d->file_id = 0;
}

/* Bit i set: column i of t exists in the local table (an older file may
 * lack netsift's newer columns: they are sent as NULL).  0 when the table
 * does not exist. */
static uint64_t local_columns(sqlite3 *db, const struct table_schema *t)
{
    sqlite3_stmt *st;
    uint64_t have = 0;
    if (sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info(?1)", -1, &st, NULL) !=
        SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        for (size_t i = 0; name && i < t->ncols && i < 64; i++)
            if (strcmp(name, t->cols[i].name) == 0)
                have |= 1ull << i;
    }
    sqlite3_finalize(st);
    return have;
}

/* The batch query of a table: 0, 1 (the table does not exist yet), -1. */
static int prepare_select(struct local_db *d, const struct table_schema *t, sqlite3_stmt **out)
{
    uint64_t have = local_columns(d->db, t);
    if (!have)
        return 1;
    struct copybuf sql;
    copybuf_init(&sql);
    copybuf_printf(&sql, "SELECT rowid");
    for (size_t i = 0; i < t->ncols; i++) /* names from the compiled-in schema only */
        copybuf_printf(&sql, (have >> i) & 1 ? ", \"%s\"" : ", NULL", t->cols[i].name);
    copybuf_printf(&sql, " FROM \"%s\" WHERE rowid > ?1 ORDER BY rowid LIMIT ?2", t->name);
    int rc = !sql.oom && sqlite3_prepare_v3(d->db, sql.data, -1, SQLITE_PREPARE_PERSISTENT, out,
                                            NULL) == SQLITE_OK
                 ? 0
                 : -1;
    copybuf_free(&sql);
    return rc;
}

/* One number from a query on table t, with ?1 (if any) bound to arg: 0
 * or -1.  NULL reads as -1. */
static int local_number(sqlite3 *db, const char *fmt, const struct table_schema *t, int64_t arg,
                        int64_t *out)
{
    char sql[256];
    sqlite3_stmt *st;
    snprintf(sql, sizeof sql, fmt, t->name);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_bind_parameter_count(st))
        sqlite3_bind_int64(st, 1, arg);
    int rc = sqlite3_step(st) == SQLITE_ROW ? 0 : -1;
    *out = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc;
}

#define COUNT_AFTER "SELECT count(*) FROM \"%s\" WHERE rowid > ?1"
#define MAX_ROWID "SELECT max(rowid) FROM \"%s\""

/* The table's position; a table whose largest rowid is below it was
 * emptied or replaced, and starts over. */
static int position(struct sync_engine *e, struct local_db *d, const struct table_schema *t,
                    int64_t *pos)
{
    struct sync_state_row row;
    int64_t max;
    if (sync_state_get(e->state, d->key, t->name, e->target.id, &row, NULL, 0) != 0 ||
        local_number(d->db, MAX_ROWID, t, 0, &max) != 0)
        return -1;
    *pos = row.last_rowid;
    if (max >= *pos || *pos == 0)
        return 0;
    *pos = 0;
    return sync_state_restart(e->state, d->key, t->name, e->target.id);
}

/* One local row as a COPY row: the sensor, then the columns. */
static void add_row(struct copybuf *b, const char *sensor, size_t sensor_len, sqlite3_stmt *st,
                    size_t ncols, const int64_t *file_id)
{
    copy_field_text(b, sensor, sensor_len);
    for (int c = 1; c <= (int)ncols; c++) {
        switch (sqlite3_column_type(st, c)) {
        case SQLITE_NULL: copy_field_null(b); break;
        case SQLITE_INTEGER: copy_field_int(b, sqlite3_column_int64(st, c)); break;
        default: {
            const char *s = (const char *)sqlite3_column_text(st, c);
            copy_field_text(b, s ? s : "", (size_t)sqlite3_column_bytes(st, c));
        }
        }
    }
    if (file_id)
        copy_field_int(b, *file_id);
    copy_end_row(b);
}

/* ---- the PostgreSQL side ------------------------------------------- */

/* A live connection: the one there is, or a new one.  0 or -1. */
static int connect_pg(struct sync_engine *e)
{
    if (e->pg && PQconsumeInput(e->pg) && PQstatus(e->pg) == CONNECTION_OK)
        return 0; /* PQconsumeInput notices a server that went away while idle */
    disconnect(e);
    char err[1024];
    PGconn *pg = pg_target_connect(&e->target, err, sizeof err);
    if (e->state)
        sync_state_set_error(e->state, "", "", e->target.id, pg ? NULL : err);
    if (!pg) {
        note_error(e, "%s", err);
        return -1;
    }
    e->pg = pg;
    pthread_mutex_lock(&e->cancel_lock);
    e->cancel = PQgetCancel(pg);
    pthread_mutex_unlock(&e->cancel_lock);
    return 0;
}

/* Run a statement expecting `want`; on failure err gets the reason. */
static int pg_run(PGconn *pg, const char *sql, ExecStatusType want, const char *what, char *err,
                  size_t errlen)
{
    PGresult *res = PQexec(pg, sql);
    int ok = PQresultStatus(res) == want;
    if (!ok)
        pg_result_error(pg, res, what, err, errlen);
    PQclear(res);
    return ok ? 0 : -1;
}

/* Hand the buffered COPY data to libpq.  0 or -1. */
static int put_copy(struct sync_engine *e)
{
    int ok = !e->buf.len || PQputCopyData(e->pg, e->buf.data, (int)e->buf.len) == 1;
    copybuf_reset(&e->buf);
    return ok ? 0 : -1;
}

/* End the COPY (aborting it with a reason when not NULL); its result,
 * and on failure the SQLSTATE in state. */
static int end_copy(struct sync_engine *e, const char *abort_reason, char *err, size_t errlen,
                    char state[6])
{
    PQputCopyEnd(e->pg, abort_reason);
    PGresult *res = PQgetResult(e->pg);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    const char *code = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    snprintf(state, 6, "%s", ok || !code ? "" : code);
    if (!ok)
        pg_result_error(e->pg, res, "COPY", err, errlen);
    PQclear(res);
    while ((res = PQgetResult(e->pg)) != NULL)
        PQclear(res);
    return ok ? 0 : -1;
}

/* Stream the rows of the stepped statement into COPY; the last rowid and
 * count.  0, or -1 with a reason in err (and the SQLSTATE in state). */
static int stream_rows(struct sync_engine *e, const struct local_db *d,
                       const struct table_schema *t, sqlite3_stmt *st, int64_t *last, long *n,
                       char *err, size_t errlen, char state[6])
{
    const int64_t *file_id = t->merge_frames ? &d->file_id : NULL; /* pg_tables.c */
    size_t sensor_len = strlen(e->target.sensor);
    int rc = SQLITE_ROW, put = 0;
    copybuf_reset(&e->buf);
    do {
        *last = sqlite3_column_int64(st, 0);
        add_row(&e->buf, e->target.sensor, sensor_len, st, t->ncols, file_id);
        (*n)++;
        if (e->buf.len >= COPY_CHUNK)
            put = put_copy(e);
    } while (put == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW);
    /* a local reason to abort the COPY; a failed put is the server's */
    const char *abort_reason = put != 0            ? NULL
                               : rc != SQLITE_DONE ? "reading the local table failed"
                               : e->buf.oom        ? "out of memory"
                                                   : NULL;
    if (put == 0 && !abort_reason)
        put = put_copy(e);
    int end = end_copy(e,
                       abort_reason ? abort_reason
                       : put != 0   ? "sending failed"
                                    : NULL,
                       err, errlen, state);
    if (abort_reason)
        say(err, errlen, "%s%s%s", abort_reason, rc != SQLITE_DONE ? ": " : "",
            rc != SQLITE_DONE ? sqlite3_errmsg(sqlite3_db_handle(st)) : "");
    else if (put != 0 && end == 0)
        pg_result_error(e->pg, NULL, "sending rows", err, errlen);
    return put == 0 && end == 0 && !abort_reason ? 0 : -1;
}

/* A failure on the PostgreSQL side: the connection is gone (PUSH_LOST),
 * or the transaction is rolled back and the table failed. */
static int pg_failure(struct sync_engine *e, struct local_db *d, const struct table_schema *t,
                      const char *why)
{
    char msg[1536];
    if (PQstatus(e->pg) != CONNECTION_OK) {
        say(msg, sizeof msg, "PostgreSQL at %s: connection lost: %s", e->target.where, why);
        note_error(e, "%s", msg);
        if (e->state)
            sync_state_set_error(e->state, "", "", e->target.id, msg);
        return PUSH_LOST;
    }
    char ignore[256];
    pg_run(e->pg, "ROLLBACK", PGRES_COMMAND_OK, "ROLLBACK", ignore, sizeof ignore);
    say(msg, sizeof msg, "PostgreSQL at %s: %s", e->target.where, why);
    note_error(e, "%s", msg);
    sync_state_set_error(e->state, d->key, t->name, e->target.id, msg);
    return PUSH_FAILED;
}

/* ---- pushing ------------------------------------------------------- */

/* Merge the staging table; *inserted gets the "INSERT 0 N": rows
 * PostgreSQL did not have. */
static int merge(struct sync_engine *e, struct local_table *lt, uint64_t *inserted, char *err,
                 size_t errlen)
{
    PGresult *res = PQexec(e->pg, lt->pg.merge_sql);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (ok)
        *inserted = strtoull(PQcmdTuples(res), NULL, 10);
    else
        pg_result_error(e->pg, res, "merging", err, errlen);
    PQclear(res);
    return ok ? 0 : -1;
}

/* Send the batch of rows after *pos in one transaction, straight into
 * the table or through the staging merge; after COMMIT, advance *pos.
 * Rows sent (0: caught up), PUSH_CONFLICT (straight only: a row is there
 * already; rolled back), PUSH_FAILED or PUSH_LOST. */
static long send_batch(struct sync_engine *e, struct local_db *d, size_t ti, int64_t *pos,
                       bool via_merge)
{
    const struct table_schema *t = &d->schema->tables[ti];
    struct local_table *lt = &d->tables[ti];
    char err[1024] = "", what[128];
    sqlite3_stmt *st = lt->select;
    sqlite3_bind_int64(st, 1, *pos);
    sqlite3_bind_int(st, 2, SYNC_BATCH_ROWS);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        if (rc == SQLITE_DONE)
            return 0;
        say(err, sizeof err, "%s: table %s: %s", d->path, t->name, sqlite3_errmsg(d->db));
        note_error(e, "%s", err);
        sync_state_set_error(e->state, d->key, t->name, e->target.id, err);
        return PUSH_FAILED;
    }
    if (!lt->pg.t && pg_table_prepare(e->pg, t, &lt->pg, err, sizeof err) != 0) {
        sqlite3_reset(st);
        return pg_failure(e, d, t, err);
    }
    snprintf(what, sizeof what, "table %s: COPY", t->name);
    if (pg_run(e->pg, "BEGIN", PGRES_COMMAND_OK, "BEGIN", err, sizeof err) != 0 ||
        pg_run(e->pg, via_merge ? lt->pg.copy_sql : lt->pg.direct_sql, PGRES_COPY_IN, what, err,
               sizeof err) != 0) {
        sqlite3_reset(st);
        return pg_failure(e, d, t, err);
    }
    int64_t last = *pos;
    long n = 0;
    char state[6] = "";
    uint64_t inserted = 0;
    int streamed = stream_rows(e, d, t, st, &last, &n, err, sizeof err, state);
    sqlite3_reset(st); /* ends the read transaction */
    if (streamed != 0 && !via_merge && strcmp(state, SQLSTATE_UNIQUE_VIOLATION) == 0 &&
        pg_run(e->pg, "ROLLBACK", PGRES_COMMAND_OK, "ROLLBACK", err, sizeof err) == 0)
        return PUSH_CONFLICT;
    if (streamed != 0 || (via_merge && merge(e, lt, &inserted, err, sizeof err) != 0) ||
        pg_run(e->pg, "COMMIT", PGRES_COMMAND_OK, "COMMIT", err, sizeof err) != 0) {
        char why[1200];
        say(why, sizeof why, "table %s: %s", t->name, err);
        return pg_failure(e, d, t, why);
    }
    if (via_merge && inserted == (uint64_t)n)
        lt->merge = false; /* every row was new: back to the fast way */
    e->totals.inserted += via_merge ? inserted : (uint64_t)n;
    e->totals.pushed += (uint64_t)n;
    e->totals.batches++;
    *pos = last;
    if (sync_state_advance(e->state, d->key, t->name, e->target.id, last, (uint64_t)n) !=
        0) { /* committed all the same: sent again later, and absorbed */
        note_error(e, "sync state: %s", sync_state_errmsg(e->state));
        return PUSH_FAILED;
    }
    return n;
}

/* One batch, the fast way unless rows were sent before; after a
 * conflict, again through the merge. */
static long push_batch(struct sync_engine *e, struct local_db *d, size_t ti, int64_t *pos)
{
    struct local_table *lt = &d->tables[ti];
    long n = send_batch(e, d, ti, pos, lt->merge || d->schema->tables[ti].replace);
    if (n != PUSH_CONFLICT)
        return n;
    lt->merge = true;
    return send_batch(e, d, ti, pos, true);
}

static bool stopped(uint64_t deadline_us, atomic_bool *stop)
{
    return (stop && atomic_load(stop)) || (deadline_us && monotonic_us() >= deadline_us);
}

/* Push one table until it is caught up. */
static int push_table(struct sync_engine *e, struct local_db *d, size_t ti, uint64_t deadline_us,
                      atomic_bool *stop)
{
    const struct table_schema *t = &d->schema->tables[ti];
    struct local_table *lt = &d->tables[ti];
    int64_t pos;
    if (!lt->select) {
        int rc = prepare_select(d, t, &lt->select);
        if (rc != 0) {
            if (rc < 0)
                note_error(e, "%s: cannot read it: %s", d->path, sqlite3_errmsg(d->db));
            return rc > 0 ? PUSH_DONE : PUSH_FAILED; /* not created yet: nothing to push */
        }
    }
    if (position(e, d, t, &pos) != 0) {
        note_error(e, "%s: reading the sync position: %s", d->path, sqlite3_errmsg(d->db));
        return PUSH_FAILED;
    }
    for (;;) {
        if (stopped(deadline_us, stop))
            return PUSH_STOPPED;
        if (db_rotation_wanted(d->rotation_lock))
            return PUSH_DONE; /* the writer waits to rotate the file: the rest next pass */
        long n = push_batch(e, d, ti, &pos);
        if (n <= 0)
            return (int)n;
    }
}

/* Push every table of the open file d: PUSH_DONE, PUSH_STOPPED, PUSH_LOST,
 * or PUSH_FAILED when a table could not be pushed (the others went on). */
static int push_file(struct sync_engine *e, struct local_db *d, uint64_t deadline_us,
                     atomic_bool *stop)
{
    int result = PUSH_DONE;
    for (size_t t = 0; t < d->schema->ntables; t++) {
        int rc = push_table(e, d, t, deadline_us, stop);
        if (rc == PUSH_STOPPED || rc == PUSH_LOST)
            return rc;
        if (rc == PUSH_FAILED)
            result = PUSH_FAILED;
    }
    return result;
}

/* ---- header files: headers.sqlite and the closed ones --------------- */

static bool finished(const struct sync_engine *e, const char *name)
{
    for (size_t i = 0; i < e->nfinished; i++)
        if (strcmp(e->finished[i], name) == 0)
            return true;
    return false;
}

static void add_finished(struct sync_engine *e, const char *name)
{
    char **grown = realloc(e->finished, (e->nfinished + 1) * sizeof *grown);
    if (!grown)
        return; /* pushed again (nothing left: a count per table) next time */
    e->finished = grown;
    if ((e->finished[e->nfinished] = strdup(name)))
        e->nfinished++;
}

/* d now stands for header file f (its statements of the file before
 * closed).  Opens it and names its positions by the file's identity.  0,
 * 1 (gone: rotated or removed since it was listed), -1. */
static int use_header_file(struct sync_engine *e, struct local_db *d, const struct header_file *f)
{
    close_local(d);
    snprintf(d->path, sizeof d->path, "%s", f->path);
    const char *name = f->path + strlen(e->db_path) + 1;
    snprintf(d->name, sizeof d->name, "%s", name);
    int rc = open_local(e, d);
    if (rc != 0)
        return rc;
    int64_t id;
    int has = header_file_id(d->db, &id);
    if (has < 0) {
        note_error(e, "%s: reading its identity: %s", d->path, sqlite3_errmsg(d->db));
        return -1;
    }
    d->file_id = has ? id : 0;
    if (!has) { /* written before files had one: by its name */
        snprintf(d->key, sizeof d->key, "%s", name);
        return 0;
    }
    snprintf(d->key, sizeof d->key, "%s#%016" PRIx64, d->schema->file, (uint64_t)id);
    /* the open file's positions before it had an identity are its own */
    if (f->open && e->state &&
        sync_state_rename(e->state, d->schema->file, d->key, e->target.id) != 0) {
        note_error(e, "sync state: %s", sync_state_errmsg(e->state));
        return -1;
    }
    return 0;
}

/* Push the closed header files not pushed whole yet, oldest first, then
 * headers.sqlite under the rotation lock (so that the writer never
 * rotates a file this connection has open), closing each after its push.
 * As push_file(). */
static int push_header_files(struct sync_engine *e, struct local_db *d, uint64_t deadline_us,
                             atomic_bool *stop)
{
    struct header_files hf;
    char err[512];
    if (header_files_list(e->db_path, &hf, err, sizeof err) != 0) {
        note_error(e, "%s", err);
        return PUSH_FAILED;
    }
    int result = PUSH_DONE;
    for (int i = 0; i < hf.n && result != PUSH_STOPPED && result != PUSH_LOST; i++) {
        const struct header_file *f = &hf.v[i];
        const char *name = strrchr(f->path, '/') + 1;
        if (!f->open && finished(e, name))
            continue;
        d->rotation_lock = f->open ? db_rotation_lock_shared(e->db_path) : -1;
        int rc = use_header_file(e, d, f);
        if (rc == 0)
            rc = push_file(e, d, deadline_us, stop);
        else
            rc = rc > 0 ? PUSH_DONE : PUSH_FAILED;
        if (rc == PUSH_DONE && !f->open)
            add_finished(e, name);
        close_local(d);
        db_rotation_unlock(d->rotation_lock);
        d->rotation_lock = -1;
        if (rc != PUSH_DONE)
            result = rc;
    }
    header_files_free(&hf);
    return result;
}

int sync_engine_pass(struct sync_engine *e, uint64_t deadline_us, atomic_bool *stop)
{
    e->error[0] = '\0';
    if (!e->state) {
        say(e->error, sizeof e->error, "no sync state file in %s", e->db_path);
        return -1;
    }
    if (connect_pg(e) != 0)
        return -1;
    int result = 0;
    for (size_t d = 0; d < all_databases_count; d++) {
        int rc;
        if (e->dbs[d].schema == &header_database) {
            rc = push_header_files(e, &e->dbs[d], deadline_us, stop);
        } else {
            rc = open_local(e, &e->dbs[d]);
            if (rc != 0) {
                result = rc < 0 ? -1 : result;
                continue;
            }
            rc = push_file(e, &e->dbs[d], deadline_us, stop);
        }
        if (rc == PUSH_STOPPED)
            return 1;
        if (rc == PUSH_LOST) {
            disconnect(e);
            return -1;
        }
        if (rc == PUSH_FAILED)
            result = -1;
    }
    return result;
}

/* ---- status -------------------------------------------------------- */

static void table_status(struct sync_engine *e, struct local_db *d, size_t ti, const char *target,
                         struct sync_table_status *s, char *error, size_t errlen)
{
    const struct table_schema *t = &d->schema->tables[ti];
    struct sync_state_row row = {0};
    int64_t n;
    memset(s, 0, sizeof *s);
    s->database = d->name;
    s->table = t->name;
    error[0] = '\0';
    if (e->state)
        sync_state_get(e->state, d->key, t->name, target, &row, error, errlen);
    s->error = error;
    s->last_rowid = row.last_rowid;
    s->pushed = row.pushed;
    if (!d->db || !local_columns(d->db, t))
        return;
    s->present = true;
    if (local_number(d->db, COUNT_AFTER, t, 0, &n) == 0)
        s->local_rows = (uint64_t)n;
    if (local_number(d->db, MAX_ROWID, t, 0, &n) == 0 && n < row.last_rowid)
        row.last_rowid = 0; /* starts over at the next push */
    if (local_number(d->db, COUNT_AFTER, t, row.last_rowid, &n) == 0)
        s->pending = (uint64_t)n;
}

/* Every table of file d; all_tables false: only those with rows to push
 * or an error. */
static void file_status(struct sync_engine *e, struct local_db *d, const char *target,
                        bool all_tables, void (*fn)(void *arg, const struct sync_table_status *st),
                        void *arg)
{
    for (size_t t = 0; t < d->schema->ntables; t++) {
        struct sync_table_status s;
        char error[1024];
        table_status(e, d, t, target ? target : e->target.id, &s, error, sizeof error);
        if (all_tables || s.pending || s.error[0])
            fn(arg, &s);
    }
}

/* The header files: headers.sqlite's tables all (also when it does not
 * exist yet), a closed file's tables while they have rows to push. */
static int header_files_status(struct sync_engine *e, struct local_db *d, const char *target,
                               void (*fn)(void *arg, const struct sync_table_status *st),
                               void *arg, char *err, size_t errlen)
{
    struct header_files hf;
    if (header_files_list(e->db_path, &hf, err, errlen) != 0)
        return -1;
    bool open_seen = false;
    int rc = 0;
    for (int i = 0; i < hf.n && rc == 0; i++) {
        const struct header_file *f = &hf.v[i];
        if (!f->open && finished(e, strrchr(f->path, '/') + 1))
            continue;
        int lock = f->open ? db_rotation_lock_shared(e->db_path) : -1;
        rc = use_header_file(e, d, f);
        if (rc < 0)
            say(err, errlen, "%s", e->error);
        else if (rc == 0)
            file_status(e, d, target, f->open, fn, arg);
        open_seen |= f->open && rc == 0;
        rc = rc < 0 ? -1 : 0;
        close_local(d);
        db_rotation_unlock(lock);
    }
    header_files_free(&hf);
    if (rc == 0 && !open_seen) { /* no headers.sqlite: its tables, not present */
        snprintf(d->name, sizeof d->name, "%s", d->schema->file);
        snprintf(d->key, sizeof d->key, "%s", d->schema->file);
        file_status(e, d, target, true, fn, arg);
    }
    return rc;
}

int sync_engine_status(struct sync_engine *e, const char *target,
                       void (*fn)(void *arg, const struct sync_table_status *st), void *arg,
                       char *err, size_t errlen)
{
    for (size_t d = 0; d < all_databases_count; d++) {
        if (e->dbs[d].schema == &header_database) {
            if (header_files_status(e, &e->dbs[d], target, fn, arg, err, errlen) != 0)
                return -1;
            continue;
        }
        if (open_local(e, &e->dbs[d]) < 0) {
            say(err, errlen, "%s", e->error);
            return -1;
        }
        file_status(e, &e->dbs[d], target, true, fn, arg);
    }
    return 0;
}

static void add_pending(void *arg, const struct sync_table_status *s)
{
    *(uint64_t *)arg += s->pending;
}

int sync_engine_pending(struct sync_engine *e, uint64_t *pending)
{
    char err[256];
    *pending = 0;
    return sync_engine_status(e, NULL, add_pending, pending, err, sizeof err);
}
