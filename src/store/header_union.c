/*
 * header_union.c - one header table over any number of header files
 * (see header_union.h): the virtual table module "netsift_union".
 *
 * A plan (xBestIndex) is the list of constraints pushed into each file's
 * query, the columns the statement needs and how a file is searched:
 *   S  a scan of each file with the pushed constraints as its WHERE;
 *   P  an equality on the first column (the primary key's), which each
 *      file's own index answers;
 *   A  equalities on columns no index starts with (a join): after the
 *      second lookup through one cursor, each file it reaches is given an
 *      automatic index of those columns in its connection's temporary
 *      schema, which serves every later lookup of the query; a query
 *      that looks up once pays no index.
 * A constraint on `timestamp` also limits the files read to those whose
 * name's time range meets it.  A closed file that retention removed
 * after the query began (before it was opened) is read as empty.
 */
#define _GNU_SOURCE
#include "header_union.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../db/schema.h"

#define OPEN_FILES_MAX 64       /* file connections open at once */
#define AUTO_INDEX_ROWS_MAX 8000000 /* rows in automatic indexes at once (about 40 bytes each) */
#define PLAN_CONSTRAINTS_MAX 32
#define ROWS_PER_FILE 1e6 /* what the planner is told a file holds */

/* ---- the files and their connections, shared by the tables of a connection ---- */

struct union_file {
    char *path;
    int64_t first_us, last_us;
    sqlite3 *db;         /* NULL while closed */
    uint64_t used;       /* source tick of its last use */
    uint32_t generation; /* bumped when db is closed: the statements a cursor kept are gone */
    int64_t indexed_rows; /* rows in the automatic indexes of db's temporary schema */
    bool closed;          /* immutable (header_union_open_file) */
    bool reading;         /* not closed: a read transaction is open on db */
};

struct union_source {
    struct union_file *f;
    int n, nopen;
    int64_t indexed_rows; /* of every file */
    int cursors;          /* open now: the read transactions end when none is */
    uint64_t tick;
};

static void file_close(struct union_source *s, struct union_file *f)
{
    sqlite3_stmt *st;
    if (!f->db)
        return;
    while ((st = sqlite3_next_stmt(f->db, NULL)) != NULL)
        sqlite3_finalize(st);
    sqlite3_close(f->db);
    f->db = NULL;
    f->generation++;
    s->nopen--;
    s->indexed_rows -= f->indexed_rows;
    f->indexed_rows = 0;
    f->reading = false;
}

static void source_free(void *arg)
{
    struct union_source *s = arg;
    for (int i = 0; i < s->n; i++) {
        file_close(s, &s->f[i]);
        free(s->f[i].path);
    }
    free(s->f);
    free(s);
}

static bool file_busy(const struct union_file *f)
{
    for (sqlite3_stmt *st = sqlite3_next_stmt(f->db, NULL); st; st = sqlite3_next_stmt(f->db, st))
        if (sqlite3_stmt_busy(st))
            return true;
    return false;
}

/* Close the least recently used open file other than keep that no cursor
 * is reading (with automatic indexes only, when indexed_only). */
static void evict_one(struct union_source *s, const struct union_file *keep, bool indexed_only)
{
    struct union_file *lru = NULL;
    for (int i = 0; i < s->n; i++) {
        struct union_file *f = &s->f[i];
        if (f == keep || !f->db || (indexed_only && !f->indexed_rows) || file_busy(f))
            continue;
        if (!lru || f->used < lru->used)
            lru = f;
    }
    if (lru)
        file_close(s, lru);
}

