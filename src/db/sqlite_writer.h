/*
 * sqlite_writer.h - the thread that owns one database (headers.sqlite,
 * pcap-meta.sqlite).
 *
 * One writer per database file, for a set of tables (schema.h).  The
 * capture side takes an empty batch, fills it, and submits it (rows are
 * sorted by key then, on the submitting thread); the writer thread
 * inserts the whole batch in one transaction (WAL mode,
 * prepared statements; a header row whose key is already stored is
 * merged into that row (schema.h merge_frames), any other table's is a
 * duplicate, counted and dropped, the first one kept).
 * A fixed number of batches circulate, so a writer that falls behind
 * blocks the producer in writer_get_batch(): back-pressure, never silent
 * loss.  After a write error (disk full, I/O error) the writer stops
 * writing, keeps what was committed, and every later call reports the
 * error.  Unless synchronous=OFF, a helper thread checkpoints the WAL
 * (wal_checkpointer.h), so the writer does not wait for the disk.
 */
#ifndef NETSIFT_SQLITE_WRITER_H
#define NETSIFT_SQLITE_WRITER_H

#include <stdbool.h>
#include <stdint.h>

#include "batch.h"
#include "rotation.h"

struct sqlite3;

struct writer_opts {
    const char *path;       /* database file */
    const struct table_schema *tables; /* created if missing; batches hold rows for them */
    size_t ntables;
    const char *synchronous; /* "OFF", "NORMAL" or "FULL" */
    uint32_t cache_mib;     /* page cache size */
    uint32_t batches;       /* batches in circulation (>= 2) */
    uint32_t batch_rows;    /* rows that all producers' batches hold together: a batch is full
                               at batch_rows / producers rows (at least 1) */
    uint32_t producers;     /* threads filling batches (the workers; 0 counts as 1) */
    size_t memory;          /* bytes the batches in circulation may hold together: a batch is
                               also full at memory / batches bytes (rows and their text), so
                               the batches' memory is bounded whatever the rows hold; 0: no
                               limit */
    uint64_t wal_limit;     /* WAL bytes past which the writer waits for the checkpointer
                               (checkpoints start at a quarter); 0: 128 MiB */
    uint32_t page_size;     /* of a new database file (bytes, a power of two up to 65536);
                               0: SQLite's default */
    /* Housekeeping on the writer thread, with its connection, after every
     * committed batch and once more when the writer closes (retention of
     * the raw packet store).  Outside any transaction; it runs its own.
     * NULL: none. */
    void (*after_commit)(void *arg, struct sqlite3 *db);
    void *after_commit_arg;
    /* Rotation (headers.sqlite, rotation.h): after a commit that takes the
     * file to rotate_bytes, or the timestamps of its merge_frames rows to a
     * span of rotate_span_us, the writer closes the file, hands it to
     * `rotation` and opens a new one at the same path (0: no such limit).
     * NULL: never. */
    struct db_rotation *rotation;
    uint64_t rotate_bytes, rotate_span_us;
    /* Give the file an identity that moves with it when it is renamed
     * (FILE_ID_TABLE: one row, a random id and when it was made): sync
     * keeps its positions by it. */
    bool file_id;
};

#define FILE_ID_TABLE "netsift_file"
#define FILE_ID_TABLE_SQL \
    "CREATE TABLE IF NOT EXISTS " FILE_ID_TABLE " (id INTEGER NOT NULL, created INTEGER NOT NULL)"

struct writer_stats {
    uint64_t stored[BATCH_MAX_TABLES];     /* by table index */
    uint64_t duplicates[BATCH_MAX_TABLES]; /* rows whose key was already stored, dropped */
    uint64_t merged[BATCH_MAX_TABLES];     /* merge_frames tables: rows whose key was already
                                              stored, added to that row's frames */
    uint64_t bumped[BATCH_MAX_TABLES];     /* rows stored with a bumped key (bump_column) */
    uint64_t transactions;
    uint64_t rotations;          /* files closed and handed to the rotation */
    uint64_t rotations_deferred; /* times another connection kept the file open (its WAL
                                    stayed): tried again 16 transactions later */
    uint64_t newest_us;          /* the newest timestamp of a merge_frames row stored */
    uint64_t rotation_pause_max_us; /* the longest the writer took to close, hand over and
                                       reopen (batches queue meanwhile) */
    uint64_t batches_failed; /* batches not committed: the one that failed and every one
                                handed over after it (the writer stops at its first error) */
    uint64_t rows_lost;      /* rows of those batches */
};

struct writer;

/* Open (creating if needed) the database, its tables, and start the
 * thread.  On failure returns NULL with a one-line reason in err. */
struct writer *writer_open(const struct writer_opts *opts, char *err, size_t errlen);

/* An empty batch to fill; blocks while every batch is queued.  NULL once
 * the writer has failed (writer_error() says why). */
struct batch *writer_get_batch(struct writer *w);

/* True when b holds the rows or the bytes that make a batch full
 * (writer_opts.batch_rows, .memory): hand it over with writer_submit(). */
bool writer_batch_full(const struct writer *w, const struct batch *b);

/* Queue a filled batch for writing (an empty one is just recycled). */
void writer_submit(struct writer *w, struct batch *b);

/* The first write error, or NULL. */
const char *writer_error(struct writer *w);

/* Write everything queued, stop the thread, close the database.  Fills
 * stats; returns 0, or -1 when any write failed (the error in err).
 * Frees w. */
int writer_close(struct writer *w, struct writer_stats *stats, char *err, size_t errlen);

/* Rows stored so far (as of each writer's last commit) in every table of
 * every open writer: fn is called once per table.  Any thread (the
 * control socket's STATS). */
void writer_foreach_table(void (*fn)(void *arg, const char *db_path, const char *table,
                                     uint64_t stored),
                          void *arg);

/* Batches not committed and their rows, summed over every open writer
 * (as of now).  Any thread (STATS). */
void writer_losses(uint64_t *batches_failed, uint64_t *rows_lost);

/* A table named like t that is not netsift's: a column netsift's has not,
 * a column of another type, or one of the specification's columns missing
 * (an older netsift's table, lacking later columns only, is netsift's).
 * 0 when the table is absent or netsift's; 1 with the reason in why
 * ("table eth has a column foo that netsift's has not"); -1 on an SQLite
 * error.  writer_open() refuses such a database before changing it. */
int db_table_foreign(struct sqlite3 *db, const struct table_schema *t, char *why, size_t whylen);

/* Open a database read-only, beside its writer (WAL: readers do not
 * disturb it; busy for at most 200 ms).  NULL with a reason in err. */
struct sqlite3 *db_open_readonly(const char *path, char *err, size_t errlen);

#endif
