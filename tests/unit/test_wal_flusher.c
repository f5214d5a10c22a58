/*
 * test_wal_flusher.c - the WAL flusher opens the WAL it is kicked for,
 * keeps working when the file is not there yet, and leaves no descriptor
 * behind; a database it flushes reads back whole.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/wal_flusher.h"

/* Descriptors of this process open on `path`. */
static int fds_on(const char *path)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char link[64], target[PATH_MAX];
        snprintf(link, sizeof link, "/proc/self/fd/%s", e->d_name);
        ssize_t len = readlink(link, target, sizeof target - 1);
        if (len <= 0)
            continue;
        target[len] = '\0';
        n += strcmp(target, path) == 0;
    }
    closedir(d);
    return n;
}

/* Wait up to 2 s for `want` descriptors on path. */
static bool wait_fds(const char *path, int want)
{
    for (int i = 0; i < 200; i++) {
        if (fds_on(path) == want)
            return true;
        usleep(10000);
    }
    return false;
}

static void test_missing_file_then_stop(void **state)
{
    (void)state;
    char dir[] = "/tmp/netsift-walflush-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/none-wal", dir);
    struct wal_flusher *f = wal_flusher_start(path);
    assert_non_null(f);
    for (int i = 0; i < 5; i++)
        wal_flusher_kick(f);
    usleep(20000);
    wal_flusher_stop(f);
    wal_flusher_stop(NULL);
    wal_flusher_kick(NULL);
    rmdir(dir);
}

static void test_flushes_a_real_wal(void **state)
{
    (void)state;
    char dir[] = "/tmp/netsift-walflush-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char db_path[PATH_MAX];
    snprintf(db_path, sizeof db_path, "%s/t.sqlite", dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                                      "CREATE TABLE t (v INTEGER)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    char wal[PATH_MAX];
    snprintf(wal, sizeof wal, "%s", sqlite3_filename_wal(sqlite3_db_filename(db, "main")));
    struct wal_flusher *f = wal_flusher_start(wal);
    assert_non_null(f);
    int before = fds_on(wal); /* SQLite's own */
    assert_int_equal(before, 1);
    for (int i = 0; i < 50; i++) {
        assert_int_equal(sqlite3_exec(db, "INSERT INTO t VALUES (random())", NULL, NULL, NULL),
                         SQLITE_OK);
        wal_flusher_kick(f);
    }
    assert_true(wait_fds(wal, before + 1)); /* the flusher's */
    wal_flusher_stop(f);
    assert_int_equal(fds_on(wal), before);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM t", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 50);
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing_file_then_stop),
        cmocka_unit_test(test_flushes_a_real_wal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