int header_union_open_file(const char *path, bool closed, sqlite3 **db)
{
    if (!closed)
        return sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY, NULL);
    /* file:PATH?immutable=1, the path percent-encoded as RFC 3986 says */
    static const char hex[] = "0123456789ABCDEF";
    size_t len = strlen(path);
    char *uri = malloc(len * 3 + 32);
    if (!uri) {
        *db = NULL;
        return SQLITE_NOMEM;
    }
    char *o = uri + sprintf(uri, "file:");
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("/-._~", *p)) {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    strcpy(o, "?immutable=1");
    int rc = sqlite3_open_v2(uri, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    free(uri);
    return rc;
}

/* The file's connection, opened when needed.  NULL with *why set
 * (sqlite3_mprintf). */
static sqlite3 *file_db(struct union_source *s, struct union_file *f, char **why)
{
    f->used = ++s->tick;
    if (f->db)
        return f->db;
    if (s->nopen >= OPEN_FILES_MAX)
        evict_one(s, f, false);
    int rc = header_union_open_file(f->path, f->closed, &f->db);
    if (rc != SQLITE_OK) {
        *why = sqlite3_mprintf("%s: %s", f->path, f->db ? sqlite3_errmsg(f->db) : "out of memory");
        sqlite3_close(f->db);
        f->db = NULL;
        return NULL;
    }
    sqlite3_busy_timeout(f->db, 5000);
    sqlite3_exec(f->db, "PRAGMA temp_store=MEMORY", NULL, NULL, NULL);
    s->nopen++;
    return f->db;
}

/* ---- plans ---- */

struct plan {
    char mode; /* 'S', 'P' or 'A' (above) */
    uint64_t cols_used; /* bit i: column i is read (bit 63: columns 63 and above) */
    int n;
    int col[PLAN_CONSTRAINTS_MAX];
    unsigned char op[PLAN_CONSTRAINTS_MAX]; /* SQLITE_INDEX_CONSTRAINT_* */
};

/* idxStr: "<mode>;<cols_used hex>;<col>:<op>,..." */
static char *plan_format(const struct plan *p)
{
    char *s = sqlite3_mprintf("%c;%llx;", p->mode, (unsigned long long)p->cols_used);
    for (int i = 0; s && i < p->n; i++) {
        char *t = sqlite3_mprintf("%s%d:%d,", s, p->col[i], p->op[i]);
        sqlite3_free(s);
        s = t;
    }
    return s;
}

static bool plan_parse(const char *s, struct plan *p)
{
    unsigned long long used;
    int off = 0;
    memset(p, 0, sizeof *p);
    if (!s || sscanf(s, "%c;%llx;%n", &p->mode, &used, &off) != 2 || off == 0)
        return false;
    p->cols_used = used;
    s += off;
    int col, op;
    while (*s && p->n < PLAN_CONSTRAINTS_MAX && sscanf(s, "%d:%d,%n", &col, &op, &off) == 2 &&
           off > 0) {
        p->col[p->n] = col;
        p->op[p->n++] = (unsigned char)op;
        s += off;
    }
    return *s == '\0';
}

static const char *op_sql(int op)
{
    switch (op) {
    case SQLITE_INDEX_CONSTRAINT_EQ: return "=";
    case SQLITE_INDEX_CONSTRAINT_GT: return ">";
    case SQLITE_INDEX_CONSTRAINT_GE: return ">=";
    case SQLITE_INDEX_CONSTRAINT_LT: return "<";
    case SQLITE_INDEX_CONSTRAINT_LE: return "<=";
    default: return NULL;
    }
}

/* ---- the table ---- */

struct union_table {
    sqlite3_vtab base;
    struct union_source *src;
    const struct table_schema *t;
    int ts_col; /* the `timestamp` column, or -1 */
};

static int table_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                         sqlite3_vtab **out, char **errp)
{
    const struct table_schema *t = NULL;
    for (size_t i = 0; argc == 4 && i < HEADER_TABLE_COUNT; i++)
        if (strcmp(argv[3], header_tables[i].name) == 0)
            t = &header_tables[i];
    if (!t) {
        *errp = sqlite3_mprintf("netsift_union: give one header table's name");
        return SQLITE_ERROR;
    }
    char *decl = sqlite3_mprintf("CREATE TABLE x(");
    for (size_t c = 0; decl && c < t->ncols; c++) {
        char *d = sqlite3_mprintf("%s%s\"%s\" %s", decl, c ? ", " : "", t->cols[c].name,
                                  schema_col_type(&t->cols[c]));
        sqlite3_free(decl);
        decl = d;
    }
    char *d = decl ? sqlite3_mprintf("%s)", decl) : NULL;
    sqlite3_free(decl);
    struct union_table *u = d ? sqlite3_malloc(sizeof *u) : NULL;
    int rc = u ? sqlite3_declare_vtab(db, d) : SQLITE_NOMEM;
    sqlite3_free(d);
    if (rc != SQLITE_OK) {
        sqlite3_free(u);
        return rc;
    }
    sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
    memset(u, 0, sizeof *u);
    u->src = aux;
    u->t = t;
    u->ts_col = -1;
    for (size_t c = 0; c < t->ncols; c++)
        if (strcmp(t->cols[c].name, "timestamp") == 0)
            u->ts_col = (int)c;
    *out = &u->base;
    return SQLITE_OK;
}

