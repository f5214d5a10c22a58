/*
 * batch.h - rows of header tables on their way to the writer.
 *
 * A batch holds, per table, rows of 64-bit values (text columns hold an
 * offset into the table's text arena) and a per-row NULL mask.  The
 * capture side fills a batch with batch_add_packet(), which turns every
 * present layer of a decoded packet into a row of its table (formatting
 * addresses and names there, off the writer's thread); the writer sorts
 * each table's rows by primary key and inserts them in one transaction.
 * Batches are reused: batch_reset() keeps the memory.
 */
#ifndef NETSIFT_BATCH_H
#define NETSIFT_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../decode/packet.h"
#include "schema.h"

struct table_rows {
    uint32_t nrows, cap;
    uint32_t ncols;     /* all columns, the five common ones included */
    int64_t *vals;      /* nrows * ncols */
    uint64_t *nulls;    /* one bit per column, per row */
    char *text;         /* arena of NUL-terminated strings */
    size_t text_used, text_cap;
};

struct batch {
    struct table_rows t[LAYER_COUNT];
    uint64_t rows;      /* rows in all tables */
    bool failed_alloc;  /* a row could not be added for lack of memory */
};

void batch_init(struct batch *b);
void batch_reset(struct batch *b);
void batch_free(struct batch *b);

/* Add one row per present layer.  Returns false when out of memory. */
bool batch_add_packet(struct batch *b, const struct packet *pkt);

static inline const int64_t *batch_row(const struct table_rows *t, uint32_t i)
{
    return t->vals + (size_t)i * t->ncols;
}

/* Sort a table's rows by (hash, timestamp, ethh_hash): order[] gets row
 * indices (nrows entries). */
void batch_sort(const struct table_rows *t, uint32_t *order);

#endif
