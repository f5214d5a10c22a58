/*
 * reasm_stream.c - one TCP direction in sequence order (see
 * reasm_stream.h): the out-of-order buffer with the first-data-wins
 * overlap policy, gaps and the per-stream caps.  The reassembly engine
 * (reasm.c) and the monitor's collectors are both built on it.
 */
#include "reasm_stream.h"

#include <stdlib.h>
#include <string.h>

/* An out-of-order segment: data[0..len) holds sequence numbers
 * seq .. seq+len-1.  The list of a stream is sorted and its segments
 * never overlap (overlapping parts of later segments are dropped). */
struct reasm_seg_buf {
    struct reasm_seg_buf *next;
    uint32_t seq, len;
    uint64_t ts;
    uint8_t data[];
};

#define SEG_COST(n) (sizeof(struct reasm_seg_buf) + (n))

size_t reasm_stream_seg_cost(uint32_t n)
{
    return SEG_COST(n);
}

static void mem_add(struct reasm_stats *st, uint64_t n)
{
    st->memory += n;
    if (st->memory > st->peak_memory)
        st->peak_memory = st->memory;
}

static void unhold(const struct reasm_stream_env *e, struct reasm_stream *s,
                   struct reasm_seg_buf *b)
{
    s->buffered -= b->len;
    s->nsegs--;
    e->st->memory -= SEG_COST(b->len);
}

void reasm_stream_free(const struct reasm_stream_env *e, struct reasm_stream *s)
{
    struct reasm_seg_buf *b = s->ooo, *next;
    for (; b; b = next) {
        next = b->next;
        unhold(e, s, b);
        free(b);
    }
    s->ooo = NULL;
}

static void deliver(const struct reasm_stream_env *e, void *user, struct reasm_stream *s,
                    const uint8_t *p, uint32_t n, uint64_t ts)
{
    s->next_seq += n;
    if (s->ignore) {
        e->st->ignored_bytes += n;
        return;
    }
    s->delivered += n;
    e->st->bytes += n;
    if (e->data && n)
        e->data(user, p, n, ts);
}

void reasm_stream_gap(const struct reasm_stream_env *e, void *user, struct reasm_stream *s,
                      uint32_t n)
{
    if (n == 0)
        return;
    s->next_seq += n;
    s->gap_bytes += n;
    e->st->gaps++;
    e->st->gap_bytes += n;
    if (!s->ignore && e->gap)
        e->gap(user, n);
}

/* Deliver buffered segments that the delivered data has reached. */
static void drain(const struct reasm_stream_env *e, void *user, struct reasm_stream *s)
{
    while (s->ooo && seq_diff(s->ooo->seq, s->next_seq) <= 0) {
        struct reasm_seg_buf *b = s->ooo;
        s->ooo = b->next;
        unhold(e, s, b);
        int32_t skip = seq_diff(s->next_seq, b->seq);
        if ((uint32_t)skip < b->len)
            deliver(e, user, s, b->data + skip, b->len - (uint32_t)skip, b->ts);
        free(b);
        if (s->ignore)
            reasm_stream_free(e, s);
    }
}

/* Give up on the hole before the first buffered segment. */
static void gap_to_first(const struct reasm_stream_env *e, void *user, struct reasm_stream *s)
{
    reasm_stream_gap(e, user, s, (uint32_t)seq_diff(s->ooo->seq, s->next_seq));
    drain(e, user, s);
}

void reasm_stream_flush(const struct reasm_stream_env *e, void *user, struct reasm_stream *s)
{
    while (s->ooo)
        gap_to_first(e, user, s);
}

/* Buffer [seq, seq+n) after `prev` (NULL: at the head). */
static struct reasm_seg_buf *buffer_piece(const struct reasm_stream_env *e,
                                          struct reasm_stream *s, struct reasm_seg_buf *prev,
                                          uint32_t seq, const uint8_t *p, uint32_t n, uint64_t ts)
{
    struct reasm_seg_buf *b = malloc(SEG_COST(n));
    if (!b) {
        e->st->alloc_failures++;
        return NULL;
    }
    b->seq = seq;
    b->len = n;
    b->ts = ts;
    memcpy(b->data, p, n);
    if (prev) {
        b->next = prev->next;
        prev->next = b;
    } else {
        b->next = s->ooo;
        s->ooo = b;
    }
    s->buffered += n;
    s->nsegs++;
    mem_add(e->st, SEG_COST(n));
    return b;
}

/* Insert a segment beyond next_seq into the sorted list; bytes already
 * buffered are kept (first data wins), differing ones counted. */
