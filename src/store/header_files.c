/*
 * header_files.c - the header databases of a DB_PATH read as one (see
 * header_files.h).
 */
#define _GNU_SOURCE
#include "header_files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rotation.h"
#include "schema.h"
#include "sqlite_writer.h"

#define HEADERS_DIR "headers"
#define OPEN_FILE "headers.sqlite"

void header_files_free(struct header_files *hf)
{
    for (int i = 0; i < hf->n; i++)
        free(hf->v[i].path);
    free(hf->v);
    db_rotation_unlock(hf->lock_fd);
    memset(hf, 0, sizeof *hf);
    hf->lock_fd = -1;
}

int header_files_list(const char *db_path, struct header_files *hf, char *err, size_t errlen)
{
    char **names = NULL;
    memset(hf, 0, sizeof *hf);
    hf->lock_fd = -1;
    snprintf(hf->db_path, sizeof hf->db_path, "%s", db_path);
    int n = db_rotation_list(db_path, HEADERS_DIR, &names, err, errlen);
    if (n < 0)
        return -1;
    hf->v = calloc((size_t)n + 1, sizeof *hf->v);
    bool oom = !hf->v;
    for (int i = 0; !oom && i < n; i++) {
        struct header_file *f = &hf->v[hf->n];
        if (!db_rotation_name_range(names[i], &f->first_us, &f->last_us))
            continue; /* not a finished file's name */
        if (asprintf(&f->path, "%s/" HEADERS_DIR "/%s", db_path, names[i]) < 0) {
            f->path = NULL;
            oom = true;
        } else {
            hf->n++;
        }
    }
    db_rotation_list_free(names, n);
    struct stat st;
    char *open_path = NULL;
    if (!oom && asprintf(&open_path, "%s/" OPEN_FILE, db_path) < 0)
        oom = true;
    if (!oom && stat(open_path, &st) == 0)
        hf->v[hf->n++] = (struct header_file){open_path, 0, UINT64_MAX, true, false};
    else
        free(open_path);
    if (oom) {
        header_files_free(hf);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int header_file_id(sqlite3 *db, int64_t *id)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, "SELECT id FROM " FILE_ID_TABLE, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return strstr(sqlite3_errmsg(db), "no such table") ? 0 : -1;
    rc = sqlite3_step(st);
    int found = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
    if (found == 1)
        *id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return found;
}

bool header_file_meets(const struct header_file *f, uint64_t from_us, uint64_t to_us)
{
    return f->last_us >= from_us && f->first_us <= to_us;
}

/* Mark the newest files meeting the range, at most HEADER_VIEW_FILES_MAX
 * (the open file always meets it: its range is not known). */
static void choose(struct header_files *hf, uint64_t from_us, uint64_t to_us)
{
    hf->covered = hf->left_out = 0;
    for (int i = hf->n - 1; i >= 0; i--) {
        struct header_file *f = &hf->v[i];
        f->covered = false;
        if (!header_file_meets(f, from_us, to_us))
            continue;
        if (hf->covered < HEADER_VIEW_FILES_MAX) {
            f->covered = true;
            hf->covered++;
        } else {
            hf->left_out++;
        }
    }
}

/* CREATE TEMP VIEW t AS the UNION ALL of t in every schema (names from
 * the compiled-in schema and our own schema names only). */
static int create_view(sqlite3 *db, const struct table_schema *t, int nschemas)
{
    char *sql = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&sql, &len);
    if (!f)
        return SQLITE_NOMEM;
    fprintf(f, "CREATE TEMP VIEW \"%s\" AS ", t->name);
    for (int i = 0; i < nschemas; i++) {
        fprintf(f, "%sSELECT ", i ? " UNION ALL " : "");
        for (size_t c = 0; c < t->ncols; c++)
            fprintf(f, "%s\"%s\"", c ? ", " : "", t->cols[c].name);
        if (i == 0)
            fprintf(f, " FROM main.\"%s\"", t->name);
        else
            fprintf(f, " FROM f%d.\"%s\"", i, t->name);
    }
    int rc = fclose(f) == 0 ? sqlite3_exec(db, sql, NULL, NULL, NULL) : SQLITE_NOMEM;
    free(sql);
    return rc;
}

sqlite3 *header_views_open(struct header_files *hf, uint64_t from_us, uint64_t to_us, char *err,
                           size_t errlen)
{
    choose(hf, from_us, to_us);
    if (!hf->covered) {
        snprintf(err, errlen,
                 hf->n ? "no header file holds packets of the time range asked for"
                       : "no header database (neither headers.sqlite nor headers/)");
        return NULL;
    }
    sqlite3 *db = NULL;
    int i = 0;
    while (!hf->v[i].covered)
        i++;
    if (hf->v[hf->n - 1].open && hf->v[hf->n - 1].covered && hf->lock_fd < 0)
        hf->lock_fd = db_rotation_lock_shared(hf->db_path);
    const char *main_path = hf->v[i].path;
    if (sqlite3_open_v2(main_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", main_path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 5000);
    int nschemas = 1;
    for (i++; i < hf->n; i++) {
        if (!hf->v[i].covered)
            continue;
        char name[16];
        sqlite3_stmt *a;
        snprintf(name, sizeof name, "f%d", nschemas);
        int rc = sqlite3_prepare_v2(db, "ATTACH ?1 AS ?2", -1, &a, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_text(a, 1, hf->v[i].path, -1, SQLITE_STATIC);
            sqlite3_bind_text(a, 2, name, -1, SQLITE_TRANSIENT);
            rc = sqlite3_step(a) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
            sqlite3_finalize(a);
        }
        if (rc != SQLITE_OK) {
            snprintf(err, errlen, "%s: %s", hf->v[i].path, sqlite3_errmsg(db));
            sqlite3_close(db);
            return NULL;
        }
        nschemas++;
    }
    for (size_t t = 0; t < HEADER_TABLE_COUNT; t++)
        if (create_view(db, &header_tables[t], nschemas) != SQLITE_OK) {
            snprintf(err, errlen, "cannot define the view %s: %s", header_tables[t].name,
                     sqlite3_errmsg(db));
            sqlite3_close(db);
            return NULL;
        }
    sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
    sqlite3_exec(db, "PRAGMA query_only=1", NULL, NULL, NULL);
    return db;
}
