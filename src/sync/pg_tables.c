/*
 * pg_tables.c - create, complete and fill a table's PostgreSQL twin (see
 * pg_tables.h).
 */
#define _GNU_SOURCE
#include "pg_tables.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "copybuf.h"
#include "pg_target.h"

#define STAGE_PREFIX "netsift_stage_"
/* Header tables carry, in PostgreSQL, the identity of the header file a
 * row comes from (0: a file without one), in their key: a burst whose
 * frames straddle a rotation is one row per file there too, whose frames
 * add up, and sending a file again replaces its own rows only. */
#define FILE_COLUMN "netsift_file"

static bool has_file_column(const struct table_schema *t)
{
    return t->merge_frames;
}

void pg_result_error(PGconn *pg, PGresult *res, const char *what, char *err, size_t errlen)
{
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    char why[1024];
    if (primary) /* without the statement excerpt PQresultErrorMessage adds */
        pg_one_line(why, sizeof why, primary);
    else
        pg_one_line(why, sizeof why, PQerrorMessage(pg));
    snprintf(err, errlen, "%s: %s", what, why[0] ? why : "unknown error");
}

static void add_ident(struct copybuf *b, PGconn *pg, const char *name, size_t len)
{
    char *q = PQescapeIdentifier(pg, name, len);
    if (!q) {
        b->oom = true;
        return;
    }
    copybuf_add(b, q, strlen(q));
    PQfreemem(q);
}

static void add_stage_name(struct copybuf *b, PGconn *pg, const struct table_schema *t)
{
    char name[128];
    snprintf(name, sizeof name, STAGE_PREFIX "%s", t->name);
    copybuf_add(b, "pg_temp.", 8);
    add_ident(b, pg, name, strlen(name));
}

/* The next name of a comma-separated list at *p: its length (0 at the end). */
static size_t next_name(const char **p)
{
    *p += strspn(*p, ", ");
    size_t n = strcspn(*p, ", ");
    return n;
}

static bool is_key(const struct table_schema *t, const char *col)
{
    size_t n;
    for (const char *p = t->primary_key; (n = next_name(&p)) != 0; p += n)
        if (strlen(col) == n && strncmp(p, col, n) == 0)
            return true;
    return false;
}

/* "sensor", <key columns>[, "netsift_file"] */
static void add_key(struct copybuf *b, PGconn *pg, const struct table_schema *t)
{
    size_t n;
    add_ident(b, pg, "sensor", 6);
    for (const char *p = t->primary_key; (n = next_name(&p)) != 0; p += n) {
        copybuf_add(b, ", ", 2);
        add_ident(b, pg, p, n);
    }
    if (has_file_column(t)) {
        copybuf_add(b, ", ", 2);
        add_ident(b, pg, FILE_COLUMN, strlen(FILE_COLUMN));
    }
}

/* "sensor", <every column>[, "netsift_file"]: what a COPY row holds */
static void add_columns(struct copybuf *b, PGconn *pg, const struct table_schema *t)
{
    add_ident(b, pg, "sensor", 6);
    for (size_t i = 0; i < t->ncols; i++) {
        copybuf_add(b, ", ", 2);
        add_ident(b, pg, t->cols[i].name, strlen(t->cols[i].name));
    }
    if (has_file_column(t)) {
        copybuf_add(b, ", ", 2);
        add_ident(b, pg, FILE_COLUMN, strlen(FILE_COLUMN));
    }
}

static const char *pg_type(const struct column *c)
{
    return schema_col_is_text(c->kind) ? "text" : "bigint";
}

