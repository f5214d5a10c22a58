/*
 * sqlite_writer.c - the database writer thread (see sqlite_writer.h).
 */
#define _GNU_SOURCE
#include "sqlite_writer.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../util/thread_name.h"
#include "wal_checkpointer.h"

#define WRITER_MAX_BATCHES 130 /* two per worker (--workers at most 64), plus two */
/* The WAL is checkpointed on a helper thread once it holds a quarter of
 * the limit, and the writer waits for the checkpointer (so that the WAL
 * restarts) past the limit (wal_checkpointer.h).  SQLite's own checkpoints start at 1000
 * pages (64 MiB of 64 KiB pages).  Measured on the bench file (headers
 * alone, ext4, 5 runs each): 16/64 MiB 1.561 s, 32/128 MiB 1.531 s,
 * 64/256 MiB 1.550 s, SQLite's own 1.599 s. */
#define CHECKPOINT_LIMIT_BYTES (128u << 20) /* writer_opts.wal_limit's default */
/* Rows per multi-row INSERT: fewer statement runs, same binds. */
#define ROWS_PER_INSERT 32

/* What a statement's parameter holds now: bindings stay across
 * sqlite3_reset(), so a parameter already holding the value is not bound
 * again (a third of the writer's time went to binding, and many columns,
 * IP version, header length, protocol, flags, repeat from row to row). */
enum { BOUND_UNKNOWN, BOUND_NULL, BOUND_INT };
struct bound_value {
    int64_t v;
    int kind;
};

struct writer {
    sqlite3 *db;
    const struct table_schema *tables;
    size_t ntables;
    sqlite3_stmt *insert[BATCH_MAX_TABLES];      /* one row */
    sqlite3_stmt *insert_many[BATCH_MAX_TABLES]; /* ROWS_PER_INSERT rows */
    struct bound_value *bound[BATCH_MAX_TABLES];      /* insert's parameters */
    struct bound_value *bound_many[BATCH_MAX_TABLES]; /* insert_many's */
    /* merge_frames tables: the largest rowid (before a transaction: rows it
     * did not create) and the UPDATE that adds frames to a stored row
     * (schema_merge_sql) */
    sqlite3_stmt *max_rowid[BATCH_MAX_TABLES];
    sqlite3_stmt *merge[BATCH_MAX_TABLES];
    sqlite3_stmt *insert_full[BATCH_MAX_TABLES];   /* one row with frames and merged_bytes */
    sqlite3_stmt *keys_between[BATCH_MAX_TABLES];  /* the keys of rows by rowid range */
    uint64_t text_mask[BATCH_MAX_TABLES];
    char path[4096];

    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    struct batch batches[WRITER_MAX_BATCHES];
    struct batch *free_list[WRITER_MAX_BATCHES];
    struct batch *queue[WRITER_MAX_BATCHES]; /* FIFO of filled batches */
    unsigned nbatches, nfree, qhead, qlen;
    uint32_t batch_rows;     /* a batch is full at this many rows */
    size_t batch_bytes;      /* or at this many bytes (SIZE_MAX: no limit) */
    bool closing;
    bool thread_started;

    void (*after_commit)(void *arg, sqlite3 *db);
    void *after_commit_arg;
    struct wal_checkpointer *checkpointer; /* NULL: SQLite checkpoints on this thread */
    int wal_frames;                        /* WAL size after the last commit */
    bool catch_up; /* wait for the checkpointer before the next transaction */

    char error[8192]; /* first write error; written under lock */
    bool failed;
    struct writer_stats stats;
    struct writer_stats published; /* stats as of the last commit; under lock */
    int bump_col[BATCH_MAX_TABLES]; /* index of the table's bump_column, or -1 */
    struct writer *next_open;       /* the list of open writers (writer_foreach_table) */
    uint64_t lost_batches, lost_rows; /* batches not committed (lock) */
    struct writer_opts opts;          /* as opened: a rotation opens the file again */
    uint64_t file_first_us, file_last_us; /* timestamps of the merge_frames rows of this file */
    uint64_t rotate_from_us; /* packet time this file's span counts from: the newest packet
                                of the file before it (0: its oldest row) */
    uint64_t rotate_retry_after;      /* transactions: a deferred rotation waits */
};

/* Every open writer, for live statistics. */
static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;
static struct writer *open_writers;

static void register_open(struct writer *w, bool open)
{
    pthread_mutex_lock(&open_lock);
    struct writer **link = &open_writers;
    while (*link && *link != w)
        link = &(*link)->next_open;
    if (open && !*link)
        *link = w;
    else if (!open && *link)
        *link = w->next_open;
    pthread_mutex_unlock(&open_lock);
}

void writer_foreach_table(void (*fn)(void *arg, const char *db_path, const char *table,
                                     uint64_t stored),
                          void *arg)
{
    pthread_mutex_lock(&open_lock);
    for (struct writer *w = open_writers; w; w = w->next_open) {
        pthread_mutex_lock(&w->lock);
        struct writer_stats st = w->published;
        pthread_mutex_unlock(&w->lock);
        for (size_t l = 0; l < w->ntables; l++)
            fn(arg, w->path, w->tables[l].name, st.stored[l]);
    }
    pthread_mutex_unlock(&open_lock);
}

void writer_losses(uint64_t *batches_failed, uint64_t *rows_lost)
{
    *batches_failed = *rows_lost = 0;
    pthread_mutex_lock(&open_lock);
    for (struct writer *w = open_writers; w; w = w->next_open) {
        pthread_mutex_lock(&w->lock);
        *batches_failed += w->lost_batches;
        *rows_lost += w->lost_rows;
        pthread_mutex_unlock(&w->lock);
    }
    pthread_mutex_unlock(&open_lock);
}

/* A batch that will not be committed: counted (w->lock held; the counts
 * live outside w->stats, which only the writer's thread writes). */
