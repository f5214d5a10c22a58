/*
 * schema.h - the header tables of headers.sqlite, described once.
 *
 * Each decoded layer has one table.  Every table starts with the five
 * columns of the specification (hash, timestamp, ethh_hash, caplen,
 * length; primary key (hash, timestamp, ethh_hash)) followed by its own
 * columns: first exactly the specification's, then netsift's additions.
 * A column says where its value lives in struct packet and how to turn
 * it into an SQL value.  From this one description come the CREATE TABLE
 * and INSERT statements, the rows handed to the writer, and
 * docs/schema.md (netsift schema --markdown).
 */
#ifndef NETSIFT_SCHEMA_H
#define NETSIFT_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../decode/packet.h"

enum col_kind {
    COL_U8,        /* uint8_t */
    COL_U16,       /* uint16_t */
    COL_U32,       /* uint32_t */
    COL_U64,       /* uint64_t (stored as a signed 64-bit integer) */
    COL_I16_OPT,   /* int16_t, NULL when negative */
    COL_BIT,       /* uint8_t & arg, stored as 0/1 */
    COL_BOOL,      /* bool */
    COL_VLAN,      /* header tables only: eth.vlan_id[arg], NULL past vlan_count */
    COL_IP4,       /* uint8_t[4] as dotted quad */
    COL_IP6,       /* uint8_t[16] as RFC 5952 text */
    COL_HWADDR,    /* struct bytes as colon hex; NULL when empty */
    COL_ADDR,      /* struct bytes: IPv4/IPv6/colon hex by size; NULL when empty */
    COL_TEXT,      /* struct bytes as escaped UTF-8 text; NULL when absent */
    COL_DECLIST,   /* struct bytes as comma-separated decimal bytes */
    COL_CSTR,      /* NUL-terminated char array; NULL when empty */
    COL_PAYLOAD,   /* struct bytes: its length */
    COL_STR,       /* const char *: the string as is ('' stays ''); NULL pointer: NULL */
    COL_CID,       /* header tables only: the packet's Community ID (community_id.h), or NULL */
};

/* One column: where its value lives in the table's record struct (struct
 * packet for the header tables) and how it becomes an SQL value. */
struct column {
    const char *name;
    enum col_kind kind;
    size_t offset;     /* of the value inside the record */
    uint32_t arg;      /* bit mask (COL_BIT), index (COL_VLAN) */
    int cond;          /* if >= 0: offset of a bool that must be true, else NULL */
    const char *doc;   /* one line for docs/schema.md */
};

struct table_schema {
    const char *name;
    const char *doc;
    const char *hash_covers;   /* header tables: exactly which bytes `hash` covers */
    const struct column *cols;
    size_t ncols;
    size_t nspec;              /* the first nspec columns are the specification's */
    size_t ninsert;            /* the first ninsert columns are what a row brings (batch, INSERT);
                                  the rest take their DEFAULT (the writer may update them later)
                                  or SQLite computes them (generated); 0: all of them */
    const char *const *later_sql; /* for each column past ninsert: what follows its type in
                                     CREATE TABLE ("NOT NULL DEFAULT 1", "AS (expr)"), or NULL */
    const char *primary_key;   /* column list of the PRIMARY KEY clause */
    uint64_t not_null_mask;    /* bit i set: column i is NOT NULL */
    unsigned sort_key_cols;    /* sort rows by this many (at most 3) leading integer columns before
                                  inserting (random keys: fewer pages touched); 0: keep order */
    bool replace;              /* INSERT OR REPLACE: a row whose key is stored replaces it (state
                                  tables); otherwise INSERT OR IGNORE (the first row is kept) */
    bool merge_frames;         /* header tables (key: hash, timestamp, ethh_hash, then `length`):
                                  a row whose key is stored is merged into that row (its frames
                                  and bytes added to frames, merged_bytes), so that no frame is
                                  lost to the specification's key */
    const char *index;         /* column list of one secondary index "<table>_idx", or NULL */
    const char *bump_column;   /* an integer key column: a row whose key is already stored is
                                  retried with this column + 1 (up to SCHEMA_BUMP_TRIES times)
                                  instead of being dropped; NULL: none */
};

#define SCHEMA_BUMP_TRIES 1000

/* A database file and its tables, for `netsift schema`. */
struct database_schema {
    const char *file; /* name inside DB_PATH */
    const char *doc;
    const struct table_schema *tables;
    size_t ntables;
};

#define SCHEMA_MAX_COLS 64

/* The tables of headers.sqlite: the header tables, indexed by enum layer,
 * each row built from a struct packet; then the http table (HT_HTTP),
 * each row built from a struct http_txn (decode/http.h). */
#define HT_HTTP LAYER_COUNT /* the http table (one row per HTTP transaction, src/stream/) */
#define HEADER_TABLE_COUNT (LAYER_COUNT + 1)
extern const struct table_schema header_tables[HEADER_TABLE_COUNT];
extern const struct database_schema header_database;

/* Columns a row brings: what a batch holds and INSERT binds. */
static inline size_t schema_insert_cols(const struct table_schema *t)
{
    return t->ninsert ? t->ninsert : t->ncols;
}
/* What follows column i's type in CREATE TABLE past ninsert (later_sql),
 * else NULL. */
static inline const char *schema_later_sql(const struct table_schema *t, size_t i)
{
    return t->later_sql && i >= schema_insert_cols(t) ? t->later_sql[i - schema_insert_cols(t)]
                                                      : NULL;
}
/* One column's definition, "name TYPE[ NOT NULL][ later_sql]", into buf. */
int schema_column_sql(const struct table_schema *t, size_t i, char *buf, size_t size);
/* "CREATE TABLE IF NOT EXISTS t (...)" into buf. */
int schema_create_sql(const struct table_schema *t, char *buf, size_t size);
/* "CREATE INDEX IF NOT EXISTS t_idx ON t (...)" into buf; -1 when the
 * table has no secondary index or buf is too small. */
int schema_index_sql(const struct table_schema *t, char *buf, size_t size);
/* "INSERT OR IGNORE INTO t (...) VALUES (?,...),(?,...)..." (OR REPLACE
 * for a replace table) with nrows rows of parameters, into buf. */
int schema_insert_sql(const struct table_schema *t, unsigned nrows, char *buf, size_t size);
/* The same with the first ncols columns (all of them: t->ncols). */
int schema_insert_sql_cols(const struct table_schema *t, size_t ncols, unsigned nrows, char *buf,
                           size_t size);
/* A merge_frames table's "UPDATE t SET frames = frames + ?1, merged_bytes
 * = bytes + ?2, rowid = max(rowid) + 1 WHERE hash = ?3 AND timestamp = ?4
 * AND ethh_hash = ?5 AND rowid <= ?6" into buf (the row moves to the end,
 * where sync, which sends rows in rowid order, finds it again); -1 for
 * another table or when buf is too small. */
int schema_merge_sql(const struct table_schema *t, char *buf, size_t size);
/* Bit i set when column i is TEXT. */
uint64_t schema_text_mask(const struct table_schema *t);
/* SQL type of a column ("INTEGER" or "TEXT"). */
const char *schema_col_type(const struct column *c);
/* True when a column of this kind is stored as TEXT. */
int schema_col_is_text(enum col_kind k);
/* Write the reference (markdown) of one database's tables to f. */
void schema_write_markdown(FILE *f, const struct database_schema *db);

#endif