static void create_sql(struct copybuf *b, PGconn *pg, const struct table_schema *t)
{
    copybuf_printf(b, "CREATE TABLE IF NOT EXISTS ");
    add_ident(b, pg, t->name, strlen(t->name));
    copybuf_printf(b, " (");
    add_ident(b, pg, "sensor", 6);
    copybuf_printf(b, " text NOT NULL");
    for (size_t i = 0; i < t->ncols; i++) {
        copybuf_add(b, ", ", 2);
        add_ident(b, pg, t->cols[i].name, strlen(t->cols[i].name));
        copybuf_printf(b, " %s%s", pg_type(&t->cols[i]),
                       (t->not_null_mask >> i) & 1 ? " NOT NULL" : "");
    }
    if (has_file_column(t)) {
        copybuf_add(b, ", ", 2);
        add_ident(b, pg, FILE_COLUMN, strlen(FILE_COLUMN));
        copybuf_printf(b, " bigint NOT NULL DEFAULT 0");
    }
    copybuf_printf(b, ", PRIMARY KEY (");
    add_key(b, pg, t);
    copybuf_printf(b, "))");
}

static bool has_column(PGresult *have, const char *name)
{
    for (int r = 0; r < PQntuples(have); r++)
        if (strcmp(PQgetvalue(have, r, 0), name) == 0)
            return true;
    return false;
}

/* ALTER TABLE adding the columns the table lacks; empty when none.  A
 * header table made before rows knew their file gets the file column
 * (its rows: 0) and it joins the key. */
static void alter_sql(struct copybuf *b, PGconn *pg, const struct table_schema *t, PGresult *have)
{
    unsigned added = 0;
    if (has_file_column(t) && !has_column(have, FILE_COLUMN)) {
        char pkey[128];
        snprintf(pkey, sizeof pkey, "%s_pkey", t->name);
        copybuf_printf(b, "ALTER TABLE ");
        add_ident(b, pg, t->name, strlen(t->name));
        copybuf_printf(b, " ADD COLUMN ");
        add_ident(b, pg, FILE_COLUMN, strlen(FILE_COLUMN));
        copybuf_printf(b, " bigint NOT NULL DEFAULT 0, DROP CONSTRAINT IF EXISTS ");
        add_ident(b, pg, pkey, strlen(pkey));
        copybuf_printf(b, ", ADD PRIMARY KEY (");
        add_key(b, pg, t);
        copybuf_printf(b, ")");
        added++;
    }
    for (size_t i = 0; i < t->ncols; i++) {
        if (has_column(have, t->cols[i].name))
            continue;
        if (!added++) {
            copybuf_printf(b, "ALTER TABLE ");
            add_ident(b, pg, t->name, strlen(t->name));
        }
        copybuf_printf(b, "%s ADD COLUMN IF NOT EXISTS ", added > 1 ? "," : "");
        add_ident(b, pg, t->cols[i].name, strlen(t->cols[i].name));
        copybuf_printf(b, " %s", pg_type(&t->cols[i]));
    }
}

static void stage_sql(struct copybuf *b, PGconn *pg, const struct table_schema *t)
{
    char name[128];
    snprintf(name, sizeof name, STAGE_PREFIX "%s", t->name);
    copybuf_printf(b, "CREATE TEMP TABLE IF NOT EXISTS ");
    add_ident(b, pg, name, strlen(name));
    copybuf_printf(b, " (LIKE ");
    add_ident(b, pg, t->name, strlen(t->name));
    copybuf_printf(b, ") ON COMMIT DELETE ROWS");
}

/* COPY into the staging table, or straight into the table. */
static void copy_sql(struct copybuf *b, PGconn *pg, const struct table_schema *t, bool direct)
{
    copybuf_printf(b, "COPY ");
    if (direct)
        add_ident(b, pg, t->name, strlen(t->name));
    else
        add_stage_name(b, pg, t);
    copybuf_printf(b, " (");
    add_columns(b, pg, t);
    copybuf_printf(b, ") FROM STDIN");
}

