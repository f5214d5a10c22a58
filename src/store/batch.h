/*
 * batch.h - rows of database tables on their way to the writer.
 *
 * A batch holds, for each table of a database, rows of 64-bit values
 * (text columns hold a reference into the table's text arena) and a
 * per-row NULL mask.  The producer fills it with batch_add() (one record
 * struct -> one row, as the table's columns describe) or, for the header
 * tables, batch_add_packet() (every present layer of a decoded packet ->
 * a row of its table), formatting addresses and names there, off the
 * writer's thread; batch_sort() puts the rows in key order; the writer
 * inserts a whole batch in one transaction.  Batches are reused:
 * batch_reset() keeps the memory.
 */
#ifndef NETSIFT_BATCH_H
#define NETSIFT_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../decode/packet.h"
#include "schema.h"

#define BATCH_MAX_TABLES 16

struct table_rows {
    uint32_t nrows, cap;
    uint32_t ncols;
    int64_t *vals;      /* nrows * ncols; text: TEXT_REF(offset, length) */
    uint64_t *nulls;    /* one bit per column, per row */
    char *text;         /* arena of NUL-terminated strings */
    size_t text_used, text_cap;
};

struct batch {
    const struct table_schema *tables;
    size_t ntables;
    struct table_rows t[BATCH_MAX_TABLES];
    uint64_t rows;      /* rows in all tables */
    bool failed_alloc;  /* a row could not be added for lack of memory */
};

void batch_init(struct batch *b, const struct table_schema *tables, size_t ntables);
void batch_reset(struct batch *b);
void batch_free(struct batch *b);

/* Add one row to table `table` from its record struct.  False when out
 * of memory. */
bool batch_add(struct batch *b, size_t table, const void *record);

/* Header tables (header_tables, indexed by layer): one row per present
 * layer.  False when out of memory. */
bool batch_add_packet(struct batch *b, const struct packet *pkt);

/* A text value is stored as its arena offset and length in one integer;
 * longer values are cut to TEXT_MAX_LEN bytes. */
#define TEXT_LEN_BITS 14
#define TEXT_MAX_LEN ((1 << TEXT_LEN_BITS) - 1)
#define TEXT_REF(off, len) ((int64_t)(off) << TEXT_LEN_BITS | (int64_t)(len))
#define TEXT_OFF(v) ((size_t)((uint64_t)(v) >> TEXT_LEN_BITS))
#define TEXT_LEN(v) ((int)((v) & ((1 << TEXT_LEN_BITS) - 1)))

static inline const int64_t *batch_row(const struct table_rows *t, uint32_t i)
{
    return t->vals + (size_t)i * t->ncols;
}

/* Put every table's rows in key order (the table's sort_key_cols leading
 * integer columns; ties keep arrival order), moving the rows themselves so
 * the writer reads them front to back.  Done by the producer before
 * submitting, so the writer thread only inserts.  False when out of memory
 * (the rows then stay in arrival order: correct, only slower). */
bool batch_sort(struct batch *b);

#endif
