/*
 * test_wal_checkpointer.c - the checkpointer copies the WAL while the
 * writer goes on, and a writer that catches up when told restarts its WAL
 * at the next commit, so the WAL stays bounded; a reader holding an old
 * snapshot does not make the writer wait for ever; a file that is not a
 * database gets no checkpointer.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/wal_checkpointer.h"

#define PAGE 4096
#define START 8  /* frames */
#define LIMIT 32 /* frames */

struct fixture {
    char dir[64];
    char path[PATH_MAX];
    sqlite3 *db;
    int wal_frames; /* from the WAL hook, after each commit */
};

static int on_commit(void *arg, sqlite3 *db, const char *name, int frames)
{
    (void)db;
    (void)name;
    ((struct fixture *)arg)->wal_frames = frames;
    return SQLITE_OK;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/netsift-ckpt-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/t.sqlite", f->dir);
    assert_int_equal(sqlite3_open(f->path, &f->db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(f->db,
                                  "PRAGMA page_size=4096; PRAGMA journal_mode=WAL; "
                                  "PRAGMA synchronous=NORMAL; CREATE TABLE t (v BLOB)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_wal_hook(f->db, on_commit, f); /* as the writer: no autocheckpoint */
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(sqlite3_close(f->db), SQLITE_OK);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* One transaction of about five pages. */
static void commit_one(struct fixture *f)
{
    assert_int_equal(sqlite3_exec(f->db, "INSERT INTO t VALUES (randomblob(18000))", NULL, NULL,
                                  NULL),
                     SQLITE_OK);
}

static off_t wal_size(const struct fixture *f)
{
    char wal[PATH_MAX + 8];
    snprintf(wal, sizeof wal, "%s-wal", f->path);
    struct stat st;
    return stat(wal, &st) == 0 ? st.st_size : 0;
}

/* Commit twice: frames one commit adds to the WAL (fewer than START). */
static int frames_per_commit(struct fixture *f)
{
    commit_one(f);
    int before = f->wal_frames;
    commit_one(f);
    int n = f->wal_frames - before;
    assert_true(n > 0 && n < START);
    return n;
}

static int count_rows(const struct fixture *f)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM t", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static void test_writer_that_catches_up_restarts_the_wal(void **state)
{
    struct fixture *f = *state;
    struct wal_checkpointer *c = wal_checkpointer_start(f->path, "NORMAL", START, LIMIT);
    assert_non_null(c);
    int per_commit = frames_per_commit(f);
    int catch_ups = 0, restarts = 0;
    off_t largest = 0;
    bool catch_up = false;
    for (int i = 2; i < 300; i++) {
        bool caught_up = false;
        if (catch_up) {
            assert_true(wal_checkpointer_catch_up(c));
            catch_ups++;
            caught_up = true;
        }
        int before = f->wal_frames;
        commit_one(f);
        /* with every frame copied, this commit began the WAL again */
        if (caught_up) {
            assert_true(f->wal_frames <= per_commit + 1);
            restarts++;
        } else {
            /* the WAL grew, or the checkpointer had copied every frame
             * before this commit began (a race the writer may win or
             * lose), and the commit began it again */
            assert_true(f->wal_frames > before || f->wal_frames <= per_commit + 1);
        }
        catch_up = wal_checkpointer_committed(c, f->wal_frames);
        if (wal_size(f) > largest)
            largest = wal_size(f);
    }
    wal_checkpointer_stop(c);
    assert_true(catch_ups >= 10);
    assert_int_equal(restarts, catch_ups);
    /* never much past the limit: 300 commits unchecked would be ~1500 frames */
    assert_true(largest <= 32 + (off_t)(LIMIT + 2 * per_commit) * (PAGE + 24));
    assert_int_equal(count_rows(f), 300);
}

static void test_old_snapshot_does_not_block_the_writer(void **state)
{
    struct fixture *f = *state;
    int per_commit = frames_per_commit(f);
    sqlite3 *reader;
    assert_int_equal(sqlite3_open(f->path, &reader), SQLITE_OK);
    assert_int_equal(sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM t", NULL, NULL, NULL),
                     SQLITE_OK);
    struct wal_checkpointer *c = wal_checkpointer_start(f->path, "NORMAL", START, LIMIT);
    assert_non_null(c);
    bool catch_up = false;
    int waits = 0;
    for (int i = 0; i < 60; i++) {
        if (catch_up) {
            assert_true(wal_checkpointer_catch_up(c)); /* returns: the pass ended */
            waits++;
        }
        commit_one(f);
        catch_up = wal_checkpointer_committed(c, f->wal_frames);
    }
    assert_true(waits > 0);
    assert_true(f->wal_frames > LIMIT); /* the reader kept the WAL from restarting */
    assert_int_equal(sqlite3_exec(reader, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(reader);
    assert_true(wal_checkpointer_catch_up(c));
    commit_one(f);
    assert_true(f->wal_frames <= per_commit + 1); /* restarted once the reader let go */
    wal_checkpointer_stop(c);
    assert_int_equal(count_rows(f), 63);
}

static void test_not_a_database(void **state)
{
    (void)state;
    char dir[] = "/tmp/netsift-ckpt-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/missing.sqlite", dir);
    assert_null(wal_checkpointer_start(path, "NORMAL", START, LIMIT));
    snprintf(path, sizeof path, "%s/garbage.sqlite", dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    for (int i = 0; i < 2048; i++)
        fputs("not a database ", fp);
    fclose(fp);
    assert_null(wal_checkpointer_start(path, "NORMAL", START, LIMIT));
    wal_checkpointer_stop(NULL);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_writer_that_catches_up_restarts_the_wal, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_old_snapshot_does_not_block_the_writer, setup,
                                        teardown),
        cmocka_unit_test(test_not_a_database),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
