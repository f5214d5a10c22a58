/*
 * batch.c - building and sorting rows of the header tables (see batch.h).
 */
#include "batch.h"

#include <stdlib.h>
#include <string.h>

#include "../decode/community_id.h"
#include "../util/text.h"

/* Bytes a column of this kind takes in a packed row: what int_value()
 * can produce, or a TEXT_REF. */
static uint8_t col_width(enum col_kind kind)
{
    switch (kind) {
    case COL_U8:
    case COL_BIT:
    case COL_BOOL:
        return 1;
    case COL_U16:
    case COL_I16_OPT: /* NULL when negative */
    case COL_VLAN:
        return 2;
    case COL_U32:
    case COL_PAYLOAD:
        return 4;
    default: /* COL_U64, text */
        return 8;
    }
}

void batch_init(struct batch *b, const struct table_schema *tables, size_t ntables)
{
    memset(b, 0, sizeof *b);
    b->tables = tables;
    b->ntables = ntables < BATCH_MAX_TABLES ? ntables : BATCH_MAX_TABLES;
    for (size_t l = 0; l < b->ntables; l++) {
        struct table_rows *t = &b->t[l];
        size_t ncols = schema_insert_cols(&tables[l]); /* the rest are not the row's */
        t->ncols = (uint32_t)(ncols < SCHEMA_MAX_COLS ? ncols : SCHEMA_MAX_COLS);
        uint32_t off = sizeof(uint64_t); /* the NULL mask */
        for (uint32_t c = 0; c < t->ncols; c++) {
            t->col_off[c] = (uint16_t)off;
            t->col_width[c] = col_width(tables[l].cols[c].kind);
            off += t->col_width[c];
        }
        t->row_bytes = off;
        t->text_mask = schema_text_mask(&tables[l]);
    }
}

/* Give every chunk back to the allocator: what one fill of a batch
 * held says nothing about the next (the traffic's mix of tables changes),
 * so a batch keeps only its chunk tables, and the memory of the batches
 * in circulation is what they hold, not the peak of every table at once. */
static void release_chunks(struct table_rows *t)
{
    for (uint32_t c = 0; c < t->nchunks; c++)
        free(t->chunks[c]);
    for (uint32_t c = 0; c < t->ntext_chunks; c++)
        free(t->text_chunks[c]);
    t->nchunks = t->ntext_chunks = 0;
}

void batch_reset(struct batch *b)
{
    for (size_t l = 0; l < b->ntables; l++) {
        release_chunks(&b->t[l]);
        b->t[l].nrows = 0;
        b->t[l].text_used = 0;
    }
    b->rows = 0;
    b->bytes = 0;
    b->failed_alloc = false;
}

void batch_free(struct batch *b)
{
    for (size_t l = 0; l < b->ntables; l++) {
        release_chunks(&b->t[l]);
        free(b->t[l].chunks);
        free(b->t[l].text_chunks);
    }
    memset(b, 0, sizeof *b);
}

/* Append a newly allocated chunk of size bytes to a chunk table. */
static bool add_chunk(void ***table, uint32_t *n, uint32_t *cap, size_t size)
{
    if (*n == *cap) {
        uint32_t c = *cap ? *cap * 2 : 64;
        void **t = realloc(*table, (size_t)c * sizeof *t);
        if (!t)
            return false;
        *table = t;
        *cap = c;
    }
    if (!((*table)[*n] = malloc(size)))
        return false;
    (*n)++;
    return true;
}

/* Room for one more row: a new chunk when the last one is full. */
static bool reserve_row(struct table_rows *t)
{
    if (t->nrows < (t->nchunks << BATCH_CHUNK_ROWS_BITS))
        return true;
    return add_chunk(&t->chunks, &t->nchunks, &t->chunks_cap,
                     (size_t)BATCH_CHUNK_ROWS * t->row_bytes);
}

/* Reserve n bytes (at most BATCH_TEXT_CHUNK) of text in one chunk; returns
 * the offset or -1.  A value that does not fit in the rest of the last
 * chunk starts the next one. */
static int64_t text_reserve(struct table_rows *t, size_t n)
{
    size_t chunk = t->text_used >> BATCH_TEXT_CHUNK_BITS;
    size_t pos = t->text_used & (BATCH_TEXT_CHUNK - 1);
    if (chunk < t->ntext_chunks && pos + n > BATCH_TEXT_CHUNK) {
        chunk++;
        t->text_used = chunk << BATCH_TEXT_CHUNK_BITS;
    }
    if (chunk == t->ntext_chunks &&
        !add_chunk(&t->text_chunks, &t->ntext_chunks, &t->text_chunks_cap,
                   BATCH_TEXT_CHUNK))
        return -1;
    return (int64_t)t->text_used;
}