static int table_disconnect(sqlite3_vtab *v)
{
    sqlite3_free(v);
    return SQLITE_OK;
}

static int table_best_index(sqlite3_vtab *v, sqlite3_index_info *info)
{
    struct union_table *u = (struct union_table *)v;
    struct plan p = {.mode = 'S', .cols_used = info->colUsed};
    bool ts_eq = false, ts_range = false, key_eq = false, other_eq = false;
    for (int i = 0; i < info->nConstraint && p.n < PLAN_CONSTRAINTS_MAX; i++) {
        const struct sqlite3_index_constraint *c = &info->aConstraint[i];
        const char *coll = sqlite3_vtab_collation(info, i);
        if (!c->usable || c->iColumn < 0 || !op_sql(c->op) ||
            (coll && sqlite3_stricmp(coll, "BINARY") != 0))
            continue;
        p.col[p.n] = c->iColumn;
        p.op[p.n++] = c->op;
        info->aConstraintUsage[i].argvIndex = p.n; /* SQLite checks the rows again: omit = 0 */
        bool eq = c->op == SQLITE_INDEX_CONSTRAINT_EQ;
        if (c->iColumn == u->ts_col)
            eq ? (ts_eq = true) : (ts_range = true);
        else if (eq && c->iColumn == 0)
            key_eq = true;
        else if (eq)
            other_eq = true;
    }
    double files = u->src->n;
    if (ts_eq)
        files = 1;
    else if (ts_range)
        files = fmax(1, files / 3);
    if (key_eq) {
        p.mode = 'P';
        info->estimatedCost = 10 * files;
        info->estimatedRows = (sqlite3_int64)(2 * files);
    } else if (other_eq || ts_eq) {
        p.mode = 'A';
        info->estimatedCost = 20 * files;
        info->estimatedRows = (sqlite3_int64)(5 * files);
    } else {
        info->estimatedCost = ROWS_PER_FILE * files / (1 + 2 * p.n);
        info->estimatedRows = (sqlite3_int64)(ROWS_PER_FILE * files / (1 + 2 * p.n));
    }
    info->idxStr = plan_format(&p);
    if (!info->idxStr)
        return SQLITE_NOMEM;
    info->needToFreeIdxStr = 1;
    return SQLITE_OK;
}

/* ---- cursors ---- */

/* A statement a cursor keeps for one file, for its plan. */
struct kept_statement {
    sqlite3_stmt *st;
    uint32_t generation; /* the file's when prepared: gone when the file's differs */
    bool indexed;        /* reads through the automatic index */
};

struct union_cursor {
    sqlite3_vtab_cursor base;
    struct union_table *u;
    struct plan plan;
    char *plan_str;       /* idxStr of the plan the kept statements are for */
    unsigned filters;     /* xFilter calls with this plan (A: the index is built from the 2nd) */
    sqlite3_value *arg[PLAN_CONSTRAINTS_MAX];
    int64_t lo, hi;       /* timestamps the constraints allow */
    int file;             /* the file being read; n at the end */
    sqlite3_stmt *st;     /* the statement reading it */
    struct kept_statement *kept; /* one per file: a lookup visiting files in turn prepares once */
    sqlite3_int64 rowid;
};

static int cursor_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out)
{
    struct union_cursor *c = sqlite3_malloc(sizeof *c);
    if (!c)
        return SQLITE_NOMEM;
    memset(c, 0, sizeof *c);
    c->u = (struct union_table *)v;
    c->kept = sqlite3_malloc64(sizeof *c->kept * (size_t)(c->u->src->n ? c->u->src->n : 1));
    if (!c->kept) {
        sqlite3_free(c);
        return SQLITE_NOMEM;
    }
    memset(c->kept, 0, sizeof *c->kept * (size_t)(c->u->src->n ? c->u->src->n : 1));
    c->u->src->cursors++;
    *out = &c->base;
    return SQLITE_OK;
}

