/*
 * sync_state.c - the sync positions in DB_PATH/sync-state.sqlite (see
 * sync_state.h).  Every statement is parameter-bound.
 */
#define _GNU_SOURCE
#include "sync_state.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct sync_state {
    sqlite3 *db;
};

static const char create_sql[] =
    "CREATE TABLE IF NOT EXISTS sync_state (database TEXT NOT NULL, table_name TEXT NOT NULL, "
    "target TEXT NOT NULL, last_rowid INTEGER NOT NULL DEFAULT 0, pushed INTEGER NOT NULL "
    "DEFAULT 0, last_error TEXT, updated_us INTEGER, PRIMARY KEY (database, table_name, target))";

/* ?1 database ?2 table ?3 target ?4 last_rowid ?5 rows ?6 error ?7 now */
static const char upsert_head[] =
    "INSERT INTO sync_state (database, table_name, target, last_rowid, pushed, last_error, "
    "updated_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (database, table_name, target) "
    "DO UPDATE SET updated_us = excluded.updated_us, ";
static const char advance_tail[] =
    "last_rowid = max(last_rowid, excluded.last_rowid), pushed = pushed + excluded.pushed, "
    "last_error = NULL";
static const char restart_tail[] = "last_rowid = 0";
static const char error_tail[] = "last_error = excluded.last_error";

static uint64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

struct sync_state *sync_state_open(const char *db_path, bool create, bool *missing, char *err,
                                   size_t errlen)
{
    char path[4200];
    struct stat st;
    snprintf(path, sizeof path, "%s/" SYNC_STATE_FILE, db_path);
    if (missing)
        *missing = false;
    if (!create && stat(path, &st) != 0) {
        if (missing)
            *missing = errno == ENOENT;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct sync_state *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | (create ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK ||
        sqlite3_busy_timeout(s->db, 10000) != SQLITE_OK ||
        sqlite3_exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL", NULL, NULL,
                     NULL) != SQLITE_OK ||
        sqlite3_exec(s->db, create_sql, NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "sync state '%s': %s", path,
                 s->db ? sqlite3_errmsg(s->db) : "out of memory");
        sync_state_close(s);
        return NULL;
    }
    return s;
}

void sync_state_close(struct sync_state *s)
{
    if (!s)
        return;
    sqlite3_close(s->db);
    free(s);
}

const char *sync_state_errmsg(struct sync_state *s)
{
    return sqlite3_errmsg(s->db);
}

static void bind_key(sqlite3_stmt *st, const char *database, const char *table, const char *target)
{
    sqlite3_bind_text(st, 1, database, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, table, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, target, -1, SQLITE_STATIC);
}

/* One upsert: the common head with one of the tails. */
static int upsert(struct sync_state *s, const char *tail, const char *database, const char *table,
                  const char *target, int64_t last_rowid, uint64_t rows, const char *error)
{
    char sql[sizeof upsert_head + 256];
    sqlite3_stmt *st;
    snprintf(sql, sizeof sql, "%s%s", upsert_head, tail);
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    bind_key(st, database, table, target);
    sqlite3_bind_int64(st, 4, last_rowid);
    sqlite3_bind_int64(st, 5, (int64_t)rows);
    if (error)
        sqlite3_bind_text(st, 6, error, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 6);
    sqlite3_bind_int64(st, 7, (int64_t)wall_us());
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

int sync_state_advance(struct sync_state *s, const char *database, const char *table,
                       const char *target, int64_t last_rowid, uint64_t rows)
{
    return upsert(s, advance_tail, database, table, target, last_rowid, rows, NULL);
}

int sync_state_restart(struct sync_state *s, const char *database, const char *table,
                       const char *target)
{
    return upsert(s, restart_tail, database, table, target, 0, 0, NULL);
}

int sync_state_rename(struct sync_state *s, const char *from, const char *to, const char *target)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "UPDATE sync_state SET database = ?2 WHERE database = ?1 AND target = ?3 "
                           "AND NOT EXISTS (SELECT 1 FROM sync_state WHERE database = ?2 AND "
                           "target = ?3)",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, from, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, target, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

int sync_state_set_error(struct sync_state *s, const char *database, const char *table,
                         const char *target, const char *error)
{
    return upsert(s, error_tail, database, table, target, 0, 0, error);
}

static void read_row(sqlite3_stmt *st, struct sync_state_row *r)
{
    r->database = (const char *)sqlite3_column_text(st, 0);
    r->table = (const char *)sqlite3_column_text(st, 1);
    r->target = (const char *)sqlite3_column_text(st, 2);
    r->last_rowid = sqlite3_column_int64(st, 3);
    r->pushed = (uint64_t)sqlite3_column_int64(st, 4);
    r->error = (const char *)sqlite3_column_text(st, 5);
    r->updated_us = (uint64_t)sqlite3_column_int64(st, 6);
}

#define SELECT_ROWS                                                                                \
    "SELECT database, table_name, target, last_rowid, pushed, last_error, updated_us FROM "        \
    "sync_state"

int sync_state_get(struct sync_state *s, const char *database, const char *table,
                   const char *target, struct sync_state_row *row, char *error, size_t errlen)
{
    sqlite3_stmt *st;
    memset(row, 0, sizeof *row);
    if (errlen)
        error[0] = '\0';
    if (sqlite3_prepare_v2(s->db,
                           SELECT_ROWS " WHERE database = ?1 AND table_name = ?2 AND target = ?3",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    bind_key(st, database, table, target);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        struct sync_state_row r;
        read_row(st, &r);
        row->last_rowid = r.last_rowid; /* the strings die with the statement */
        row->pushed = r.pushed;
        row->updated_us = r.updated_us;
        if (r.error && errlen)
            snprintf(error, errlen, "%s", r.error);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int sync_state_foreach(struct sync_state *s,
                       void (*fn)(void *arg, const struct sync_state_row *row), void *arg)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, SELECT_ROWS " ORDER BY target, database, table_name", -1, &st,
                           NULL) != SQLITE_OK)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct sync_state_row r;
        read_row(st, &r);
        fn(arg, &r);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}