static void insert_ooo(const struct reasm_stream_env *e, struct reasm_stream *s, uint32_t seq,
                       const uint8_t *p, uint32_t n, uint64_t ts)
{
    uint32_t cur = seq, end = seq + n;
    struct reasm_seg_buf *prev = NULL, *b = s->ooo;
    e->st->ooo_segments++;
    while (seq_diff(end, cur) > 0) {
        while (b && seq_diff(b->seq + b->len, cur) <= 0) {
            prev = b;
            b = b->next;
        }
        if (!b || seq_diff(b->seq, end) >= 0) {
            buffer_piece(e, s, prev, cur, p + (cur - seq), end - cur, ts);
            return;
        }
        if (seq_diff(b->seq, cur) > 0) {
            struct reasm_seg_buf *piece =
                buffer_piece(e, s, prev, cur, p + (cur - seq), b->seq - cur, ts);
            if (!piece)
                return;
            prev = piece;
            cur = b->seq;
        }
        /* b->seq <= cur < b->seq + b->len: the overlap keeps b's bytes */
        uint32_t oend = seq_diff(b->seq + b->len, end) < 0 ? b->seq + b->len : end;
        const uint8_t *mine = p + (cur - seq), *theirs = b->data + (cur - b->seq);
        uint32_t olen = oend - cur;
        e->st->retrans_bytes += olen;
        if (memcmp(mine, theirs, olen) != 0)
            for (uint32_t i = 0; i < olen; i++)
                e->st->overlap_conflicts += mine[i] != theirs[i];
        cur = oend;
    }
}

/* In-order data about to be delivered: count its bytes that differ from
 * buffered segments it overlaps (those arrived first and win). */
static void count_overlaps(const struct reasm_stream_env *e, const struct reasm_stream *s,
                           uint32_t seq, const uint8_t *p, uint32_t n)
{
    for (const struct reasm_seg_buf *b = s->ooo; b && seq_diff(b->seq, seq + n) < 0; b = b->next) {
        uint32_t from = b->seq, to = b->seq + b->len;
        if (seq_diff(to, seq + n) > 0)
            to = seq + n;
        if (seq_diff(to, from) <= 0)
            continue;
        const uint8_t *x = p + (from - seq), *y = b->data;
        for (uint32_t i = 0; i < to - from; i++)
            e->st->overlap_conflicts += x[i] != y[i];
    }
}

/* True when n more out-of-order bytes (one more segment) fit the caps. */
static bool fits(const struct reasm_stream_env *e, void *user, const struct reasm_stream *s,
                 uint32_t n)
{
    if (s->buffered + (uint64_t)n > e->cap)
        return false;
    if (e->max_segs && s->nsegs >= e->max_segs)
        return false;
    return !e->room || e->room(user, SEG_COST(n));
}

void reasm_stream_add(const struct reasm_stream_env *e, void *user, struct reasm_stream *s,
                      uint32_t seq, const uint8_t *p, uint32_t n, uint32_t missing, uint64_t ts)
{
    reasm_stream_start(s, seq);
    for (;;) {
        if (s->ignore) {
            reasm_stream_free(e, s);
            uint32_t end = seq + n + missing;
            if (seq_diff(end, s->next_seq) > 0) {
                e->st->ignored_bytes += (uint32_t)seq_diff(end, s->next_seq);
                s->next_seq = end;
            }
            return;
        }
        int32_t rel = seq_diff(seq, s->next_seq);
        if (rel < 0) {
            uint64_t old = (uint64_t)-(int64_t)rel;
            if (old >= n) {
                e->st->retrans_bytes += n;
                return;
            }
            e->st->retrans_bytes += old;
            p += old;
            n -= (uint32_t)old;
            seq = s->next_seq;
            rel = 0;
        }
        if (rel == 0) {
            count_overlaps(e, s, seq, p, n);
            if (s->ooo && seq_diff(s->ooo->seq, seq + n) < 0) {
                /* buffered bytes came first: deliver up to them, then them,
                 * then go on with what is left of this segment */
                uint32_t upto = s->ooo->seq - seq;
                deliver(e, user, s, p, upto, ts);
                drain(e, user, s);
                seq += upto, p += upto, n -= upto;
                continue;
            }
            deliver(e, user, s, p, n, ts);
            if (missing)
                reasm_stream_gap(e, user, s, missing);
            drain(e, user, s);
            return;
        }
        /* beyond the next expected byte: buffer, within the caps */
        if (fits(e, user, s, n)) {
            insert_ooo(e, s, seq, p, n, ts);
            return;
        }
        e->st->memcap_gaps++;
        if (s->ooo) {
            gap_to_first(e, user, s); /* then try again: next_seq moved */
            continue;
        }
        reasm_stream_gap(e, user, s, (uint32_t)rel); /* nothing to hold: skip to this segment */
    }
}