/* Drop the kept statements (those of a closed file are already gone). */
static void cursor_drop_statements(struct union_cursor *c)
{
    for (int i = 0; i < c->u->src->n; i++) {
        struct kept_statement *k = &c->kept[i];
        if (k->st && c->u->src->f[i].generation == k->generation)
            sqlite3_finalize(k->st);
        k->st = NULL;
    }
    c->st = NULL;
}

static void cursor_free_args(struct union_cursor *c)
{
    for (int i = 0; i < PLAN_CONSTRAINTS_MAX; i++) {
        sqlite3_value_free(c->arg[i]);
        c->arg[i] = NULL;
    }
}

/* End the read transactions (the next statement sees the files as they
 * are then). */
static void end_reads(struct union_source *s)
{
    for (int i = 0; i < s->n; i++) {
        struct union_file *f = &s->f[i];
        if (f->reading && f->db) {
            sqlite3_stmt *st;
            for (st = sqlite3_next_stmt(f->db, NULL); st; st = sqlite3_next_stmt(f->db, st))
                sqlite3_reset(st);
            sqlite3_exec(f->db, "COMMIT", NULL, NULL, NULL);
        }
        f->reading = false;
    }
}

static int cursor_close(sqlite3_vtab_cursor *cur)
{
    struct union_cursor *c = (struct union_cursor *)cur;
    cursor_drop_statements(c);
    cursor_free_args(c);
    sqlite3_free(c->plan_str);
    sqlite3_free(c->kept);
    struct union_source *s = c->u->src;
    sqlite3_free(c);
    if (--s->cursors == 0)
        end_reads(s);
    return SQLITE_OK;
}

static bool file_meets(const struct union_cursor *c, const struct union_file *f)
{
    return f->last_us >= c->lo && f->first_us <= c->hi;
}

static int next_file(const struct union_cursor *c, int from)
{
    const struct union_source *s = c->u->src;
    while (from < s->n && !file_meets(c, &s->f[from]))
        from++;
    return from;
}

/* The automatic index's name for the plan's equality columns. */
static char *auto_index_name(const struct union_cursor *c)
{
    uint64_t mask = 0;
    for (int i = 0; i < c->plan.n; i++)
        if (c->plan.op[i] == SQLITE_INDEX_CONSTRAINT_EQ)
            mask |= 1ull << (c->plan.col[i] & 63);
    return sqlite3_mprintf("auto_%s_%llx", c->u->t->name, (unsigned long long)mask);
}

/* Build, on file f's connection, the automatic index of the plan's
 * equality columns if it is not there: a temporary table of those columns
 * and the rowid, indexed, so that a lookup reads the index only. */
