/*
 * test_reasm.c - the TCP reassembly engine (src/capture/reasm.c) on
 * hand-built segment sequences: in order, reversed, shuffled,
 * duplicated, overlapping with different data, sequence wrap-around,
 * a missing segment, RST mid-stream, mid-stream pickup, IPv6, and the
 * memory caps.  Every test checks the bytes delivered per direction
 * against the bytes sent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "capture/reasm.h"

#define MAXOUT 200000

/* What the callbacks saw. */
struct sink {
    uint8_t out[2][MAXOUT]; /* delivered bytes; a gap shows as '#' bytes */
    size_t len[2];
    uint64_t gaps[2], gap_bytes[2];
    bool discard; /* count only */
    int opened, closed;
    enum reasm_end reason;
    struct reasm_key key;
};

static void on_open(void *user, struct reasm_conn *c)
{
    struct sink *s = user;
    s->opened++;
    s->key = c->key;
}

static void on_data(void *user, struct reasm_conn *c, int dir, const uint8_t *p, size_t n,
                    uint64_t ts)
{
    struct sink *s = user;
    (void)c, (void)ts;
    if (s->discard)
        return;
    assert_true(s->len[dir] + n <= MAXOUT);
    memcpy(s->out[dir] + s->len[dir], p, n);
    s->len[dir] += n;
}

static void on_gap(void *user, struct reasm_conn *c, int dir, uint64_t n)
{
    struct sink *s = user;
    (void)c;
    s->gaps[dir]++;
    s->gap_bytes[dir] += n;
    if (s->discard)
        return;
    assert_true(s->len[dir] + n <= MAXOUT);
    memset(s->out[dir] + s->len[dir], '#', n);
    s->len[dir] += n;
}

static void on_close(void *user, struct reasm_conn *c, enum reasm_end why)
{
    struct sink *s = user;
    (void)c;
    s->closed++;
    s->reason = why;
}

static const uint8_t CLI[4] = {10, 0, 0, 1}, SRV[4] = {10, 0, 0, 2};
static const uint8_t CLI6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t SRV6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

enum { FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10 };

static struct reasm *engine(struct sink *s, uint64_t memcap, uint32_t conn_memcap)
{
    memset(s, 0, sizeof *s);
    struct reasm_conf conf = {.memcap = memcap, .conn_memcap = conn_memcap, .idle_us = 60000000};
    struct reasm_callbacks cb = {on_open, on_data, on_gap, on_close};
    struct reasm *r = reasm_new(&conf, &cb, s);
    assert_non_null(r);
    return r;
}

/* A segment from the client (dir 0) or the server (dir 1). */
static void seg(struct reasm *r, int dir, uint8_t flags, uint32_t seq, const void *p, uint32_t n,
                uint64_t ts)
{
    struct reasm_seg s = {.family = 4, .src = dir ? SRV : CLI, .dst = dir ? CLI : SRV,
                          .sport = dir ? 80 : 40000, .dport = dir ? 40000 : 80, .seq = seq,
                          .flags = flags, .payload = p, .len = n, .ts = ts};
    reasm_segment(r, &s);
}

/* Bytes 0..n-1 of a recognisable pattern. */
static void pattern(uint8_t *p, size_t n, unsigned salt)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)('a' + (i * 7 + salt) % 26);
}

#define NSEG 40
#define SEGLEN 100

/* Handshake, then the client's NSEG segments in the given order, then
 * FINs both ways; the client stream must come out whole. */
static void run_order(const int *order, uint32_t isn, bool twice)
{
    struct sink s;
    static uint8_t data[NSEG * SEGLEN];
    pattern(data, sizeof data, 3);
    struct reasm *r = engine(&s, 64 << 20, 1 << 20);
    seg(r, 0, SYN, isn - 1, NULL, 0, 1);
    seg(r, 1, SYN | ACK, 5000, NULL, 0, 2);
    for (int k = 0; k < NSEG; k++) {
        int i = order[k];
        seg(r, 0, ACK | PSH, isn + (uint32_t)(i * SEGLEN), data + i * SEGLEN, SEGLEN, 3 + k);
        if (twice)
            seg(r, 0, ACK | PSH, isn + (uint32_t)(i * SEGLEN), data + i * SEGLEN, SEGLEN, 3 + k);
    }
    seg(r, 0, FIN | ACK, isn + NSEG * SEGLEN, NULL, 0, 100);
    seg(r, 1, FIN | ACK, 5001, NULL, 0, 101);
    assert_int_equal(s.closed, 1);
    assert_int_equal(s.reason, REASM_END_FIN);
    assert_int_equal(s.len[0], sizeof data);
    assert_memory_equal(s.out[0], data, sizeof data);
    assert_int_equal(s.gaps[0], 0);
    assert_int_equal(s.len[1], 0);
    const struct reasm_stats *st = reasm_stats(r);
    assert_int_equal(st->retrans_bytes, twice ? sizeof data : 0);
    assert_int_equal(st->overlap_conflicts, 0);
    assert_int_equal(st->memory, 0); /* everything freed at the end */
    reasm_free(r);
}

