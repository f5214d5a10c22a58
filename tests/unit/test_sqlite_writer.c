/*
 * test_sqlite_writer.c - the database writer stores every distinct key
 * once, keeping the row that was handed over first, also when it merges
 * several queued batches into one transaction: the writer is held in its
 * after-commit hook while four batches with overlapping keys queue up.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <limits.h>
#include <semaphore.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/sqlite_writer.h"

enum { BATCHES = 4, ROWS = 3000, KEYS = 1000 };

/* Row i of batch k in the eth table: key (hash, timestamp, ethh_hash) =
 * (h, 7, 0) with h cycling over KEYS values in a batch-dependent order, and
 * caplen = k * 100000 + i to tell the copies apart; the rest NULL. */
static int64_t key_of(unsigned k, unsigned i)
{
    return (int64_t)((i * 7919u + k * 31u) % KEYS) * 0x10001;
}

static void fill(struct batch *b, unsigned k)
{
    struct table_rows *t = &b->t[LAYER_ETH];
    t->vals = realloc(t->vals, (size_t)ROWS * t->ncols * sizeof *t->vals);
    t->nulls = realloc(t->nulls, ROWS * sizeof *t->nulls);
    assert_non_null(t->vals);
    assert_non_null(t->nulls);
    t->cap = ROWS;
    for (unsigned i = 0; i < ROWS; i++) {
        int64_t *v = t->vals + (size_t)i * t->ncols;
        v[0] = key_of(k, i);
        v[1] = 7;
        v[2] = 0;
        v[3] = (int64_t)k * 100000 + i;
        t->nulls[i] = ~0ull << 4;
    }
    t->nrows = ROWS;
    b->rows = ROWS;
}

/* caplen of the row handed over first for key h: the lowest batch, then
 * the lowest row, holding it. */
static int64_t first_caplen(int64_t h)
{
    for (unsigned k = 0; k < BATCHES; k++)
        for (unsigned i = 0; i < ROWS; i++)
            if (key_of(k, i) == h)
                return (int64_t)k * 100000 + i;
    return -1;
}

/* Hold the writer thread after its first commit until the test posts. */
static sem_t held, go;
static int commits;
static void hold_first(void *arg, struct sqlite3 *db)
{
    (void)arg, (void)db;
    if (commits++ == 0) {
        sem_post(&held);
        sem_wait(&go);
    }
}

static void test_first_row_kept_across_batches(void **state)
{
    (void)state;
    char dir[] = "/tmp/netsift-writer-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[PATH_MAX], err[512] = "";
    snprintf(path, sizeof path, "%s/headers.sqlite", dir);
    struct writer_opts o = {.path = path,
                            .tables = header_tables,
                            .ntables = HEADER_TABLE_COUNT,
                            .synchronous = "normal",
                            .cache_mib = 4,
                            .batches = BATCHES + 1,
                            .page_size = 4096,
                            .after_commit = hold_first};
    assert_int_equal(sem_init(&go, 0, 0), 0);
    assert_int_equal(sem_init(&held, 0, 0), 0);
    for (int round = 0; round < 3; round++) {
        commits = 0;
        struct writer *w = writer_open(&o, err, sizeof err);
        assert_non_null(w);
        struct batch *first = writer_get_batch(w); /* one row, a key of its own */
        assert_non_null(first);
        fill(first, 0);
        first->t[LAYER_ETH].nrows = first->rows = 1;
        first->t[LAYER_ETH].vals[0] = -1;
        writer_submit(w, first);
        sem_wait(&held); /* committed; the writer waits in the hook */
        struct batch *b[BATCHES];
        for (unsigned k = 0; k < BATCHES; k++) {
            b[k] = writer_get_batch(w);
            assert_non_null(b[k]);
            fill(b[k], k);
        }
        for (unsigned k = 0; k < BATCHES; k++)
            writer_submit(w, b[k]);
        sem_post(&go); /* the writer takes all four at once */
        struct writer_stats st;
        assert_int_equal(writer_close(w, &st, err, sizeof err), 0);
        /* the first round stores every key; later rounds only find them */
        assert_int_equal(st.stored[LAYER_ETH], round == 0 ? KEYS + 1 : 0);
        assert_int_equal(st.duplicates[LAYER_ETH],
                         BATCHES * ROWS + 1 - (round == 0 ? KEYS + 1 : 0));
        assert_int_equal(st.transactions, 2);
        assert_int_equal(st.rows_lost, 0);
    }
    sqlite3 *db;
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT hash, timestamp, ethh_hash, caplen FROM eth", -1, &q, NULL),
        SQLITE_OK);
    unsigned n = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        int64_t h = sqlite3_column_int64(q, 0);
        if (h == -1)
            continue;
        assert_int_equal(sqlite3_column_int64(q, 1), 7);
        assert_int_equal(sqlite3_column_int64(q, 2), 0);
        assert_int_equal(sqlite3_column_int64(q, 3), first_caplen(h));
        n++;
    }
    assert_int_equal(n, KEYS);
    sqlite3_finalize(q);
    sqlite3_close(db);
    sem_destroy(&go);
    sem_destroy(&held);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_row_kept_across_batches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