static int build_auto_index(struct union_cursor *c, struct union_file *f, const char *name)
{
    struct union_source *s = c->u->src;
    sqlite3_stmt *probe;
    char *sql = sqlite3_mprintf("SELECT 1 FROM temp.sqlite_master WHERE name = ?1");
    int rc = sql ? sqlite3_prepare_v2(f->db, sql, -1, &probe, NULL) : SQLITE_NOMEM;
    sqlite3_free(sql);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_text(probe, 1, name, -1, SQLITE_STATIC);
    bool there = sqlite3_step(probe) == SQLITE_ROW;
    sqlite3_finalize(probe);
    if (there)
        return SQLITE_OK;
    char *cols = sqlite3_mprintf("%s", "");
    uint64_t listed = 0;
    for (int i = 0; cols && i < c->plan.n; i++) {
        uint64_t bit = 1ull << (c->plan.col[i] & 63);
        if (c->plan.op[i] != SQLITE_INDEX_CONSTRAINT_EQ || (listed & bit))
            continue;
        listed |= bit;
        char *t = sqlite3_mprintf("%s\"%s\", ", cols, c->u->t->cols[c->plan.col[i]].name);
        sqlite3_free(cols);
        cols = t;
    }
    sql = cols ? sqlite3_mprintf("CREATE TEMP TABLE \"%s\" AS SELECT %srowid AS r FROM main.\"%s\";"
                                 "CREATE INDEX temp.\"%s_i\" ON \"%s\" (%sr)",
                                 name, cols, c->u->t->name, name, name, cols)
               : NULL;
    sqlite3_free(cols);
    rc = sql ? sqlite3_exec(f->db, sql, NULL, NULL, NULL) : SQLITE_NOMEM;
    sqlite3_free(sql);
    if (rc != SQLITE_OK)
        return rc;
    /* memory: the least recently used files' indexes go (built again if needed) */
    sql = sqlite3_mprintf("SELECT count(*) FROM temp.\"%s\"", name);
    rc = sql ? sqlite3_prepare_v2(f->db, sql, -1, &probe, NULL) : SQLITE_NOMEM;
    sqlite3_free(sql);
    if (rc != SQLITE_OK)
        return rc;
    int64_t rows = sqlite3_step(probe) == SQLITE_ROW ? sqlite3_column_int64(probe, 0) : 0;
    sqlite3_finalize(probe);
    f->indexed_rows += rows;
    s->indexed_rows += rows;
    for (int64_t before = -1; s->indexed_rows > AUTO_INDEX_ROWS_MAX && s->indexed_rows != before;) {
        before = s->indexed_rows;
        evict_one(s, f, true);
    }
    return SQLITE_OK;
}

/* The SQL reading file rows for the cursor's plan (column names from the
 * compiled-in schema; values are bound as ?N, N the constraint's place).
 * Through an automatic index, the index is read first (CROSS JOIN keeps
 * that order) and each row found by its rowid. */
static char *statement_sql(const struct union_cursor *c, const char *auto_index)
{
    const struct table_schema *t = c->u->t;
    char *sql = sqlite3_mprintf("SELECT ");
    for (size_t i = 0; sql && i < t->ncols; i++) {
        bool used = (c->plan.cols_used >> (i < 63 ? i : 63)) & 1;
        char *n = used ? sqlite3_mprintf("%s%st.\"%s\"", sql, i ? ", " : "", t->cols[i].name)
                       : sqlite3_mprintf("%s%sNULL", sql, i ? ", " : "");
        sqlite3_free(sql);
        sql = n;
    }
    if (sql) {
        char *n = auto_index ? sqlite3_mprintf("%s FROM temp.\"%s\" AS a CROSS JOIN main.\"%s\" AS t "
                                               "ON t.rowid = a.r WHERE 1",
                                               sql, auto_index, t->name)
                             : sqlite3_mprintf("%s FROM main.\"%s\" AS t WHERE 1", sql, t->name);
        sqlite3_free(sql);
        sql = n;
    }
    for (int i = 0; sql && i < c->plan.n; i++) {
        bool by_index = auto_index && c->plan.op[i] == SQLITE_INDEX_CONSTRAINT_EQ;
        char *n = sqlite3_mprintf("%s AND %c.\"%s\" %s ?%d", sql, by_index ? 'a' : 't',
                                  t->cols[c->plan.col[i]].name, op_sql(c->plan.op[i]), i + 1);
        sqlite3_free(sql);
        sql = n;
    }
    return sql;
}

static int cursor_error(struct union_cursor *c, const struct union_file *f, char *why)
{
    sqlite3_free(c->u->base.zErrMsg);
    c->u->base.zErrMsg = why ? why : sqlite3_mprintf("%s: %s", f->path, f->db ? sqlite3_errmsg(f->db) : "closed");
    return SQLITE_ERROR;
}

/* Make c->st read c->file for the plan: the statement kept for that
 * file, reset, or a new one. */