/* order[i] = (i * mul + add) mod NSEG: a permutation when mul is coprime
 * with NSEG (1: in order; NSEG-1 with add NSEG-1: reversed; 17: spread) */
static void fill_order(int *order, int mul, int add)
{
    for (int i = 0; i < NSEG; i++)
        order[i] = (i * mul + add) % NSEG;
}

static void test_in_order(void **state)
{
    (void)state;
    int order[NSEG];
    fill_order(order, 1, 0);
    run_order(order, 1000, false);
}

static void test_reversed(void **state)
{
    (void)state;
    int order[NSEG];
    fill_order(order, NSEG - 1, NSEG - 1);
    run_order(order, 1000, false);
}

static void test_shuffled(void **state)
{
    (void)state;
    for (unsigned seed = 1; seed <= 20; seed++) {
        int order[NSEG];
        fill_order(order, 1, 0);
        unsigned x = seed * 2654435761u;
        for (int i = NSEG - 1; i > 0; i--) {
            x = x * 1103515245u + 12345u;
            int j = (int)((x >> 8) % (unsigned)(i + 1));
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        run_order(order, 1000 + seed, seed % 2 == 0);
    }
}

static void test_duplicated(void **state)
{
    (void)state;
    int order[NSEG];
    fill_order(order, 1, 0);
    run_order(order, 77, true);
}

static void test_wraparound(void **state)
{
    (void)state;
    int order[NSEG];
    fill_order(order, 17, 0); /* 17 is coprime with 40 */
    /* the stream crosses 2^32 in its middle */
    run_order(order, 0xffffffffu - (NSEG * SEGLEN) / 2, false);
    run_order(order, 0, false);
}

/* Overlaps with different bytes: what arrived first is kept. */
static void test_overlap_first_wins(void **state)
{
    (void)state;
    struct sink s;
    struct reasm *r = engine(&s, 1 << 20, 1 << 16);
    seg(r, 0, SYN, 99, NULL, 0, 1);
    /* bytes 10..19 arrive first (out of order), then 5..24 with other data,
     * then 0..9 in order: expected 0..4 from the last, 10..19 from the
     * first, 5..9 and 20..24 from the second */
    seg(r, 0, ACK, 110, "KKKKKKKKKK", 10, 2);
    seg(r, 0, ACK, 105, "xxxxxxxxxxxxxxxxxxxx", 20, 3);
    seg(r, 0, ACK, 100, "0123456789", 10, 4);
    /* and a retransmission of delivered bytes with different data */
    seg(r, 0, ACK, 100, "ZZZZZ", 5, 5);
    assert_int_equal(s.len[0], 25);
    assert_memory_equal(s.out[0], "01234xxxxxKKKKKKKKKKxxxxx", 25);
    const struct reasm_stats *st = reasm_stats(r);
    /* second segment: 10 bytes over the first (all differ); third: 5 over
     * the second ('5'..'9' against 'x'); the retransmission of delivered
     * bytes cannot be compared (they are gone), it only counts */
    assert_int_equal(st->overlap_conflicts, 10 + 5);
    assert_int_equal(st->retrans_bytes, 10 + 5 + 5);
    reasm_free(r);
}

/* A lost segment: reassembly goes on after it, the hole is a gap. */
static void test_missing_segment(void **state)
{
    (void)state;
    struct sink s;
    struct reasm *r = engine(&s, 1 << 20, 1 << 16);
    seg(r, 0, SYN, 0, NULL, 0, 1);
    seg(r, 1, SYN | ACK, 900, NULL, 0, 2);
    seg(r, 0, ACK, 1, "aaaa", 4, 3);
    /* bytes 5..8 ("bbbb") never come */
    seg(r, 0, ACK, 9, "cccc", 4, 4);
    seg(r, 1, ACK, 901, "reply", 5, 5);
    seg(r, 0, ACK | FIN, 13, "dd", 2, 6);
    seg(r, 1, ACK | FIN, 906, NULL, 0, 7);
    /* both FINs seen, but the hole may still be retransmitted: wait */
    assert_int_equal(s.closed, 0);
    assert_int_equal(s.len[0], 4);
    reasm_flush(r); /* end of capture: the hole is given up */
    assert_int_equal(s.closed, 1);
    assert_int_equal(s.gaps[0], 1);
    assert_int_equal(s.gap_bytes[0], 4);
    assert_int_equal(s.len[0], 14);
    assert_memory_equal(s.out[0], "aaaa####ccccdd", 14);
    assert_int_equal(s.len[1], 5);
    assert_memory_equal(s.out[1], "reply", 5);
    reasm_free(r);
}

/* The lost segment retransmitted after the FINs: no gap at all. */
static void test_late_retransmission(void **state)
{
    (void)state;
    struct sink s;
    struct reasm *r = engine(&s, 1 << 20, 1 << 16);
    seg(r, 0, SYN, 0, NULL, 0, 1);
    seg(r, 1, SYN | ACK, 900, NULL, 0, 2);
    seg(r, 0, ACK, 1, "aaaa", 4, 3);
    seg(r, 0, ACK, 9, "cccc", 4, 4);
    seg(r, 0, ACK | FIN, 13, "dd", 2, 6);
    seg(r, 1, ACK | FIN, 901, NULL, 0, 7);
    seg(r, 0, ACK, 5, "bbbb", 4, 8);
    assert_int_equal(s.closed, 1);
    assert_int_equal(s.reason, REASM_END_FIN);
    assert_int_equal(s.gaps[0], 0);
    assert_int_equal(s.len[0], 14);
    assert_memory_equal(s.out[0], "aaaabbbbccccdd", 14);
    reasm_free(r);
}

/* RST in the middle: the connection ends, buffered data is delivered
 * after a gap. */
static void test_rst_midstream(void **state)
{
    (void)state;
    struct sink s;
    struct reasm *r = engine(&s, 1 << 20, 1 << 16);
    seg(r, 0, SYN, 0, NULL, 0, 1);
    seg(r, 0, ACK, 1, "head", 4, 2);
    seg(r, 0, ACK, 9, "tail", 4, 3); /* out of order: bytes 5..8 missing */
    seg(r, 1, RST | ACK, 12345, NULL, 0, 4);
    assert_int_equal(s.closed, 1);
    assert_int_equal(s.reason, REASM_END_RST);
    assert_int_equal(s.len[0], 12);
    assert_memory_equal(s.out[0], "head####tail", 12);
    /* later segments of the reset connection do not bring it back */
    seg(r, 0, ACK, 13, NULL, 0, 5);
    assert_int_equal(s.opened, 1);
    assert_int_equal(reasm_stats(r)->memory, 0);
    reasm_free(r);
}

/* No SYN seen: the first data byte seen starts the stream; the side with
 * the higher port is the client. */
static void test_midstream(void **state)
{
    (void)state;
    struct sink s;
    struct reasm *r = engine(&s, 1 << 20, 1 << 16);
    seg(r, 1, ACK, 7000, "HTTP/1.1", 8, 1); /* the server speaks first */
    seg(r, 0, ACK, 3000, "GET", 3, 2);
    seg(r, 0, ACK, 3003, " /", 2, 3);
    assert_int_equal(s.opened, 1);
    assert_memory_equal(s.key.addr[0], CLI, 4);
    assert_int_equal(s.key.port[0], 40000);
    assert_int_equal(s.len[0], 5);
    assert_memory_equal(s.out[0], "GET /", 5);
    assert_int_equal(s.len[1], 8);
    assert_int_equal(reasm_stats(r)->midstream, 1);
    reasm_flush(r);
    assert_int_equal(s.reason, REASM_END_FLUSH);
    reasm_free(r);
}

static void test_ipv6(void **state)
{
    (void)state;
    struct sink s;
    struct reasm *r = engine(&s, 1 << 20, 1 << 16);
    struct reasm_seg a = {.family = 6, .src = CLI6, .dst = SRV6, .sport = 5555, .dport = 443,
                          .seq = 10, .flags = SYN, .ts = 1};
    reasm_segment(r, &a);
    a.flags = ACK, a.seq = 16, a.payload = (const uint8_t *)"world", a.len = 5, a.ts = 2;
    reasm_segment(r, &a);
    a.seq = 11, a.payload = (const uint8_t *)"helo ", a.ts = 3;
    reasm_segment(r, &a);
    assert_int_equal(s.len[0], 10);
    assert_memory_equal(s.out[0], "helo world", 10);
    assert_int_equal(s.key.family, 6);
    assert_memory_equal(s.key.addr[1], SRV6, 16);
    reasm_free(r);
}

/* A direction's buffer is capped: beyond it the hole is given up. */
static void test_conn_memcap(void **state)
{
    (void)state;
    struct sink s;
    uint8_t big[1000];
    pattern(big, sizeof big, 1);
    struct reasm *r = engine(&s, 1 << 20, 2500);
    seg(r, 0, SYN, 0, NULL, 0, 1);
    /* byte 1..1000 lost; 1001.. arrives in 1000-byte segments */
    for (uint32_t k = 1; k <= 5; k++)
        seg(r, 0, ACK, 1 + k * 1000, big, 1000, 1 + k);
    const struct reasm_stats *st = reasm_stats(r);
    assert_true(st->memcap_gaps >= 1);
    assert_int_equal(s.gaps[0], 1);
    assert_int_equal(s.gap_bytes[0], 1000);
    assert_true(s.len[0] >= 3000); /* gap + delivered segments */
    assert_true(st->peak_memory < 2500 + 3 * 100 + sizeof(struct reasm_conn) + 200);
    reasm_free(r);
}

/* Many half-open connections stay within the engine's memcap: the
 * least recently seen ones are ended. */
static void test_half_open_flood(void **state)
{
    (void)state;
    struct sink s;
    uint64_t cap = 64 * 1024;
    struct reasm *r = engine(&s, cap, 1 << 16);
    s.discard = true;
    for (uint32_t i = 0; i < 20000; i++) {
        uint8_t src[4] = {10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i};
        struct reasm_seg a = {.family = 4, .src = src, .dst = SRV, .sport = 1024 + (i & 1023),
                              .dport = 80, .seq = i * 77, .flags = SYN, .ts = 1000 + i};
        reasm_segment(r, &a);
        a.flags = ACK, a.seq += 10, a.payload = (const uint8_t *)"ooo data", a.len = 8;
        reasm_segment(r, &a); /* buffered: bytes 1..9 missing */
    }
    const struct reasm_stats *st = reasm_stats(r);
    assert_true(st->peak_memory <= cap);
    assert_true(st->ended[REASM_END_EVICTED] > 0);
    assert_int_equal(st->connections, 20000);
    assert_int_equal(st->connections, st->active + st->ended[REASM_END_EVICTED]);
    reasm_free(r);
}

/* Idle connections end on packet time. */
static void test_idle(void **state)
{
    (void)state;
    struct sink s;
    struct reasm *r = engine(&s, 1 << 20, 1 << 16);
    seg(r, 0, SYN, 0, NULL, 0, 1000000);
    seg(r, 0, ACK, 1, "x", 1, 2000000);
    assert_int_equal(s.closed, 0);
    reasm_expire(r, 2000000 + 60000000 + 1);
    assert_int_equal(s.closed, 1);
    assert_int_equal(s.reason, REASM_END_IDLE);
    reasm_free(r);
}

/* A new SYN with another ISN on the same ports starts a new connection. */
static void test_port_reuse(void **state)
{
    (void)state;
    struct sink s;
    struct reasm *r = engine(&s, 1 << 20, 1 << 16);
    seg(r, 0, SYN, 100, NULL, 0, 1);
    seg(r, 0, ACK, 101, "one", 3, 2);
    seg(r, 0, SYN, 100, NULL, 0, 3); /* retransmitted SYN: same connection */
    assert_int_equal(s.opened, 1);
    seg(r, 0, SYN, 90000, NULL, 0, 4);
    assert_int_equal(s.opened, 2);
    assert_int_equal(s.closed, 1);
    assert_int_equal(s.reason, REASM_END_REUSED);
    reasm_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order),
        cmocka_unit_test(test_reversed),
        cmocka_unit_test(test_shuffled),
        cmocka_unit_test(test_duplicated),
        cmocka_unit_test(test_wraparound),
        cmocka_unit_test(test_overlap_first_wins),
        cmocka_unit_test(test_missing_segment),
        cmocka_unit_test(test_late_retransmission),
        cmocka_unit_test(test_rst_midstream),
        cmocka_unit_test(test_midstream),
        cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_conn_memcap),
        cmocka_unit_test(test_half_open_flood),
        cmocka_unit_test(test_idle),
        cmocka_unit_test(test_port_reuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