/* Copy n bytes (at most TEXT_MAX_LEN) and a NUL into the table's text;
 * their TEXT_REF, or -1 on allocation failure. */
static int64_t store_text(struct table_rows *t, const char *str, size_t n)
{
    int64_t off = text_reserve(t, n + 1);
    if (off < 0)
        return -1;
    char *to = (char *)batch_text(t, TEXT_REF(off, 0));
    memcpy(to, str, n);
    to[n] = '\0';
    t->text_used += n + 1;
    return TEXT_REF(off, n);
}

int64_t batch_add_text(struct batch *b, size_t table, const char *str, size_t n)
{
    struct table_rows *t = &b->t[table];
    size_t before = t->text_used;
    int64_t ref = store_text(t, str, n < TEXT_MAX_LEN ? n : TEXT_MAX_LEN);
    if (ref < 0)
        b->failed_alloc = true;
    else
        b->bytes += t->text_used - before;
    return ref;
}

/* Format a text column's value into the arena; its TEXT_REF, or -1 on
 * allocation failure, -2 when the value is NULL. */
static int64_t text_value(struct table_rows *t, const struct column *c, const void *record,
                          const void *field)
{
    char buf[DNS_NAME_MAX + 8];
    const struct bytes *bytes = field;
    const char *str = buf;
    size_t n;
    switch (c->kind) {
    case COL_IP4:
        format_ip4(field, buf);
        break;
    case COL_IP6:
        format_ip6(field, buf);
        break;
    case COL_HWADDR:
        if (bytes->len == 0)
            return -2;
        format_hex_colon(bytes->p, bytes->len > 16 ? 16 : bytes->len, buf);
        break;
    case COL_ADDR:
        if (bytes->len == 0)
            return -2;
        format_addr(bytes->p, bytes->len, buf);
        break;
    case COL_TEXT:
        if (!bytes->p)
            return -2;
        text_escape(bytes->p, bytes->len, buf, sizeof buf, false);
        break;
    case COL_DECLIST:
        if (!bytes->p)
            return -2;
        n = 0;
        buf[0] = '\0';
        for (uint32_t i = 0; i < bytes->len && n + 5 < sizeof buf; i++)
            n += (size_t)snprintf(buf + n, sizeof buf - n, i ? ",%u" : "%u", bytes->p[i]);
        break;
    case COL_CSTR:
        if (((const char *)field)[0] == '\0')
            return -2;
        n = strnlen(field, DNS_NAME_MAX - 1);
        memcpy(buf, field, n);
        buf[n] = '\0';
        break;
    case COL_STR:
        str = *(const char *const *)field;
        if (!str)
            return -2;
        break;
    case COL_CID:
        str = packet_community_id(record);
        if (!str)
            return -2;
        break;
    default:
        return -2;
    }
    return store_text(t, str, strnlen(str, TEXT_MAX_LEN)); /* buf: < TEXT_MAX_LEN */
}

/* Integer value of a non-text column; false when it is NULL. */
static bool int_value(const struct column *c, const void *record, const void *field, int64_t *v)
{
    switch (c->kind) {
    case COL_U8: *v = *(const uint8_t *)field; return true;
    case COL_U16: *v = *(const uint16_t *)field; return true;
    case COL_U32: *v = *(const uint32_t *)field; return true;
    case COL_U64: *v = (int64_t)*(const uint64_t *)field; return true;
    case COL_I16_OPT: *v = *(const int16_t *)field; return *v >= 0;
    case COL_BIT: *v = (*(const uint8_t *)field & c->arg) != 0; return true;
    case COL_BOOL: *v = *(const bool *)field; return true;
    case COL_PAYLOAD: *v = ((const struct bytes *)field)->len; return true;
    case COL_VLAN:
        if (c->arg >= ((const struct packet *)record)->eth.vlan_count)
            return false;
        *v = ((const uint16_t *)field)[c->arg];
        return true;
    default:
        return false;
    }
}

bool batch_add(struct batch *b, size_t table, const void *record)
{
    struct table_rows *t = &b->t[table];
    const struct table_schema *s = &b->tables[table];
    int64_t v[SCHEMA_MAX_COLS];
    uint64_t nulls = 0;
    const uint8_t *base = record;
    size_t text_before = t->text_used;
    for (size_t i = 0; i < t->ncols; i++) {
        const struct column *c = &s->cols[i];
        v[i] = 0;
        if (c->cond >= 0 && !*(const bool *)(base + c->cond)) {
            nulls |= 1ull << i;
            continue;
        }
        const void *field = base + c->offset;
        if (t->text_mask >> i & 1) {
            int64_t ref = text_value(t, c, record, field);
            if (ref == -1) {
                b->failed_alloc = true;
                t->text_used = text_before; /* no half rows */
                return false;
            }
            if (ref == -2)
                nulls |= 1ull << i;
            else
                v[i] = ref;
        } else if (!int_value(c, record, field, &v[i])) {
            v[i] = 0;
            nulls |= 1ull << i;
        }
    }
    if (!batch_add_values(b, table, v, nulls)) {
        t->text_used = text_before;
        return false;
    }
    b->bytes += t->text_used - text_before;
    return true;
}

