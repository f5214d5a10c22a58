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

#include "header_union.h"
#include "../db/rotation.h"
#include "../db/schema.h"
#include "../db/sqlite_writer.h"

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

/* Mark the files meeting the range (the open file always meets it: its
 * range is not known). */
static void choose(struct header_files *hf, uint64_t from_us, uint64_t to_us)
{
    hf->covered = 0;
    for (int i = 0; i < hf->n; i++) {
        struct header_file *f = &hf->v[i];
        f->covered = header_file_meets(f, from_us, to_us);
        hf->covered += f->covered;
    }
}

/* The connection over the covered files: the file itself when it is one,
 * else an in-memory database with the union tables. */
static sqlite3 *open_covered(struct header_files *hf, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    const char *path = ":memory:"; /* the union tables are temporary */
    struct header_union_file *files = calloc((size_t)hf->covered, sizeof *files);
    int n = 0;
    for (int i = 0; files && i < hf->n; i++)
        if (hf->v[i].covered)
            files[n++] = (struct header_union_file){hf->v[i].path, hf->v[i].first_us,
                                                    hf->v[i].last_us, !hf->v[i].open};
    if (!files) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (n == 1)
        path = files[0].path;
    if (header_union_open_file(path, n == 1 && files[0].closed, &db) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        db = NULL;
    } else if (n > 1 && header_union_create(db, files, n, err, errlen) != 0) {
        sqlite3_close(db);
        db = NULL;
    }
    free(files);
    return db;
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
    if (hf->v[hf->n - 1].open && hf->v[hf->n - 1].covered && hf->lock_fd < 0)
        hf->lock_fd = db_rotation_lock_shared(hf->db_path);
    sqlite3 *db = open_covered(hf, err, errlen);
    if (!db)
        return NULL;
    sqlite3_busy_timeout(db, 5000);
    sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
    sqlite3_exec(db, "PRAGMA query_only=1", NULL, NULL, NULL);
    return db;
}
