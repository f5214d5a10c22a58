/*
 * sqlite_writer.h - the thread that owns headers.sqlite.
 *
 * One writer per database file, for a set of tables (schema.h).  The
 * capture side takes an empty batch, fills it, and submits it (rows are
 * sorted by key then, on the submitting thread); the writer thread
 * inserts the whole batch in one transaction (WAL mode,
 * prepared statements, INSERT OR IGNORE: a row whose key is already
 * stored is a duplicate, counted and dropped, the first one kept).
 * A fixed number of batches circulate, so a writer that falls behind
 * blocks the producer in writer_get_batch(): back-pressure, never silent
 * loss.  After a write error (disk full, I/O error) the writer stops
 * writing, keeps what was committed, and every later call reports the
 * error.
 */
#ifndef NETSIFT_SQLITE_WRITER_H
#define NETSIFT_SQLITE_WRITER_H

#include <stdbool.h>
#include <stdint.h>

#include "batch.h"

struct writer_opts {
    const char *path;       /* database file */
    const struct table_schema *tables; /* created if missing; batches hold rows for them */
    size_t ntables;
    const char *synchronous; /* "OFF", "NORMAL" or "FULL" */
    uint32_t cache_mib;     /* page cache size */
    uint32_t batches;       /* batches in circulation (>= 2) */
};

struct writer_stats {
    uint64_t stored[BATCH_MAX_TABLES];     /* by table index */
    uint64_t duplicates[BATCH_MAX_TABLES]; /* rows whose key was already stored */
    uint64_t transactions;
};

struct writer;

/* Open (creating if needed) the database, its tables, and start the
 * thread.  On failure returns NULL with a one-line reason in err. */
struct writer *writer_open(const struct writer_opts *opts, char *err, size_t errlen);

/* An empty batch to fill; blocks while every batch is queued.  NULL once
 * the writer has failed (writer_error() says why). */
struct batch *writer_get_batch(struct writer *w);

/* Queue a filled batch for writing (an empty one is just recycled). */
void writer_submit(struct writer *w, struct batch *b);

/* The first write error, or NULL. */
const char *writer_error(struct writer *w);

/* Write everything queued, stop the thread, close the database.  Fills
 * stats; returns 0, or -1 when any write failed (the error in err).
 * Frees w. */
int writer_close(struct writer *w, struct writer_stats *stats, char *err, size_t errlen);

#endif