static void count_lost(struct writer *w, const struct batch *b)
{
    w->lost_batches++;
    w->lost_rows += b->rows;
}

/* The first error, as is (w->lock not held). */
static void set_error_text(struct writer *w, const char *text)
{
    pthread_mutex_lock(&w->lock);
    if (!w->failed) {
        snprintf(w->error, sizeof w->error, "%s", text);
        w->failed = true;
    }
    pthread_cond_broadcast(&w->changed);
    pthread_mutex_unlock(&w->lock);
}

static void set_error(struct writer *w, const char *what)
{
    pthread_mutex_lock(&w->lock);
    if (!w->failed) {
        snprintf(w->error, sizeof w->error, "database '%s': %s: %s", w->path, what,
                 sqlite3_errmsg(w->db));
        w->failed = true;
    }
    pthread_cond_broadcast(&w->changed);
    pthread_mutex_unlock(&w->lock);
}

static void finalize_statements(struct writer *w)
{
    for (size_t l = 0; l < BATCH_MAX_TABLES; l++) {
        sqlite3_finalize(w->insert[l]);
        sqlite3_finalize(w->insert_many[l]);
        sqlite3_finalize(w->max_rowid[l]);
        sqlite3_finalize(w->merge[l]);
        sqlite3_finalize(w->insert_full[l]);
        sqlite3_finalize(w->keys_between[l]);
        w->insert[l] = w->insert_many[l] = w->max_rowid[l] = w->merge[l] = NULL;
        w->insert_full[l] = w->keys_between[l] = NULL;
        free(w->bound[l]);
        free(w->bound_many[l]);
        w->bound[l] = w->bound_many[l] = NULL;
    }
}

static int exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/* Add netsift's extra columns to a table created by an older version. */
static int add_missing_columns(sqlite3 *db, const struct table_schema *t)
{
    for (size_t i = 0; i < t->ncols; i++) {
        sqlite3_stmt *st;
        int present = 0;
        /* table_xinfo: table_info leaves generated columns out */
        if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_xinfo(?1) WHERE name = ?2", -1,
                               &st, NULL) != SQLITE_OK)
            return -1;
        sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, t->cols[i].name, -1, SQLITE_STATIC);
        present = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
        if (present)
            continue;
        /* names come from the compiled-in schema table, never from input */
        char sql[768], col[512];
        if (schema_column_sql(t, i, col, sizeof col) != 0)
            return -1;
        snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN %s", t->name, col);
        if (exec(db, sql) != SQLITE_OK)
            return -1;
    }
    return 0;
}

/* A table of this name that is not netsift's (another program's, or a
 * schema netsift never wrote): a column netsift does not have, a column of
 * another type, or one of the specification's columns missing.  An older
 * netsift's table (some of netsift's later columns missing) is not
 * foreign: add_missing_columns() completes it (see sqlite_writer.h). */
int db_table_foreign(sqlite3 *db, const struct table_schema *t, char *why, size_t whylen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT name, type FROM pragma_table_xinfo(?1)", -1, &st, NULL) !=
        SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
    uint64_t seen = 0; /* schema columns present, bit i (the specification's are the first) */
    bool any = false;
    int rc = 0;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        const char *type = (const char *)sqlite3_column_text(st, 1);
        any = true;
        size_t i = 0;
        while (i < t->ncols && (!name || strcasecmp(name, t->cols[i].name) != 0))
            i++;
        if (i == t->ncols) {
            snprintf(why, whylen, "table %s has a column %s that netsift's has not", t->name,
                     name ? name : "?");
            rc = 1;
        } else if (strcasecmp(type ? type : "", schema_col_type(&t->cols[i])) != 0) {
            snprintf(why, whylen, "table %s: column %s is %s, netsift's is %s", t->name,
                     t->cols[i].name, type && type[0] ? type : "untyped",
                     schema_col_type(&t->cols[i]));
            rc = 1;
        } else if (i < 64) {
            seen |= (uint64_t)1 << i;
        }
    }
    sqlite3_finalize(st);
    size_t required = t->nspec ? t->nspec : 1; /* at least the first (key) column */
    for (size_t i = 0; rc == 0 && any && i < required && i < 64; i++)
        if (!(seen >> i & 1)) {
            snprintf(why, whylen, "table %s lacks netsift's column %s", t->name, t->cols[i].name);
            rc = 1;
        }
    return rc;
}