static int cursor_prepare(struct union_cursor *c)
{
    struct union_source *s = c->u->src;
    struct union_file *f = &s->f[c->file];
    struct kept_statement *k = &c->kept[c->file];
    bool indexed = c->plan.mode == 'A' && c->filters >= 2;
    if (k->st && k->generation == f->generation && k->indexed == indexed) {
        f->used = ++s->tick;
        sqlite3_reset(k->st);
    } else {
        if (k->st && k->generation == f->generation)
            sqlite3_finalize(k->st);
        k->st = NULL;
        char *why = NULL;
        if (f->closed && !f->db && access(f->path, F_OK) != 0 && errno == ENOENT)
            return SQLITE_NOTFOUND; /* removed by retention since the query began */
        if (!file_db(s, f, &why))
            return cursor_error(c, f, why);
        char *index = indexed ? auto_index_name(c) : NULL;
        if (indexed && (!index || build_auto_index(c, f, index) != SQLITE_OK)) {
            sqlite3_free(index);
            return cursor_error(c, f, NULL);
        }
        char *sql = statement_sql(c, index);
        sqlite3_free(index);
        int rc = sql ? sqlite3_prepare_v2(f->db, sql, -1, &k->st, NULL) : SQLITE_NOMEM;
        sqlite3_free(sql);
        if (rc != SQLITE_OK) {
            k->st = NULL;
            return cursor_error(c, f, NULL);
        }
        k->generation = f->generation;
        k->indexed = indexed;
    }
    if (!f->closed && !f->reading && sqlite3_get_autocommit(f->db)) {
        if (sqlite3_exec(f->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
            return cursor_error(c, f, NULL);
        f->reading = true;
    }
    c->st = k->st;
    for (int i = 0; i < c->plan.n; i++)
        sqlite3_bind_value(c->st, i + 1, c->arg[i]);
    return SQLITE_OK;
}

/* Step to the next row, moving on through the files.  SQLITE_OK (at a
 * row or at the end) or an error. */
static int cursor_step(struct union_cursor *c, bool fresh)
{
    const struct union_source *s = c->u->src;
    while (c->file < s->n) {
        if (fresh) {
            int rc = cursor_prepare(c);
            if (rc == SQLITE_NOTFOUND) {
                c->file = next_file(c, c->file + 1);
                continue;
            }
            if (rc != SQLITE_OK)
                return rc;
        }
        int rc = sqlite3_step(c->st);
        if (rc == SQLITE_ROW) {
            c->rowid++;
            return SQLITE_OK;
        }
        if (rc != SQLITE_DONE)
            return cursor_error(c, &s->f[c->file], NULL);
        sqlite3_reset(c->st);
        c->file = next_file(c, c->file + 1);
        fresh = true;
    }
    return SQLITE_OK;
}

/* Narrow [lo, hi] by a timestamp constraint (values that are not numbers
 * narrow nothing: SQLite checks every row again). */
static void narrow(struct union_cursor *c, int op, sqlite3_value *v)
{
    int type = sqlite3_value_numeric_type(v);
    if (type != SQLITE_INTEGER && type != SQLITE_FLOAT)
        return;
    double d = sqlite3_value_double(v);
    int64_t down = type == SQLITE_INTEGER ? sqlite3_value_int64(v)
                   : d <= -9.2e18 ? INT64_MIN : d >= 9.2e18 ? INT64_MAX : (int64_t)floor(d);
    int64_t up = type == SQLITE_INTEGER ? down
                 : d <= -9.2e18 ? INT64_MIN : d >= 9.2e18 ? INT64_MAX : (int64_t)ceil(d);
    if ((op == SQLITE_INDEX_CONSTRAINT_EQ || op == SQLITE_INDEX_CONSTRAINT_GT ||
         op == SQLITE_INDEX_CONSTRAINT_GE) && down > c->lo)
        c->lo = down;
    if ((op == SQLITE_INDEX_CONSTRAINT_EQ || op == SQLITE_INDEX_CONSTRAINT_LT ||
         op == SQLITE_INDEX_CONSTRAINT_LE) && up < c->hi)
        c->hi = up;
}

static int cursor_filter(sqlite3_vtab_cursor *cur, int idx_num, const char *idx_str, int argc,
                         sqlite3_value **argv)
{
    struct union_cursor *c = (struct union_cursor *)cur;
    (void)idx_num;
    /* a statement left at a row (the last query stopped early) ends its read */
    if (c->st && c->file < c->u->src->n && c->kept[c->file].st == c->st &&
        c->kept[c->file].generation == c->u->src->f[c->file].generation)
        sqlite3_reset(c->st);
    c->st = NULL;
    if (!c->plan_str || strcmp(c->plan_str, idx_str) != 0) {
        cursor_drop_statements(c);
        sqlite3_free(c->plan_str);
        c->plan_str = sqlite3_mprintf("%s", idx_str);
        c->filters = 0;
        bool ok = c->plan_str && plan_parse(idx_str, &c->plan) && c->plan.n == argc;
        for (int i = 0; ok && i < c->plan.n; i++)
            ok = c->plan.col[i] >= 0 && (size_t)c->plan.col[i] < c->u->t->ncols &&
                 op_sql(c->plan.op[i]);
        if (!ok) {
            sqlite3_free(c->plan_str);
            c->plan_str = NULL;
            return SQLITE_ERROR;
        }
    }
    c->filters++;
    cursor_free_args(c);
    c->lo = INT64_MIN;
    c->hi = INT64_MAX;
    for (int i = 0; i < argc; i++) {
        if (!(c->arg[i] = sqlite3_value_dup(argv[i])))
            return SQLITE_NOMEM;
        if (c->plan.col[i] == c->u->ts_col)
            narrow(c, c->plan.op[i], argv[i]);
    }
    c->rowid = 0;
    c->file = next_file(c, 0);
    return cursor_step(c, true);
}

static int cursor_next(sqlite3_vtab_cursor *cur)
{
    return cursor_step((struct union_cursor *)cur, false);
}

static int cursor_eof(sqlite3_vtab_cursor *cur)
{
    struct union_cursor *c = (struct union_cursor *)cur;
    return c->file >= c->u->src->n;
}

static int cursor_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i)
{
    struct union_cursor *c = (struct union_cursor *)cur;
    sqlite3_result_value(ctx, sqlite3_column_value(c->st, i));
    return SQLITE_OK;
}

static int cursor_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid)
{
    struct union_cursor *c = (struct union_cursor *)cur;
    *rowid = ((sqlite3_int64)c->file << 40) | c->rowid;
    return SQLITE_OK;
}

