/*
 * batch.h - rows of database tables on their way to the writer.
 *
 * A batch holds, for each table of a database, packed rows of integers
 * (text columns hold a reference into the table's text arena), each with
 * its NULL mask.  The producer fills it with batch_add() (one record
 * struct -> one row, as the table's columns describe) or, for the header
 * tables, batch_add_packet() (every present layer of a decoded packet ->
 * a row of its table), formatting addresses and names there, off the
 * writer's thread; batch_sort() puts the rows in key order; the writer
 * inserts a whole batch in one transaction.  Batches are reused;
 * their memory is what they hold (struct table_rows).  b->bytes weighs
 * it, so that a producer hands a batch over at a size (the writer's
 * memory budget, sqlite_writer.h) whatever its rows hold.
 */
#ifndef NETSIFT_BATCH_H
#define NETSIFT_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../decode/packet.h"
#include "schema.h"

#define BATCH_MAX_TABLES 16

/* A table's rows, packed: each row is its NULL mask (8 bytes, one bit per
 * column) followed by every column in as many bytes as its kind needs (1,
 * 2, 4 or 8; a text column holds a TEXT_REF into the table's text).  A
 * NULL column holds 0.  A tcp row takes 80 bytes (208 at 8 bytes per
 * column), an ip4 row 69 (144), an eth row 68 (112).  Rows live in chunks
 * of BATCH_CHUNK_ROWS, text in chunks of BATCH_TEXT_CHUNK bytes (a value
 * never straddles two), allocated as the table fills and given back by
 * batch_reset(). */
#define BATCH_CHUNK_ROWS_BITS 10
#define BATCH_CHUNK_ROWS (1u << BATCH_CHUNK_ROWS_BITS)
#define BATCH_TEXT_CHUNK_BITS 16
#define BATCH_TEXT_CHUNK ((size_t)1 << BATCH_TEXT_CHUNK_BITS) /* > TEXT_MAX_LEN */
struct table_rows {
    uint32_t nrows;
    uint32_t ncols;
    uint32_t row_bytes;                 /* NULL mask and columns */
    uint16_t col_off[SCHEMA_MAX_COLS];  /* column's offset in a row */
    uint8_t col_width[SCHEMA_MAX_COLS]; /* column's bytes */
    uint64_t text_mask;                 /* text columns (schema_text_mask) */
    void **chunks;                      /* row i: in chunks[i >> BATCH_CHUNK_ROWS_BITS] */
    uint32_t nchunks, chunks_cap;
    void **text_chunks;                 /* NUL-terminated strings */
    uint32_t ntext_chunks, text_chunks_cap;
    size_t text_used;                   /* next text offset: chunk << BATCH_TEXT_CHUNK_BITS | pos */
};

struct batch {
    const struct table_schema *tables;
    size_t ntables;
    struct table_rows t[BATCH_MAX_TABLES];
    uint64_t rows;      /* rows in all tables */
    size_t bytes;       /* their packed rows and text (what the tables hold now) */
    bool failed_alloc;  /* a row could not be added for lack of memory */
};

void batch_init(struct batch *b, const struct table_schema *tables, size_t ntables);
void batch_reset(struct batch *b);
void batch_free(struct batch *b);


/* Add one row to table `table` from its record struct.  False when out
 * of memory. */
bool batch_add(struct batch *b, size_t table, const void *record);

/* Add one row of values as stored (a text column: a TEXT_REF into the
 * table's arena; a value wider than its column keeps its low bytes; NULL
 * columns: bits of `nulls`).  batch_add() ends here.  False when out of
 * memory. */
bool batch_add_values(struct batch *b, size_t table, const int64_t *values, uint64_t nulls);

/* Store text for batch_add_values(): n bytes (cut to TEXT_MAX_LEN) into
 * table's text; its TEXT_REF, or -1 when out of memory. */
int64_t batch_add_text(struct batch *b, size_t table, const char *str, size_t n);

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

static inline const uint8_t *batch_row(const struct table_rows *t, uint32_t i)
{
    return (const uint8_t *)t->chunks[i >> BATCH_CHUNK_ROWS_BITS] +
           (size_t)(i & (BATCH_CHUNK_ROWS - 1)) * t->row_bytes;
}

/* The NUL-terminated text a TEXT_REF points at. */
static inline const char *batch_text(const struct table_rows *t, int64_t ref)
{
    size_t off = TEXT_OFF(ref);
    return (const char *)t->text_chunks[off >> BATCH_TEXT_CHUNK_BITS] +
           (off & (BATCH_TEXT_CHUNK - 1));
}

static inline uint64_t batch_row_nulls(const uint8_t *row)
{
    uint64_t nulls;
    memcpy(&nulls, row, sizeof nulls);
    return nulls;
}

/* Column col of a row (0 when it is NULL). */
static inline int64_t batch_row_value(const struct table_rows *t, const uint8_t *row, unsigned col)
{
    const uint8_t *p = row + t->col_off[col];
    uint16_t u16;
    uint32_t u32;
    int64_t i64;
    switch (t->col_width[col]) {
    case 1:
        return *p;
    case 2:
        memcpy(&u16, p, sizeof u16);
        return u16;
    case 4:
        memcpy(&u32, p, sizeof u32);
        return u32;
    default:
        memcpy(&i64, p, sizeof i64);
        return i64;
    }
}

static inline int64_t batch_value(const struct table_rows *t, uint32_t i, unsigned col)
{
    return batch_row_value(t, batch_row(t, i), col);
}

static inline uint64_t batch_nulls(const struct table_rows *t, uint32_t i)
{
    return batch_row_nulls(batch_row(t, i));
}

/* Put every table's rows in key order (the table's sort_key_cols leading
 * integer columns; ties keep arrival order), moving the rows themselves so
 * the writer reads them front to back.  Done by the producer before
 * submitting, so the writer thread only inserts.  False when out of memory
 * (the rows then stay in arrival order: correct, only slower). */
bool batch_sort(struct batch *b);

#endif