/* The database's page size in bytes (4096 when it cannot tell). */
static int page_size(sqlite3 *db)
{
    sqlite3_stmt *st;
    int size = 0;
    if (sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            size = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    return size > 0 ? size : 4096;
}

/* A merge_frames table's statements. */
static int prepare_merging(struct writer *w, size_t l)
{
    char sql[512];
    const struct table_schema *t = &w->tables[l];
    /* the key's three columns, then length (schema.h) */
    if (t->sort_key_cols != 3 || schema_insert_cols(t) < 5 || strcmp(t->cols[4].name, "length"))
        return -1;
    /* the name comes from the compiled-in schema, never from input */
    snprintf(sql, sizeof sql, "SELECT max(rowid) FROM %s", t->name);
    if (sqlite3_prepare_v3(w->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &w->max_rowid[l], NULL) !=
        SQLITE_OK)
        return -1;
    if (schema_merge_sql(t, sql, sizeof sql) != 0 ||
        sqlite3_prepare_v3(w->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &w->merge[l], NULL) !=
            SQLITE_OK)
        return -1;
    snprintf(sql, sizeof sql,
             "SELECT hash, timestamp, ethh_hash FROM %s WHERE rowid > ?1 AND rowid <= ?2",
             t->name);
    if (sqlite3_prepare_v3(w->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &w->keys_between[l],
                           NULL) != SQLITE_OK)
        return -1;
    char full[8192];
    if (schema_insert_sql_cols(t, t->ncols, 1, full, sizeof full) != 0 ||
        sqlite3_prepare_v3(w->db, full, -1, SQLITE_PREPARE_PERSISTENT, &w->insert_full[l],
                           NULL) != SQLITE_OK)
        return -1;
    return 0;
}

/* The file's identity (writer_opts.file_id), made once: a random 63-bit
 * number and the wall clock. */
static int add_file_id(sqlite3 *db)
{
    uint64_t id = 0;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    if (getrandom(&id, sizeof id, 0) != (ssize_t)sizeof id)
        id = (uint64_t)now.tv_nsec ^ ((uint64_t)now.tv_sec << 30) ^ ((uint64_t)getpid() << 48);
    id &= INT64_MAX;
    if (!id)
        id = 1;
    sqlite3_stmt *st;
    if (exec(db, FILE_ID_TABLE_SQL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO " FILE_ID_TABLE " (id, created) SELECT ?1, ?2 "
                           "WHERE NOT EXISTS (SELECT 1 FROM " FILE_ID_TABLE ")",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, (int64_t)id);
    sqlite3_bind_int64(st, 2, (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

/* SQLite's files beside a database (-wal, -shm, -journal) are never
 * links: one planted there is removed (SQLite would refuse it), so that
 * nothing is written through it and the capture goes on. */
static void remove_planted_links(const char *path)
{
    static const char *const suffixes[] = {"-wal", "-shm", "-journal"};
    char side[4200];
    struct stat st;
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(side, sizeof side, "%s%s", path, suffixes[i]);
        if (lstat(side, &st) == 0 && S_ISLNK(st.st_mode))
            unlink(side);
    }
}

static int open_database(struct writer *w, const struct writer_opts *o, char *err, size_t errlen)
{
    const char *step = "cannot open";
    char sql[4096];
    remove_planted_links(o->path);
    if (sqlite3_open_v2(o->path, &w->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
                            SQLITE_OPEN_NOFOLLOW,
                        NULL) != SQLITE_OK)
        goto fail;
    sqlite3_extended_result_codes(w->db, 1);
    sqlite3_busy_timeout(w->db, 5000);
    /* before anything is set (WAL mode alone rewrites the file's header) */
    step = "cannot read (not a database, or corrupt)";
    for (size_t l = 0; l < w->ntables; l++) {
        char why[512];
        int foreign = db_table_foreign(w->db, &w->tables[l], why, sizeof why);
        if (foreign < 0)
            goto fail;
        if (foreign > 0) {
            snprintf(err, errlen, "database '%s' is not netsift's (%s); netsift changes nothing in "
                     "it: move it away or give another --db-path", o->path, why);
            return -1;
        }
    }
    step = "cannot set up (not a database, corrupt, or not writable)";
    snprintf(sql, sizeof sql, "PRAGMA page_size=%u", o->page_size); /* before WAL; new files only */
    if (o->page_size && exec(w->db, sql) != SQLITE_OK)
        goto fail;
    if (exec(w->db, "PRAGMA journal_mode=WAL") != SQLITE_OK)
        goto fail;
    snprintf(sql, sizeof sql, "PRAGMA synchronous=%s; PRAGMA cache_size=-%u; PRAGMA temp_store=MEMORY",
             o->synchronous, o->cache_mib * 1024);
    if (exec(w->db, sql) != SQLITE_OK)
        goto fail;
    step = "cannot create tables";
    if (exec(w->db, "BEGIN") != SQLITE_OK)
        goto fail;
    for (size_t l = 0; l < w->ntables; l++) {
        if (schema_create_sql(&w->tables[l], sql, sizeof sql) != 0 ||
            exec(w->db, sql) != SQLITE_OK || add_missing_columns(w->db, &w->tables[l]) != 0 ||
            (schema_index_sql(&w->tables[l], sql, sizeof sql) == 0 &&
             exec(w->db, sql) != SQLITE_OK)) {
            exec(w->db, "ROLLBACK");
            goto fail;
        }
    }
    if (o->file_id && add_file_id(w->db) != 0) {
        exec(w->db, "ROLLBACK");
        goto fail;
    }
    if (exec(w->db, "COMMIT") != SQLITE_OK)
        goto fail;
    step = "cannot prepare inserts";
    for (size_t l = 0; l < w->ntables; l++) {
        char many[65536];
        w->text_mask[l] = schema_text_mask(&w->tables[l]);
        w->bump_col[l] = -1;
        for (size_t c = 0; w->tables[l].bump_column && c < w->tables[l].ncols; c++)
            if (strcmp(w->tables[l].cols[c].name, w->tables[l].bump_column) == 0)
                w->bump_col[l] = (int)c;
        if (schema_insert_sql(&w->tables[l], 1, sql, sizeof sql) != 0 ||
            schema_insert_sql(&w->tables[l], ROWS_PER_INSERT, many, sizeof many) != 0 ||
            sqlite3_prepare_v3(w->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &w->insert[l], NULL) !=
                SQLITE_OK)
            goto fail;
        /* a bump table's many-row INSERT fails whole on a taken key
         * (insert_bumping() then goes row by row): no OR IGNORE */
        static const char ignore[] = "INSERT OR IGNORE ";
        if (w->bump_col[l] >= 0 && strncmp(many, ignore, sizeof ignore - 1) == 0)
            memmove(many + 7, many + sizeof ignore - 1, strlen(many + sizeof ignore - 1) + 1);
        if (sqlite3_prepare_v3(w->db, many, -1, SQLITE_PREPARE_PERSISTENT, &w->insert_many[l],
                               NULL) != SQLITE_OK)
            goto fail;
        if (w->tables[l].merge_frames && prepare_merging(w, l) != 0)
            goto fail;
        step = "out of memory";
        w->bound[l] = calloc(w->tables[l].ncols, sizeof *w->bound[l]);
        w->bound_many[l] = calloc(ROWS_PER_INSERT * w->tables[l].ncols, sizeof *w->bound_many[l]);
        if (!w->bound[l] || !w->bound_many[l])
            goto fail;
        step = "cannot prepare inserts";
    }
    return 0;
fail:
    if (w->db && sqlite3_extended_errcode(w->db) == SQLITE_CANTOPEN_SYMLINK)
        snprintf(err, errlen, "database '%s' is a symbolic link: netsift does not write through links",
                 o->path);
    else
        snprintf(err, errlen, "database '%s': %s: %s", o->path, step,
                 w->db ? sqlite3_errmsg(w->db) : "out of memory");
    return -1;
}

/* Bind one row's values at parameter `first` (1-based), whose current
 * values are slot[0..ncols-1]; parameters already holding the value are
 * left alone. */
static void bind_row(sqlite3_stmt *st, int first, struct bound_value *slot,
                     const struct table_rows *t, uint32_t r, uint64_t text_mask)
{
    const uint8_t *row = batch_row(t, r);
    uint64_t nulls = batch_row_nulls(row);
    for (uint32_t c = 0; c < t->ncols; c++) {
        uint64_t bit = 1ull << c;
        if (nulls & bit) {
            if (slot[c].kind != BOUND_NULL)
                sqlite3_bind_null(st, first + (int)c);
            slot[c].kind = BOUND_NULL;
            continue;
        }
        int64_t v = batch_row_value(t, row, c);
        if (text_mask & bit) {
            sqlite3_bind_text(st, first + (int)c, batch_text(t, v), TEXT_LEN(v),
                              SQLITE_STATIC);
            slot[c].kind = BOUND_UNKNOWN; /* points into this batch's text */
        } else if (slot[c].kind != BOUND_INT || slot[c].v != v) {
            sqlite3_bind_int64(st, first + (int)c, v);
            slot[c] = (struct bound_value){v, BOUND_INT};
        }
    }
}

/* Rows i..i+n of a bump table in one many-row INSERT: 1 when all were
 * stored, 0 when a key was taken (the statement stored nothing), -1 on
 * error. */
static int insert_chunk(struct writer *w, size_t l, const struct table_rows *t, uint32_t i)
{
    sqlite3_stmt *st = w->insert_many[l];
    for (unsigned k = 0; k < ROWS_PER_INSERT; k++)
        bind_row(st, 1 + (int)(k * t->ncols), w->bound_many[l] + k * t->ncols, t, i + k,
                 w->text_mask[l]);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE) {
        w->stats.stored[l] += ROWS_PER_INSERT;
        return 1;
    }
    return (rc & 0xff) == SQLITE_CONSTRAINT ? 0 : -1;
}

/* A table with a bump_column: ROWS_PER_INSERT rows at a time while no key
 * is taken; otherwise one row at a time, a row whose key is taken being
 * retried with the column + 1, + 2, ... */
static int insert_bumping(struct writer *w, size_t l, const struct table_rows *t)
{
    sqlite3_stmt *st = w->insert[l];
    int col = w->bump_col[l];
    for (uint32_t i = 0; i < t->nrows; i++) {
        if (i % ROWS_PER_INSERT == 0 && t->nrows - i >= ROWS_PER_INSERT) {
            int rc = insert_chunk(w, l, t, i);
            if (rc < 0)
                return -1;
            if (rc > 0) {
                i += ROWS_PER_INSERT - 1;
                continue;
            }
        }
        bind_row(st, 1, w->bound[l], t, i, w->text_mask[l]);
        int64_t v = batch_value(t, i, (unsigned)col);
        int tries = 0, stored = 0;
        for (;;) {
            int rc = sqlite3_step(st);
            sqlite3_reset(st);
            if (rc != SQLITE_DONE)
                return -1;
            stored = sqlite3_changes(w->db) > 0;
            if (stored || tries == SCHEMA_BUMP_TRIES || (batch_nulls(t, i) >> col & 1))
                break;
            tries++;
            sqlite3_bind_int64(st, col + 1, v + tries);
            w->bound[l][col] = (struct bound_value){v + tries, BOUND_INT};
        }
        w->stats.stored[l] += (uint64_t)stored;
        w->stats.duplicates[l] += (uint64_t)!stored;
        w->stats.bumped[l] += (uint64_t)(stored && tries > 0);
    }
    return 0;
}

/* The rows of one table across the batches of a transaction, taken in key
 * order: each batch's rows are sorted (batch_sort), and merging them makes
 * one pass over the table's primary-key index instead of one per batch.
 * Equal keys come in queue order, so the row that arrived first is the
 * one kept. */
struct table_merge {
    const struct table_rows *t[WRITER_MAX_BATCHES];
    uint32_t next[WRITER_MAX_BATCHES];
    unsigned n, key_cols;
    uint64_t left; /* rows not taken yet */
};

static void merge_init(struct table_merge *m, struct batch **b, unsigned n, size_t l,
                       unsigned key_cols)
{
    m->n = 0;
    m->key_cols = key_cols > 3 ? 3 : key_cols; /* as batch_sort */
    m->left = 0;
    for (unsigned i = 0; i < n; i++)
        if (b[i]->t[l].nrows) {
            m->t[m->n] = &b[i]->t[l];
            m->next[m->n++] = 0;
            m->left += b[i]->t[l].nrows;
        }
}

/* The next row in key order (m->left > 0), and its key columns. */
static inline void merge_take(struct table_merge *m, const struct table_rows **t, uint32_t *row,
                              int64_t bk[3])
{
    unsigned best = 0;
    while (m->next[best] == m->t[best]->nrows)
        best++;
    for (unsigned c = 0; c < m->key_cols; c++)
        bk[c] = batch_value(m->t[best], m->next[best], c);
    for (unsigned i = best + 1; i < m->n && m->key_cols; i++) {
        if (m->next[i] == m->t[i]->nrows)
            continue;
        const struct table_rows *t = m->t[i];
        const uint8_t *row = batch_row(t, m->next[i]);
        unsigned c = 0;
        int64_t k = 0;
        while (c < m->key_cols && (k = batch_row_value(t, row, c)) == bk[c])
            c++;
        if (c < m->key_cols && k < bk[c]) {
            best = i;
            for (c = 0; c < m->key_cols; c++)
                bk[c] = batch_row_value(t, row, c);
        }
    }
    *t = m->t[best];
    *row = m->next[best]++;
    m->left--;
}

/* The largest rowid of a merge_frames table (0 when empty), or -1. */
static int64_t max_rowid(struct writer *w, size_t l)
{
    sqlite3_stmt *st = w->max_rowid[l];
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    return v;
}

/* Insert table l's rows of every batch in primary-key order,
 * ROWS_PER_INSERT at a time; rows the database already holds are counted
 * as duplicates. */
static int insert_table(struct writer *w, size_t l, struct batch **b, unsigned nb)
{
    if (w->bump_col[l] >= 0) {
        for (unsigned i = 0; i < nb; i++)
            if (insert_bumping(w, l, &b[i]->t[l]) != 0)
                return -1;
        return 0;
    }
    struct table_merge m;
    merge_init(&m, b, nb, l, w->tables[l].sort_key_cols);
    while (m.left) {
        unsigned n = m.left >= ROWS_PER_INSERT ? ROWS_PER_INSERT : 1;
        sqlite3_stmt *st = n > 1 ? w->insert_many[l] : w->insert[l];
        for (unsigned k = 0; k < n; k++) {
            const struct table_rows *t;
            uint32_t row;
            int64_t key[3];
            merge_take(&m, &t, &row, key);
            bind_row(st, 1 + (int)(k * t->ncols),
                     (n > 1 ? w->bound_many[l] : w->bound[l]) + k * t->ncols, t, row,
                     w->text_mask[l]);
        }
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            return -1;
        uint64_t stored = (uint64_t)sqlite3_changes(w->db);
        w->stats.stored[l] += stored;
        w->stats.duplicates[l] += n - stored;
    }
    return 0;
}

/* A row on its way into a merge_frames table: a batch row standing for
 * `frames` frames of `bytes` bytes (the transaction's rows with its key,
 * added up). */
struct merged_row {
    const struct table_rows *t;
    uint32_t row;
    int64_t key[3];
    int64_t frames, bytes;
};

/* Add frames and bytes to the stored row with r's key whose rowid is at
 * most `through`: 1 when there was one, 0 when not, -1 on error. */
static int add_to_stored(struct writer *w, size_t l, const struct merged_row *r, int64_t frames,
                         int64_t bytes, int64_t through)
{
    sqlite3_stmt *st = w->merge[l];
    sqlite3_bind_int64(st, 1, frames);
    sqlite3_bind_int64(st, 2, bytes);
    for (int c = 0; c < 3; c++)
        sqlite3_bind_int64(st, 3 + c, r->key[c]);
    sqlite3_bind_int64(st, 6, through);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc != SQLITE_DONE ? -1 : sqlite3_changes(w->db) > 0;
}

/* One row standing for several frames (frames, merged_bytes bound too);
 * when its key is stored by an earlier transaction (of rowid at most
 * `before`), its frames go to that row. */
static int insert_added_up(struct writer *w, size_t l, const struct merged_row *r, int64_t before)
{
    sqlite3_stmt *st = w->insert_full[l];
    uint32_t ncols = r->t->ncols; /* what the row brings: frames and merged_bytes follow */
    const uint8_t *row = batch_row(r->t, r->row);
    uint64_t nulls = batch_row_nulls(row);
    for (uint32_t c = 0; c < ncols; c++) {
        if (nulls >> c & 1) {
            sqlite3_bind_null(st, (int)c + 1);
            continue;
        }
        int64_t v = batch_row_value(r->t, row, c);
        if (w->text_mask[l] >> c & 1)
            sqlite3_bind_text(st, (int)c + 1, batch_text(r->t, v), TEXT_LEN(v), SQLITE_STATIC);
        else
            sqlite3_bind_int64(st, (int)c + 1, v);
    }
    sqlite3_bind_int64(st, (int)ncols + 1, r->frames);
    sqlite3_bind_int64(st, (int)ncols + 2, r->bytes);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return -1;
    if (sqlite3_changes(w->db) > 0) {
        w->stats.stored[l]++;
        w->stats.merged[l] += (uint64_t)(r->frames - 1);
        return 0;
    }
    int found = add_to_stored(w, l, r, r->frames, r->bytes, before);
    if (found < 0)
        return -1;
    w->stats.merged[l] += (uint64_t)(r->frames - 1 + found);
    w->stats.duplicates[l] += (uint64_t)!found; /* none: an ignored row has a stored key */
    return 0;
}

/* Insert n pending rows (ROWS_PER_INSERT or 1, each standing for one
 * frame) with INSERT OR IGNORE.  A row it ignored has the key of a row
 * that an earlier transaction stored (one of rowid at most `before`; the
 * rows of this transaction with one key were added up into one), and its
 * frame goes to that row.  The rows it inserted are the newest (their
 * rowids follow the largest), so the ignored ones are found with one look
 * at those instead of a lookup of every key. */
static int insert_pending(struct writer *w, size_t l, const struct merged_row *p, unsigned n,
                          int64_t before)
{
    sqlite3_stmt *st = n > 1 ? w->insert_many[l] : w->insert[l];
    struct bound_value *bound = n > 1 ? w->bound_many[l] : w->bound[l];
    uint32_t ncols = p[0].t->ncols;
    for (unsigned k = 0; k < n; k++)
        bind_row(st, 1 + (int)(k * ncols), bound + k * ncols, p[k].t, p[k].row, w->text_mask[l]);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return -1;
    uint64_t inserted = (uint64_t)sqlite3_changes(w->db), found = 0;
    w->stats.stored[l] += inserted;
    if (inserted == n)
        return 0;
    bool was_inserted[ROWS_PER_INSERT] = {false};
    if (inserted > 0) {
        sqlite3_stmt *q = w->keys_between[l];
        int64_t last = sqlite3_last_insert_rowid(w->db);
        sqlite3_bind_int64(q, 1, last - (int64_t)inserted);
        sqlite3_bind_int64(q, 2, last);
        while ((rc = sqlite3_step(q)) == SQLITE_ROW)
            for (unsigned k = 0; k < n; k++)
                if (p[k].key[0] == sqlite3_column_int64(q, 0) &&
                    p[k].key[1] == sqlite3_column_int64(q, 1) &&
                    p[k].key[2] == sqlite3_column_int64(q, 2))
                    was_inserted[k] = true;
        sqlite3_reset(q);
        if (rc != SQLITE_DONE)
            return -1;
    }
    for (unsigned k = 0; k < n; k++) {
        if (was_inserted[k])
            continue;
        int r = add_to_stored(w, l, &p[k], 1, p[k].bytes, before);
        if (r < 0)
            return -1;
        found += (uint64_t)r;
    }
    w->stats.merged[l] += found;
    w->stats.duplicates[l] += n - inserted - found; /* none: an ignored row has a stored key */
    return 0;
}

/* A merge_frames table's rows of every batch, in key order: rows with one
 * key (a burst of identical headers in one microsecond) are added up into
 * one before they reach SQLite, and a row whose key an earlier transaction
 * stored is added to that row, so that the table stands for every frame.
 * A row brings only its own columns (frames and merged_bytes are set on
 * the few rows that stand for several frames): INSERT ... ON CONFLICT DO
 * UPDATE made the bench file's headers 45% slower.  Rows that are not in
 * key order (a batch whose sort ran out of memory) go one at a time, each
 * ignored one added to the stored row with its key, whichever transaction
 * stored it. */
static int insert_merging(struct writer *w, size_t l, struct batch **b, unsigned nb)
{
    struct table_merge m;
    merge_init(&m, b, nb, l, 3); /* prepare_merging: the key's three columns */
    if (m.left == 0)
        return 0;
    int64_t before = max_rowid(w, l);
    if (before < 0)
        return -1;
    struct merged_row pending[ROWS_PER_INSERT + 1];
    unsigned n = 0;
    bool sorted = true;
    while (m.left) {
        struct merged_row r;
        merge_take(&m, &r.t, &r.row, r.key);
        if ((uint64_t)r.key[1] < w->file_first_us) /* the timestamp */
            w->file_first_us = (uint64_t)r.key[1];
        if ((uint64_t)r.key[1] > w->file_last_us) {
            w->file_last_us = (uint64_t)r.key[1];
            if (w->file_last_us > w->stats.newest_us)
                w->stats.newest_us = w->file_last_us;
        }
        r.frames = 1;
        r.bytes = batch_value(r.t, r.row, 4); /* length */
        if (n > 0) {
            struct merged_row *last = &pending[n - 1];
            unsigned c = 0;
            while (c < 3 && last->key[c] == r.key[c])
                c++;
            if (c == 3) {
                last->frames++;
                last->bytes += r.bytes;
                continue;
            }
            sorted &= last->key[c] < r.key[c];
        }
        if (n > 0 && pending[n - 1].frames > 1) { /* complete: it goes on its own */
            if (insert_added_up(w, l, &pending[n - 1], before) != 0)
                return -1;
            n--;
        }
        if (!sorted) { /* from here on one row at a time, merged by key alone */
            for (unsigned k = 0; k < n; k++)
                if (insert_pending(w, l, &pending[k], 1, before) != 0)
                    return -1;
            n = 0;
            before = INT64_MAX;
        }
        pending[n++] = r;
        if (n == ROWS_PER_INSERT + 1) { /* the last may still grow: it waits */
            if (insert_pending(w, l, pending, ROWS_PER_INSERT, before) != 0)
                return -1;
            pending[0] = pending[ROWS_PER_INSERT];
            n = 1;
        }
    }
    for (unsigned k = 0; k < n; k++)
        if ((pending[k].frames > 1 ? insert_added_up(w, l, &pending[k], before)
                                   : insert_pending(w, l, &pending[k], 1, before)) != 0)
            return -1;
    return 0;
}

/* The batches could not be committed: counted as lost (w->lock held). */
static void count_lost_all(struct writer *w, struct batch **b, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        count_lost(w, b[i]);
}

static bool rotation_due(struct writer *w);
static void rotate(struct writer *w);

/* Every batch queued when the writer gets to them, in one transaction: a
 * commit writes each page it dirtied to the WAL once, and the random
 * primary-key inserts dirty most index pages in every transaction, so
 * fewer, larger transactions write less (with 2 workers, each handing over
 * half-size batches, this halves the WAL).  Each table's rows of all the
 * batches go in as one key-ordered stream (struct table_merge). */
static void write_batches(struct writer *w, struct batch **b, unsigned n)
{
    struct writer_stats before = w->stats;
    const char *failed = NULL;
    if (w->catch_up) {
        w->catch_up = false;
        if (!wal_checkpointer_catch_up(w->checkpointer)) {
            /* its checkpoint failed: back to SQLite's, here, which reports why */
            wal_checkpointer_stop(w->checkpointer);
            w->checkpointer = NULL;
            sqlite3_wal_autocheckpoint(w->db, 1000); /* SQLite's default */
        }
    }
    if (exec(w->db, "BEGIN") != SQLITE_OK) {
        set_error(w, "cannot begin transaction");
        pthread_mutex_lock(&w->lock);
        count_lost_all(w, b, n);
        pthread_mutex_unlock(&w->lock);
        return;
    }
    for (size_t l = 0; l < w->ntables && !failed; l++)
        if ((w->merge[l] ? insert_merging(w, l, b, n) : insert_table(w, l, b, n)) != 0)
            failed = "insert failed";
    if (!failed && exec(w->db, "COMMIT") != SQLITE_OK)
        failed = "commit failed";
    if (failed) {
        set_error(w, failed);
        exec(w->db, "ROLLBACK");
        w->stats = before;
        pthread_mutex_lock(&w->lock);
        count_lost_all(w, b, n);
        pthread_mutex_unlock(&w->lock);
        return;
    }
    w->stats.transactions++;
    if (w->checkpointer)
        w->catch_up = wal_checkpointer_committed(w->checkpointer, w->wal_frames);
    pthread_mutex_lock(&w->lock);
    w->published = w->stats;
    pthread_mutex_unlock(&w->lock);
    if (w->after_commit)
        w->after_commit(w->after_commit_arg, w->db);
    if (rotation_due(w)) {
        rotate(w);
        pthread_mutex_lock(&w->lock);
        w->published = w->stats;
        pthread_mutex_unlock(&w->lock);
    }
}

/* sqlite3_wal_hook: the WAL's size after each commit. */
static int wal_committed(void *arg, sqlite3 *db, const char *name, int frames)
{
    (void)db;
    (void)name;
    ((struct writer *)arg)->wal_frames = frames;
    return SQLITE_OK;
}

/* Checkpoints on a helper thread; with synchronous=OFF a checkpoint only
 * copies pages, and SQLite does that on the writer's thread. */
static void start_checkpointer(struct writer *w)
{
    const struct writer_opts *o = &w->opts;
    w->catch_up = false;
    if (strcasecmp(o->synchronous, "OFF") == 0)
        return;
    uint64_t limit = o->wal_limit ? o->wal_limit : CHECKPOINT_LIMIT_BYTES;
    if (limit > INT32_MAX)
        limit = INT32_MAX;
    int page = page_size(w->db);
    w->checkpointer = wal_checkpointer_start(o->path, o->synchronous,
                                             (int)(limit / 4 / (uint64_t)page),
                                             (int)(limit / (uint64_t)page));
    if (w->checkpointer)
        sqlite3_wal_hook(w->db, wal_committed, w); /* replaces SQLite's autocheckpoint */
}

static uint64_t monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* True when the file has reached a rotation limit. */
static bool rotation_due(struct writer *w)
{
    const struct writer_opts *o = &w->opts;
    if (!o->rotation || w->stats.transactions < w->rotate_retry_after)
        return false;
    /* from the newest packet of the file before, as tcpdump -G: a worker
     * whose batch fills slowly brings older rows along, which must not
     * close every file after it */
    if (!w->rotate_from_us && w->file_first_us != UINT64_MAX)
        w->rotate_from_us = w->file_first_us;
    if (o->rotate_span_us && w->rotate_from_us && w->file_last_us > w->rotate_from_us &&
        w->file_last_us - w->rotate_from_us >= o->rotate_span_us)
        return true;
    if (!o->rotate_bytes)
        return false;
    sqlite3_stmt *st;
    int64_t pages = 0;
    if (sqlite3_prepare_v2(w->db, "PRAGMA page_count", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            pages = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    return (uint64_t)pages * (uint64_t)page_size(w->db) >= o->rotate_bytes;
}

/* Close the file, hand it to the rotation and open a new one at the same
 * path, between two transactions.  When another connection keeps the
 * file open (its -wal or -shm stays after the close), the file is opened
 * again as it is and the rotation tried later: a new file beside that WAL
 * would take it for its own. */
static void rotate(struct writer *w)
{
    uint64_t start = monotonic_us();
    char err[8192], side[sizeof w->path + 8];
    struct db_rotation *rotation = w->opts.rotation; /* NULL after a failed hand-over */
    if (db_rotation_lock_exclusive(rotation) > 0) {
        /* a reader has the file open: it leaves at its next step, and no
         * new one comes in meanwhile; again after the next transaction */
        w->stats.rotations_deferred++;
        w->rotate_retry_after = w->stats.transactions + 1;
        return;
    }
    wal_checkpointer_stop(w->checkpointer);
    w->checkpointer = NULL;
    finalize_statements(w);
    if (sqlite3_close(w->db) != SQLITE_OK) {
        db_rotation_unlock_exclusive(rotation);
        set_error(w, "cannot close for rotation");
        return;
    }
    w->db = NULL;
    bool busy = false;
    snprintf(side, sizeof side, "%s-wal", w->path);
    busy |= access(side, F_OK) == 0;
    snprintf(side, sizeof side, "%s-shm", w->path);
    busy |= access(side, F_OK) == 0;
    if (busy) {
        w->stats.rotations_deferred++;
        w->rotate_retry_after = w->stats.transactions + 16;
    } else if (db_rotation_hand_over(w->opts.rotation, w->path, w->file_last_us, err,
                                     sizeof err) != 0) {
        fprintf(stderr, "netsift: warning: %s; headers.sqlite goes on growing\n", err);
        w->opts.rotation = NULL;
    } else {
        w->stats.rotations++;
        w->rotate_from_us = w->file_last_us;
        w->file_first_us = UINT64_MAX;
        w->file_last_us = 0;
    }
    int opened = open_database(w, &w->opts, err, sizeof err);
    db_rotation_unlock_exclusive(rotation);
    if (opened != 0) {
        set_error_text(w, err);
        return;
    }
    start_checkpointer(w);
    uint64_t pause = monotonic_us() - start;
    if (pause > w->stats.rotation_pause_max_us)
        w->stats.rotation_pause_max_us = pause;
}

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    struct batch *taken[WRITER_MAX_BATCHES];
    thread_name("db:", w->path);
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (w->qlen == 0 && !w->closing)
            pthread_cond_wait(&w->changed, &w->lock);
        if (w->qlen == 0)
            break;
        unsigned n = 0;
        while (w->qlen) {
            taken[n++] = w->queue[w->qhead];
            w->qhead = (w->qhead + 1) % WRITER_MAX_BATCHES;
            w->qlen--;
        }
        bool failed = w->failed;
        if (failed)
            count_lost_all(w, taken, n);
        pthread_mutex_unlock(&w->lock);
        if (!failed)
            write_batches(w, taken, n);
        for (unsigned i = 0; i < n; i++)
            batch_reset(taken[i]);
        pthread_mutex_lock(&w->lock);
        for (unsigned i = 0; i < n; i++)
            w->free_list[w->nfree++] = taken[i];
        pthread_cond_broadcast(&w->changed);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

/* Process-wide SQLite settings, once: no memory statistics (they take a
 * global mutex on every allocation). */
static pthread_once_t sqlite_configured = PTHREAD_ONCE_INIT;
static void configure_sqlite(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

struct writer *writer_open(const struct writer_opts *o, char *err, size_t errlen)
{
    pthread_once(&sqlite_configured, configure_sqlite);
    struct writer *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(w->path, sizeof w->path, "%s", o->path);
    w->opts = *o;
    w->opts.path = w->path;
    w->file_first_us = UINT64_MAX;
    w->tables = o->tables;
    w->ntables = o->ntables < BATCH_MAX_TABLES ? o->ntables : BATCH_MAX_TABLES;
    w->after_commit = o->after_commit;
    w->after_commit_arg = o->after_commit_arg;
    if (open_database(w, o, err, errlen) != 0) {
        finalize_statements(w);
        sqlite3_close(w->db);
        free(w);
        return NULL;
    }
    start_checkpointer(w);
    w->nbatches = o->batches < 2 ? 2 : o->batches > WRITER_MAX_BATCHES ? WRITER_MAX_BATCHES : o->batches;
    uint32_t producers = o->producers ? o->producers : 1;
    w->batch_rows = o->batch_rows / producers ? o->batch_rows / producers : 1;
    w->batch_bytes = o->memory ? o->memory / w->nbatches : SIZE_MAX;
    for (unsigned i = 0; i < w->nbatches; i++) {
        batch_init(&w->batches[i], w->tables, w->ntables);
        w->free_list[w->nfree++] = &w->batches[i];
    }
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->changed, NULL);
    w->thread_started = pthread_create(&w->thread, NULL, writer_main, w) == 0;
    if (!w->thread_started) {
        snprintf(err, errlen, "cannot start the database writer thread");
        writer_close(w, NULL, NULL, 0);
        return NULL;
    }
    register_open(w, true);
    return w;
}

struct batch *writer_get_batch(struct writer *w)
{
    pthread_mutex_lock(&w->lock);
    while (w->nfree == 0 && !w->failed)
        pthread_cond_wait(&w->changed, &w->lock);
    struct batch *b = w->failed ? NULL : w->free_list[--w->nfree];
    pthread_mutex_unlock(&w->lock);
    return b;
}

bool writer_batch_full(const struct writer *w, const struct batch *b)
{
    return b->rows >= w->batch_rows || b->bytes >= w->batch_bytes;
}

void writer_submit(struct writer *w, struct batch *b)
{
    if (b->rows)
        batch_sort(b); /* on the producer's thread: the writer only inserts */
    pthread_mutex_lock(&w->lock);
    if (b->rows && w->failed)
        count_lost(w, b);
    if (b->rows == 0 || w->failed) {
        batch_reset(b);
        w->free_list[w->nfree++] = b;
    } else {
        w->queue[(w->qhead + w->qlen) % WRITER_MAX_BATCHES] = b;
        w->qlen++;
    }
    pthread_cond_broadcast(&w->changed);
    pthread_mutex_unlock(&w->lock);
}

const char *writer_error(struct writer *w)
{
    pthread_mutex_lock(&w->lock);
    const char *e = w->failed ? w->error : NULL;
    pthread_mutex_unlock(&w->lock);
    return e;
}

int writer_close(struct writer *w, struct writer_stats *stats, char *err, size_t errlen)
{
    register_open(w, false);
    pthread_mutex_lock(&w->lock);
    w->closing = true;
    pthread_cond_broadcast(&w->changed);
    pthread_mutex_unlock(&w->lock);
    if (w->thread_started)
        pthread_join(w->thread, NULL);
    wal_checkpointer_stop(w->checkpointer);
    int rc = w->failed ? -1 : 0;
    if (rc == 0 && w->thread_started && w->after_commit)
        w->after_commit(w->after_commit_arg, w->db);
    finalize_statements(w);
    if (rc == 0)
        exec(w->db, "PRAGMA optimize");
    if (sqlite3_close(w->db) != SQLITE_OK && rc == 0) {
        snprintf(w->error, sizeof w->error, "database '%s': close failed", w->path);
        rc = -1;
    }
    if (rc != 0 && err)
        snprintf(err, errlen, "%s", w->error);
    if (stats) {
        *stats = w->stats;
        stats->batches_failed = w->lost_batches;
        stats->rows_lost = w->lost_rows;
    }
    for (unsigned i = 0; i < w->nbatches; i++)
        batch_free(&w->batches[i]);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->changed);
    free(w);
    return rc;
}

struct sqlite3 *db_open_readonly(const char *path, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        snprintf(err, errlen, "cannot open %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 200);
    return db;
}