static const sqlite3_module union_module = {
    .iVersion = 0,
    .xCreate = table_connect,
    .xConnect = table_connect,
    .xBestIndex = table_best_index,
    .xDisconnect = table_disconnect,
    .xDestroy = table_disconnect,
    .xOpen = cursor_open,
    .xClose = cursor_close,
    .xFilter = cursor_filter,
    .xNext = cursor_next,
    .xEof = cursor_eof,
    .xColumn = cursor_column,
    .xRowid = cursor_rowid,
};

int header_union_create(sqlite3 *db, const struct header_union_file *files, int n, char *err,
                        size_t errlen)
{
    struct union_source *s = calloc(1, sizeof *s);
    if (s)
        s->f = calloc((size_t)(n > 0 ? n : 1), sizeof *s->f);
    for (int i = 0; s && s->f && i < n; i++) {
        struct union_file *f = &s->f[s->n];
        if (!(f->path = strdup(files[i].path)))
            break;
        f->first_us = files[i].first_us > INT64_MAX ? INT64_MAX : (int64_t)files[i].first_us;
        f->last_us = files[i].last_us > INT64_MAX ? INT64_MAX : (int64_t)files[i].last_us;
        f->closed = files[i].closed;
        s->n++;
    }
    if (!s || !s->f || s->n != n) {
        if (s)
            source_free(s);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* the destructor frees s also when registering fails */
    if (sqlite3_create_module_v2(db, "netsift_union", &union_module, s, source_free) != SQLITE_OK) {
        snprintf(err, errlen, "cannot register the union of header files: %s", sqlite3_errmsg(db));
        return -1;
    }
    for (size_t t = 0; t < HEADER_TABLE_COUNT; t++) {
        char *sql = sqlite3_mprintf("CREATE VIRTUAL TABLE temp.\"%s\" USING netsift_union(%s)",
                                    header_tables[t].name, header_tables[t].name);
        int rc = sql ? sqlite3_exec(db, sql, NULL, NULL, NULL) : SQLITE_NOMEM;
        sqlite3_free(sql);
        if (rc != SQLITE_OK) {
            snprintf(err, errlen, "cannot define the table %s over the header files: %s",
                     header_tables[t].name, sqlite3_errmsg(db));
            return -1;
        }
    }
    return 0;
}
