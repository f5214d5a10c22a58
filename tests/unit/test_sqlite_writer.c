/*
 * test_sqlite_writer.c - the database writer stores every distinct key
 * once, keeping the values of the row that was handed over first and
 * adding every later row with that key to its frames and merged_bytes, also when
 * it merges several queued batches into one transaction: the writer is
 * held in its after-commit hook while four batches with overlapping keys
 * queue up, and the whole is written three times into one database.
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
#include <sys/stat.h>
#include <unistd.h>

#include "db/sqlite_writer.h"

enum { BATCHES = 4, ROWS = 3000, KEYS = 1000 };

/* Row i of batch k in the eth table: key (hash, timestamp, ethh_hash) =
 * (h, 7, 0) with h cycling over KEYS values in a batch-dependent order, and
 * caplen = k * 100000 + i to tell the copies apart; the rest as
 * other_value() says. */
static int64_t key_of(unsigned k, unsigned i)
{
    return (int64_t)((i * 7919u + k * 31u) % KEYS) * 0x10001;
}

/* The hash of the one row of the first batch: no other row has it. */
#define FIRST_KEY 0xffffffffll

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

/* The eth table's column called name. */
static unsigned eth_col(const char *name)
{
    const struct table_schema *eth = &header_tables[LAYER_ETH];
    for (unsigned c = 0; c < eth->ncols; c++)
        if (strcmp(eth->cols[c].name, name) == 0)
            return c;
    fail_msg("no eth column %s", name);
    return 0;
}

/* length of row i of batch k: what the bytes of a row add up */
static int64_t bytes_of(unsigned k, unsigned i)
{
    return 60 + (int64_t)(k * 7 + i) % 1400;
}

