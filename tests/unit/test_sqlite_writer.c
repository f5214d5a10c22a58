/*
 * test_sqlite_writer.c - the database writer stores every distinct key
 * once, keeping the row that was handed over first, also when it merges
 * several queued batches into one transaction: the writer is held in its
 * after-commit hook while four batches with overlapping keys queue up.
 * The other columns switch between NULL, repeated integers and text from
 * row to row, so a parameter the writer leaves bound (it skips binding a
 * value a parameter already holds) must still be the row's own value.
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
 * caplen = k * 100000 + i to tell the copies apart; the rest as
 * other_value() says. */
static int64_t key_of(unsigned k, unsigned i)
{
    return (int64_t)((i * 7919u + k * 31u) % KEYS) * 0x10001;
}

/* Column c (past caplen) of row i of batch k: 0 NULL, 1 to 3 a value that
 * repeats over runs of rows (text columns: "t1" to "t3"; integers: 5, 5,
 * or c * 10 + i % 2). */
static unsigned other_value(unsigned k, unsigned i, unsigned c)
{
    return (i / (c % 3 + 1) + k) % 4;
}

static int64_t other_int(unsigned k, unsigned i, unsigned c)
{
    return other_value(k, i, c) == 3 ? (int64_t)c * 10 + i % 2 : 5;
}

static const char other_text[] = "t1\0t2\0t3";

static void fill(struct batch *b, unsigned k)
{
    struct table_rows *t = &b->t[LAYER_ETH];
    t->vals = realloc(t->vals, (size_t)ROWS * t->ncols * sizeof *t->vals);
    t->nulls = realloc(t->nulls, ROWS * sizeof *t->nulls);
    assert_non_null(t->vals);
    assert_non_null(t->nulls);
    t->cap = ROWS;
    t->text = realloc(t->text, sizeof other_text);
    assert_non_null(t->text);
    memcpy(t->text, other_text, sizeof other_text);
    t->text_cap = t->text_used = sizeof other_text;
    uint64_t text = schema_text_mask(&header_tables[LAYER_ETH]);
    for (unsigned i = 0; i < ROWS; i++) {
        int64_t *v = t->vals + (size_t)i * t->ncols;
        v[0] = key_of(k, i);
        v[1] = 7;
        v[2] = 0;
        v[3] = (int64_t)k * 100000 + i;
        t->nulls[i] = 0;
        for (unsigned c = 4; c < t->ncols; c++) {
            unsigned o = other_value(k, i, c);
            if (o == 0)
                t->nulls[i] |= 1ull << c;
            else if (text >> c & 1)
                v[c] = TEXT_REF((o - 1) * 3, 2);
            else
                v[c] = other_int(k, i, c);
        }
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
        sqlite3_prepare_v2(db, "SELECT * FROM eth", -1, &q, NULL), SQLITE_OK);
    const struct table_schema *eth = &header_tables[LAYER_ETH];
    assert_int_equal(sqlite3_column_count(q), (int)eth->ncols);
    uint64_t text = schema_text_mask(eth);
    unsigned n = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        int64_t h = sqlite3_column_int64(q, 0);
        if (h == -1)
            continue;
        assert_int_equal(sqlite3_column_int64(q, 1), 7);
        assert_int_equal(sqlite3_column_int64(q, 2), 0);
        int64_t caplen = sqlite3_column_int64(q, 3);
        assert_int_equal(caplen, first_caplen(h));
        unsigned k = (unsigned)(caplen / 100000), i = (unsigned)(caplen % 100000);
        for (unsigned c = 4; c < eth->ncols; c++) {
            unsigned o = other_value(k, i, c);
            if (o == 0) {
                assert_int_equal(sqlite3_column_type(q, (int)c), SQLITE_NULL);
            } else if (text >> c & 1) {
                char want[3] = {'t', (char)('0' + o), 0};
                assert_string_equal((const char *)sqlite3_column_text(q, (int)c), want);
            } else {
                assert_int_equal(sqlite3_column_type(q, (int)c), SQLITE_INTEGER);
                assert_int_equal(sqlite3_column_int64(q, (int)c), other_int(k, i, c));
            }
        }
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