static void merge_sql(struct copybuf *b, PGconn *pg, const struct table_schema *t)
{
    copybuf_printf(b, "INSERT INTO ");
    add_ident(b, pg, t->name, strlen(t->name));
    copybuf_printf(b, " (");
    add_columns(b, pg, t);
    copybuf_printf(b, ") SELECT ");
    add_columns(b, pg, t);
    copybuf_printf(b, " FROM ");
    add_stage_name(b, pg, t);
    /* a replace table's rows are rewritten locally: the newest wins; a
     * header row's frames grow when later frames merge into it (the
     * writer then gives it a new rowid, so it is sent again) */
    unsigned updated = 0;
    for (size_t i = 0; (t->replace || t->merge_frames) && i < t->ncols; i++) {
        const char *c = t->cols[i].name;
        if (is_key(t, c) || (!t->replace && i < schema_insert_cols(t)))
            continue;
        if (!updated++) {
            copybuf_printf(b, " ON CONFLICT (");
            add_key(b, pg, t);
            copybuf_printf(b, ") DO UPDATE SET ");
        } else {
            copybuf_add(b, ", ", 2);
        }
        add_ident(b, pg, c, strlen(c));
        copybuf_printf(b, " = EXCLUDED.");
        add_ident(b, pg, c, strlen(c));
    }
    if (!updated)
        copybuf_printf(b, " ON CONFLICT DO NOTHING");
}

/* Run one statement that returns no rows. */
static int run(PGconn *pg, const struct copybuf *b, const char *what, char *err, size_t errlen)
{
    if (b->oom) {
        snprintf(err, errlen, "%s: out of memory", what);
        return -1;
    }
    PGresult *res = PQexec(pg, b->data);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok)
        pg_result_error(pg, res, what, err, errlen);
    PQclear(res);
    return ok ? 0 : -1;
}

/* The table's columns as PostgreSQL has them (no rows: no table). */
static PGresult *existing_columns(PGconn *pg, const struct table_schema *t)
{
    const char *params[1] = {t->name};
    return PQexecParams(pg,
                        "SELECT column_name FROM information_schema.columns "
                        "WHERE table_schema = current_schema() AND table_name = $1",
                        1, NULL, params, NULL, NULL, 0);
}

/* Create the table or add the columns it lacks. */
static int ensure_table(PGconn *pg, const struct table_schema *t, struct copybuf *b, char *err,
                        size_t errlen)
{
    char what[160];
    PGresult *have = existing_columns(pg, t);
    if (PQresultStatus(have) != PGRES_TUPLES_OK) {
        snprintf(what, sizeof what, "table %s: reading its columns", t->name);
        pg_result_error(pg, have, what, err, errlen);
        PQclear(have);
        return -1;
    }
    copybuf_reset(b);
    if (PQntuples(have) == 0)
        create_sql(b, pg, t);
    else
        alter_sql(b, pg, t, have);
    PQclear(have);
    snprintf(what, sizeof what, "table %s: creating it or adding columns", t->name);
    return b->len ? run(pg, b, what, err, errlen) : 0;
}

static char *take(struct copybuf *b)
{
    char *s = b->oom ? NULL : b->data;
    if (!s)
        free(b->data);
    copybuf_init(b);
    return s;
}

int pg_table_prepare(PGconn *pg, const struct table_schema *t, struct pg_table *pt, char *err,
                     size_t errlen)
{
    struct copybuf b;
    char what[160];
    memset(pt, 0, sizeof *pt);
    copybuf_init(&b);
    int rc = ensure_table(pg, t, &b, err, errlen);
    if (rc == 0) {
        copybuf_reset(&b);
        stage_sql(&b, pg, t);
        snprintf(what, sizeof what, "table %s: creating its staging table", t->name);
        rc = run(pg, &b, what, err, errlen);
    }
    if (rc == 0) {
        copybuf_reset(&b);
        copy_sql(&b, pg, t, true);
        pt->direct_sql = take(&b);
        copy_sql(&b, pg, t, false);
        pt->copy_sql = take(&b);
        merge_sql(&b, pg, t);
        pt->merge_sql = take(&b);
        if (!pt->direct_sql || !pt->copy_sql || !pt->merge_sql) {
            snprintf(err, errlen, "table %s: out of memory", t->name);
            rc = -1;
        }
    }
    copybuf_free(&b);
    if (rc == 0)
        pt->t = t;
    else
        pg_table_free(pt);
    return rc;
}

void pg_table_free(struct pg_table *pt)
{
    free(pt->direct_sql);
    free(pt->copy_sql);
    free(pt->merge_sql);
    memset(pt, 0, sizeof *pt);
}