/* Rows 0..n-1 of batch k (n at most ROWS). */
static void fill(struct batch *b, unsigned k, unsigned n)
{
    struct table_rows *t = &b->t[LAYER_ETH];
    int64_t texts[3];
    for (unsigned i = 0; i < 3; i++)
        assert_true((texts[i] = batch_add_text(b, LAYER_ETH, other_text + 3 * i, 2)) >= 0);
    uint64_t text = schema_text_mask(&header_tables[LAYER_ETH]);
    unsigned length = eth_col("length");
    for (unsigned i = 0; i < n; i++) {
        int64_t v[SCHEMA_MAX_COLS] = {key_of(k, i), 7, 0, (int64_t)k * 100000 + i};
        uint64_t nulls = 0;
        for (unsigned c = 4; c < t->ncols; c++) { /* the columns a row brings */
            unsigned o = other_value(k, i, c);
            if (c == length)
                v[c] = bytes_of(k, i);
            else if (o == 0)
                nulls |= 1ull << c;
            else if (text >> c & 1)
                v[c] = texts[o - 1];
            else
                v[c] = other_int(k, i, c);
        }
        assert_true(batch_add_values(b, LAYER_ETH, v, nulls));
    }
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

/* The rows of one round with key h, and their bytes added up. */
static void rows_with_key(int64_t h, int64_t *frames, int64_t *bytes)
{
    *frames = *bytes = 0;
    for (unsigned k = 0; k < BATCHES; k++)
        for (unsigned i = 0; i < ROWS; i++)
            if (key_of(k, i) == h) {
                ++*frames;
                *bytes += bytes_of(k, i);
            }
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

/* A headers.sqlite in a fresh temporary directory, and the writer
 * options every test starts from (4 KiB pages, a small cache). */
struct test_db {
    char dir[32];
    char path[PATH_MAX];
};

static struct writer_opts test_db_create(struct test_db *d)
{
    snprintf(d->dir, sizeof d->dir, "/tmp/netsift-writer-XXXXXX");
    assert_non_null(mkdtemp(d->dir));
    snprintf(d->path, sizeof d->path, "%s/headers.sqlite", d->dir);
    return (struct writer_opts){.path = d->path,
                                .tables = header_tables,
                                .ntables = HEADER_TABLE_COUNT,
                                .synchronous = "normal",
                                .cache_mib = 4,
                                .page_size = 4096};
}

static void test_db_remove(const struct test_db *d)
{
    char cmd[sizeof d->dir + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d->dir);
    assert_int_equal(system(cmd), 0);
}

static void test_first_row_kept_later_ones_merged(void **state)
{
    (void)state;
    struct test_db d;
    char err[512] = "";
    struct writer_opts o = test_db_create(&d);
    o.batches = BATCHES + 1;
    o.after_commit = hold_first;
    assert_int_equal(sem_init(&go, 0, 0), 0);
    assert_int_equal(sem_init(&held, 0, 0), 0);
    for (int round = 0; round < 3; round++) {
        commits = 0;
        struct writer *w = writer_open(&o, err, sizeof err);
        assert_non_null(w);
        struct batch *first = writer_get_batch(w); /* one row, a key of its own */
        assert_non_null(first);
        fill(first, 0, 0); /* the text arena only */
        int64_t v[SCHEMA_MAX_COLS] = {FIRST_KEY, 7, 0, 0, 60}; /* length 60 */
        assert_true(batch_add_values(first, LAYER_ETH, v, ~0ull << 5));
        writer_submit(w, first);
        sem_wait(&held); /* committed; the writer waits in the hook */
        struct batch *b[BATCHES];
        for (unsigned k = 0; k < BATCHES; k++) {
            b[k] = writer_get_batch(w);
            assert_non_null(b[k]);
            fill(b[k], k, ROWS);
        }
        for (unsigned k = 0; k < BATCHES; k++)
            writer_submit(w, b[k]);
        sem_post(&go); /* the writer takes all four at once */
        struct writer_stats st;
        assert_int_equal(writer_close(w, &st, err, sizeof err), 0);
        /* the first round stores every key; later rounds only find them */
        assert_int_equal(st.stored[LAYER_ETH], round == 0 ? KEYS + 1 : 0);
        assert_int_equal(st.merged[LAYER_ETH], BATCHES * ROWS + 1 - (round == 0 ? KEYS + 1 : 0));
        assert_int_equal(st.duplicates[LAYER_ETH], 0);
        assert_int_equal(st.transactions, 2);
        assert_int_equal(st.rows_lost, 0);
    }
    sqlite3 *db;
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_open(d.path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT * FROM eth", -1, &q, NULL), SQLITE_OK);
    const struct table_schema *eth = &header_tables[LAYER_ETH];
    assert_int_equal(sqlite3_column_count(q), (int)eth->ncols);
    uint64_t text = schema_text_mask(eth);
    unsigned n = 0;
    unsigned frames = eth_col("frames"), bytes = eth_col("merged_bytes"), length = eth_col("length");
    while (sqlite3_step(q) == SQLITE_ROW) {
        int64_t h = sqlite3_column_int64(q, 0);
        if (h == FIRST_KEY) { /* one row a round */
            assert_int_equal(sqlite3_column_int64(q, (int)frames), 3);
            assert_int_equal(sqlite3_column_int64(q, (int)bytes), 3 * 60);
            continue;
        }
        int64_t want_frames, want_bytes; /* every row of the three rounds */
        rows_with_key(h, &want_frames, &want_bytes);
        assert_int_equal(sqlite3_column_int64(q, (int)frames), 3 * want_frames);
        assert_int_equal(sqlite3_column_int64(q, (int)bytes), 3 * want_bytes);
        assert_int_equal(sqlite3_column_int64(q, 1), 7);
        assert_int_equal(sqlite3_column_int64(q, 2), 0);
        int64_t caplen = sqlite3_column_int64(q, 3);
        assert_int_equal(caplen, first_caplen(h));
        unsigned k = (unsigned)(caplen / 100000), i = (unsigned)(caplen % 100000);
        assert_int_equal(sqlite3_column_int64(q, (int)length), bytes_of(k, i));
        for (unsigned c = 5; c < schema_insert_cols(eth); c++) {
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
    test_db_remove(&d);
}


/* Rows with a key of an earlier transaction amid new ones in one
 * many-row INSERT: a first run stores the even keys, a second all of
 * them, interleaved; the even ones are found among the chunk's rows and
 * merged (frames 2, bytes of both), the odd ones stored. */
static void test_stored_keys_amid_new_ones(void **state)
{
    (void)state;
    enum { N = 1000 };
    struct test_db d;
    char err[512] = "";
    struct writer_opts o = test_db_create(&d);
    for (int run = 0; run < 2; run++) {
        struct writer *w = writer_open(&o, err, sizeof err);
        assert_non_null(w);
        struct batch *b = writer_get_batch(w);
        assert_non_null(b);
        for (int i = 0; i < N; i++) {
            if (run == 0 && i % 2)
                continue;
            int64_t v[SCHEMA_MAX_COLS] = {(int64_t)i * 7919 % 100003, 7, 0, i, 60 + run};
            assert_true(batch_add_values(b, LAYER_ETH, v, ~0ull << 5));
        }
        writer_submit(w, b);
        struct writer_stats st;
        assert_int_equal(writer_close(w, &st, err, sizeof err), 0);
        assert_int_equal(st.stored[LAYER_ETH], N / 2);
        assert_int_equal(st.merged[LAYER_ETH], run ? N / 2 : 0);
        assert_int_equal(st.duplicates[LAYER_ETH], 0);
    }
    sqlite3 *db;
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_open(d.path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT count(*), sum(frames), sum(caplen % 2 = 0 AND "
                                        "frames = 2 AND merged_bytes = 121), sum(caplen % 2 = 1 "
                                        "AND frames = 1 AND merged_bytes IS NULL) FROM eth",
                                        -1, &q, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int64(q, 0), N);
    assert_int_equal(sqlite3_column_int64(q, 1), N + N / 2);
    assert_int_equal(sqlite3_column_int64(q, 2), N / 2);
    assert_int_equal(sqlite3_column_int64(q, 3), N / 2);
    sqlite3_finalize(q);
    sqlite3_close(db);
    test_db_remove(&d);
}

/* The largest the WAL got, looked at after every commit. */
static off_t wal_largest;
static void note_wal_size(void *arg, struct sqlite3 *db)
{
    (void)db;
    struct stat st;
    if (stat(arg, &st) == 0 && st.st_size > wal_largest)
        wal_largest = st.st_size;
}

/* The writer hands its WAL to the checkpointer and catches up past
 * wal_limit: the WAL stays near the limit while the database grows to
 * sixteen times it and more (fails when the writer does not report its commits or
 * never waits, since nothing then rewinds the WAL). */
static void test_wal_stays_near_its_limit(void **state)
{
    (void)state;
    enum { LIMIT = 256 << 10, NBATCH = 120, NROWS = 2000 };
    struct test_db d;
    char wal[PATH_MAX + 8], err[512] = "";
    struct writer_opts o = test_db_create(&d);
    snprintf(wal, sizeof wal, "%s-wal", d.path);
    o.batches = 3;
    o.wal_limit = LIMIT;
    o.after_commit = note_wal_size;
    o.after_commit_arg = wal;
    wal_largest = 0;
    struct writer *w = writer_open(&o, err, sizeof err);
    assert_non_null(w);
    for (unsigned k = 0; k < NBATCH; k++) {
        struct batch *b = writer_get_batch(w);
        assert_non_null(b);
        for (unsigned i = 0; i < NROWS; i++) { /* rising keys: a commit appends */
            int64_t v[SCHEMA_MAX_COLS] = {(int64_t)k * NROWS + i, 7, 0, i};
            assert_true(batch_add_values(b, LAYER_ETH, v, ~0ull << 4));
        }
        writer_submit(w, b);
    }
    struct writer_stats st;
    assert_int_equal(writer_close(w, &st, err, sizeof err), 0);
    assert_int_equal(st.stored[LAYER_ETH], NBATCH * NROWS);
    struct stat db;
    assert_int_equal(stat(d.path, &db), 0);
    assert_true(db.st_size > 16 * LIMIT);
    assert_true(wal_largest > 0);
    assert_true(wal_largest < 4 * LIMIT);
    test_db_remove(&d);
}

/* A batch is full at its share of the rows (batch_rows / producers) or of
 * the memory (memory / batches), whichever comes first: long text makes
 * batches of fewer rows, not batches of more memory. */
static void test_batch_full_by_rows_or_bytes(void **state)
{
    (void)state;
    enum { MEMORY = 4 << 20, BATCHES_N = 4, ROWS_ALL = 20000, PRODUCERS = 2 };
    struct test_db d;
    char err[512] = "";
    struct writer_opts o = test_db_create(&d);
    o.batches = BATCHES_N;
    o.batch_rows = ROWS_ALL;
    o.producers = PRODUCERS;
    o.memory = MEMORY;
    struct writer *w = writer_open(&o, err, sizeof err);
    assert_non_null(w);
    static char uri[8000];
    memset(uri, 'u', sizeof uri);
    uint64_t stored = 0;
    for (unsigned long_text = 0; long_text < 2; long_text++) {
        struct batch *b = writer_get_batch(w);
        assert_non_null(b);
        unsigned n = 0;
        while (!writer_batch_full(w, b)) {
            int64_t v[SCHEMA_MAX_COLS] = {(int64_t)stored + n, 7, 0, n};
            uint64_t nulls = ~0ull << 4;
            if (long_text) { /* ether_dhost: 8,000 bytes */
                assert_true((v[5] = batch_add_text(b, LAYER_ETH, uri, sizeof uri)) >= 0);
                nulls &= ~(1ull << 5);
            }
            assert_true(batch_add_values(b, LAYER_ETH, v, nulls));
            n++;
            assert_true(n <= ROWS_ALL / PRODUCERS);
        }
        if (!long_text) { /* short rows: full at 10,000 rows, far below 1 MiB */
            assert_int_equal(n, ROWS_ALL / PRODUCERS);
            assert_true(b->bytes < MEMORY / BATCHES_N);
        } else { /* 1 MiB of text: full at about 130 rows (8 values fill a 64 KiB text chunk) */
            assert_true(n >= 120 && n <= 132);
            assert_true(b->bytes >= MEMORY / BATCHES_N);
            assert_true(b->bytes < MEMORY / BATCHES_N + 2 * sizeof uri);
        }
        stored += n;
        writer_submit(w, b);
    }
    struct writer_stats st;
    assert_int_equal(writer_close(w, &st, err, sizeof err), 0);
    assert_int_equal(st.stored[LAYER_ETH], stored);
    test_db_remove(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_row_kept_later_ones_merged),
        cmocka_unit_test(test_stored_keys_amid_new_ones),
        cmocka_unit_test(test_wal_stays_near_its_limit),
        cmocka_unit_test(test_batch_full_by_rows_or_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
