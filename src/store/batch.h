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
    uint32_t *order;    /* row indices in primary-key order (batch_sort) */
    uint32_t ncols;     /* all columns, the five common ones included */
    int64_t *vals;      /* nrows * ncols; text: TEXT_REF(offset, length) */
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

/* A text value is stored as its arena offset and length in one integer. */
#define TEXT_LEN_BITS 12
#define TEXT_REF(off, len) ((int64_t)(off) << TEXT_LEN_BITS | (int64_t)(len))
#define TEXT_OFF(v) ((size_t)((uint64_t)(v) >> TEXT_LEN_BITS))
#define TEXT_LEN(v) ((int)((v) & ((1 << TEXT_LEN_BITS) - 1)))

static inline const int64_t *batch_row(const struct table_rows *t, uint32_t i)
{
    return t->vals + (size_t)i * t->ncols;
}

/* Put every table's rows in primary-key order (hash, timestamp,
 * ethh_hash; ties keep arrival order) in t->order.  Done by the producer
 * before submitting, so the writer thread only inserts.  False when out
 * of memory (the order is then arrival order: correct, only slower). */
bool batch_sort(struct batch *b);

#endif
