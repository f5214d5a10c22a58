/*
 * header_files.h - the header databases of a DB_PATH read as one: the
 * closed files of DB_PATH/headers/ (rotation.h) and the open
 * headers.sqlite.
 *
 * Every reader of decoded headers (netsift sql, extract --sql) goes
 * through here, so that a query written against one table (eth, ip4,
 * ...) covers every file.  The connection opened here reads every file
 * whose time range (in its name) meets the one asked for: the file itself
 * when it is one, else temporary tables named like the tables, each
 * reading that table in every file (header_union.h: any number of files,
 * where SQLite attaches at most 10).
 */
#ifndef NETSIFT_HEADER_FILES_H
#define NETSIFT_HEADER_FILES_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct header_file {
    char *path;
    uint64_t first_us, last_us; /* the packets' time range; the open file: 0, UINT64_MAX */
    bool open;                  /* DB_PATH/headers.sqlite */
    bool covered;               /* after header_views_open: read by its connection */
};

struct header_files {
    struct header_file *v; /* closed files oldest first, then the open one */
    int n;
    int covered;           /* after header_views_open: files of the range */
    int lock_fd;           /* the rotation lock held while headers.sqlite is open, or -1 */
    char db_path[4096];
};

/* Every header file of db_path.  0 (n may be 0: none yet), or -1 with
 * a one-line reason in err. */
int header_files_list(const char *db_path, struct header_files *hf, char *err, size_t errlen);
/* Frees the list and releases the rotation lock: close the connection
 * first. */
void header_files_free(struct header_files *hf);

/* A read-only connection whose tables eth, ..., http read the files of
 * hf whose packets may fall in [from_us, to_us] (`covered` says which).
 * No ATTACH is allowed on it.  When it covers headers.sqlite it holds
 * the rotation lock (rotation.h) until header_files_free().  NULL with a one-line reason in err
 * (also when there is no file). */
sqlite3 *header_views_open(struct header_files *hf, uint64_t from_us, uint64_t to_us, char *err,
                           size_t errlen);

/* The identity of the header file open on db (its main database): its
 * netsift_file id (sqlite_writer.h), which stays
 * with the file when it is rotated.  1 with *id set, 0 when the file has
 * none (written before netsift gave files one), -1 on an error. */
int header_file_id(sqlite3 *db, int64_t *id);

/* Whether file f may hold packets of [from_us, to_us]. */
bool header_file_meets(const struct header_file *f, uint64_t from_us, uint64_t to_us);

#endif
