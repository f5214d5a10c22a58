/*
 * reasm_stream.h - one direction of a TCP connection put back in
 * sequence order: the ordering core of the reassembly engine (reasm.h),
 * usable on its own by code that keeps its own connection table (the
 * device monitor's per-flow collectors, src/monitor/collect.c).
 *
 * A struct reasm_stream holds where the direction is (next_seq: the
 * sequence number of the next byte to deliver) and its out-of-order
 * segments.  reasm_stream_add() takes one segment's payload; the stream
 * calls back, through a struct reasm_stream_env:
 *
 *   data(user, p, n, ts)   the next n bytes, in sequence order, each byte
 *                          exactly once;
 *   gap(user, n)           n bytes will never come (given up on); data
 *                          goes on after them.
 *
 * The same policy as the engine's, because it is the engine's code:
 * first data wins (a byte already delivered or buffered is never
 * replaced; differing later copies are counted as overlap_conflicts),
 * sequence numbers compared modulo 2^32 (seq_diff), segments beyond
 * next_seq buffered in a sorted list without overlaps.  A stream holds
 * at most env->cap bytes of out-of-order data (and, when env->max_segs
 * is not 0, takes no segment while max_segs are held: pieces stay under
 * 2 * max_segs + 1); when a segment would go over, the hole
 * before the first buffered segment is declared a gap and the buffered
 * data delivered.  env->room (optional) is asked before buffering `need`
 * more bytes of memory (the engine frees other connections there).
 *
 * A stream that was never started begins at the first segment added
 * (pickup mid-stream); reasm_stream_start() sets where it begins when
 * that is known (after the SYN).  Counters go to env->st (the fields
 * about bytes, buffering, gaps and memory; the engine's own for its
 * connections).  Free buffered segments with reasm_stream_free().
 */
#ifndef NETSIFT_REASM_STREAM_H
#define NETSIFT_REASM_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum reasm_end {
    REASM_END_FIN,      /* both directions finished */
    REASM_END_RST,      /* reset */
    REASM_END_IDLE,     /* idle timeout (packet time) */
    REASM_END_EVICTED,  /* memory cap: least recently seen connection ended */
    REASM_END_REUSED,   /* a new SYN on the same addresses and ports */
    REASM_END_FLUSH,    /* end of capture */
    REASM_END_COUNT
};

struct reasm_stats {
    uint64_t segments;        /* TCP segments fed */
    uint64_t connections;     /* connections created */
    uint64_t midstream;       /* of those, picked up without a SYN */
    uint64_t ended[REASM_END_COUNT];
    uint64_t bytes;           /* bytes delivered */
    uint64_t retrans_bytes;   /* payload bytes already delivered or buffered (dropped) */
    uint64_t overlap_conflicts; /* of those, bytes that differed from the first copy */
    uint64_t ooo_segments;    /* segments buffered out of order */
    uint64_t gaps, gap_bytes; /* holes declared lost */
    uint64_t memcap_gaps;     /* of those, declared because a direction's buffer was full */
    uint64_t alloc_failures;  /* segments dropped: out of memory */
    uint64_t ignored_bytes;   /* bytes of directions the analyzer stopped (not buffered) */
    uint64_t peak_memory;     /* highest memory in use */
    uint64_t memory;          /* in use now */
    uint64_t active;          /* connections open now */
};

struct reasm_seg_buf; /* an out-of-order segment (reasm_stream.c) */

struct reasm_stream {
    bool started;            /* next_seq is known */
    bool ignore;             /* no more data wanted: segments only advance next_seq */
    uint32_t next_seq;       /* sequence number of the next byte to deliver */
    uint32_t buffered;       /* out-of-order bytes held */
    uint32_t nsegs;          /* out-of-order segments held */
    uint64_t delivered;      /* bytes delivered */
    uint64_t gap_bytes;      /* bytes declared lost */
    struct reasm_seg_buf *ooo; /* out-of-order segments, sorted, not overlapping */
};

struct reasm_stream_env {
    uint32_t cap;            /* out-of-order bytes one stream holds at most */
    uint32_t max_segs;       /* a segment is held out of order only while fewer than this are
                                (0: no limit); one segment filling k holes adds k + 1 pieces */
    struct reasm_stats *st;  /* counters (never NULL) */
    void (*data)(void *user, const uint8_t *p, size_t n, uint64_t ts);
    void (*gap)(void *user, uint64_t n);
    bool (*room)(void *user, uint64_t need); /* NULL: always room */
};

/* Memory one buffered segment of n bytes costs (counted in st->memory). */
size_t reasm_stream_seg_cost(uint32_t n);

/* The stream's first byte has sequence number seq (no effect once started). */
static inline void reasm_stream_start(struct reasm_stream *s, uint32_t seq)
{
    if (!s->started) {
        s->started = true;
        s->next_seq = seq;
    }
}

/* The payload of one segment starting at seq (n bytes at p); missing:
 * bytes of the segment after those that were not captured (declared a
 * gap once reached). */
void reasm_stream_add(const struct reasm_stream_env *e, void *user, struct reasm_stream *s,
                      uint32_t seq, const uint8_t *p, uint32_t n, uint32_t missing, uint64_t ts);

/* n bytes at next_seq will never come. */
void reasm_stream_gap(const struct reasm_stream_env *e, void *user, struct reasm_stream *s,
                      uint32_t n);

/* No more segments will come: deliver everything buffered, the holes
 * before it as gaps. */
void reasm_stream_flush(const struct reasm_stream_env *e, void *user, struct reasm_stream *s);

/* Drop the buffered segments. */
void reasm_stream_free(const struct reasm_stream_env *e, struct reasm_stream *s);

/* Serial-number comparison (RFC 1982) of 32-bit sequence numbers. */
static inline int32_t seq_diff(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b);
}

#endif