bool batch_add_values(struct batch *b, size_t table, const int64_t *v, uint64_t nulls)
{
    struct table_rows *t = &b->t[table];
    if (!reserve_row(t)) {
        b->failed_alloc = true;
        return false;
    }
    uint8_t *row = (uint8_t *)batch_row(t, t->nrows);
    memcpy(row, &nulls, sizeof nulls);
    for (uint32_t i = 0; i < t->ncols; i++) {
        uint8_t *p = row + t->col_off[i];
        uint16_t u16 = (uint16_t)v[i];
        uint32_t u32 = (uint32_t)v[i];
        switch (t->col_width[i]) {
        case 1:
            *p = (uint8_t)v[i];
            break;
        case 2:
            memcpy(p, &u16, sizeof u16);
            break;
        case 4:
            memcpy(p, &u32, sizeof u32);
            break;
        default:
            memcpy(p, &v[i], sizeof v[i]);
        }
    }
    t->nrows++;
    b->rows++;
    b->bytes += t->row_bytes;
    return true;
}

bool batch_add_packet(struct batch *b, const struct packet *pkt)
{
    /* every table joins to eth: without a link-layer header, store nothing */
    if (!packet_has(pkt, LAYER_ETH))
        return true;
    for (uint32_t bits = pkt->layers; bits; bits &= bits - 1)
        if (!batch_add(b, (size_t)__builtin_ctz(bits), pkt))
            return false;
    return true;
}

/* qsort has no context argument: sort (key, index) records instead. */
struct sort_key {
    int64_t k[3];
    uint32_t index;
};

static int cmp_key(const void *a, const void *b)
{
    const struct sort_key *x = a, *y = b;
    for (int i = 0; i < 3; i++)
        if (x->k[i] != y->k[i])
            return x->k[i] < y->k[i] ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Move the rows into the order keys[].index gives (row keys[j].index goes
 * to position j), following each cycle of the permutation in place; keys[]
 * is marked as it goes. */
static void permute_rows(struct table_rows *t, struct sort_key *keys)
{
    uint8_t held[sizeof(uint64_t) + SCHEMA_MAX_COLS * sizeof(int64_t)];
    size_t row_bytes = t->row_bytes;
    for (uint32_t i = 0; i < t->nrows; i++) {
        if (keys[i].index == i)
            continue;
        memcpy(held, batch_row(t, i), row_bytes);
        uint32_t j = i;
        for (;;) {
            uint32_t from = keys[j].index;
            keys[j].index = j;
            uint8_t *to = (uint8_t *)batch_row(t, j);
            if (from == i) {
                memcpy(to, held, row_bytes);
                break;
            }
            memcpy(to, batch_row(t, from), row_bytes);
            j = from;
        }
    }
}

static bool sort_table(struct table_rows *t, unsigned key_cols, struct sort_key **keys,
                       uint32_t *keys_cap)
{
    if (key_cols == 0 || t->nrows < 2)
        return true;
    if (t->nrows > *keys_cap) {
        struct sort_key *k = realloc(*keys, (size_t)t->nrows * sizeof *k);
        if (!k)
            return false;
        *keys = k;
        *keys_cap = t->nrows;
    }
    bool sorted = true;
    for (uint32_t i = 0; i < t->nrows; i++) {
        const uint8_t *r = batch_row(t, i);
        (*keys)[i] = (struct sort_key){{batch_row_value(t, r, 0),
                                        key_cols > 1 ? batch_row_value(t, r, 1) : 0,
                                        key_cols > 2 ? batch_row_value(t, r, 2) : 0},
                                       i};
        if (sorted && i > 0 && cmp_key(&(*keys)[i - 1], &(*keys)[i]) > 0)
            sorted = false;
    }
    if (sorted)
        return true; /* rows that arrive in key order (the raw index) */
    qsort(*keys, t->nrows, sizeof **keys, cmp_key);
    permute_rows(t, *keys);
    return true;
}

bool batch_sort(struct batch *b)
{
    struct sort_key *keys = NULL;
    uint32_t keys_cap = 0;
    bool ok = true;
    for (size_t l = 0; l < b->ntables; l++)
        ok &= sort_table(&b->t[l], b->tables[l].sort_key_cols, &keys, &keys_cap);
    free(keys);
    return ok;
}
