/*
 * test_defrag.c - IPv4 fragment reassembly (src/capture/defrag.c) on
 * hand-built fragment sequences: in order, reversed, shuffled with a
 * duplicate and an overlap carrying different bytes (first data wins), a
 * missing fragment, a timeout, the memory cap, fragments cut by the
 * snapshot length or misaligned, a datagram over 65,535 bytes, and a TCP
 * segment whose rebuilt frame decodes whole.  The rebuilt frame is
 * checked byte for byte against the unfragmented frame it came from.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "capture/defrag.h"
#include "pktbuild.h"

#define LINKTYPE_ETHERNET 1
#define MAXFRAGS 64

struct frags {
    struct pb f[MAXFRAGS];
    size_t n;
};

/* The original frame: Ethernet + IPv4 (no DF) + UDP or TCP + n payload bytes. */
static void build(struct pb *b, bool tcp, size_t n, struct layout *lay)
{
    static uint8_t payload[PB_MAX];
    for (size_t i = 0; i < n; i++)
        payload[i] = (uint8_t)(i * 7 + i / 251);
    if (tcp)
        build_tcp4(b, 40000, 80, 0x18, NULL, NULL, payload, n, lay);
    else
        build_udp4(b, 40000, 53, payload, n, lay);
    set_be16(b, lay->ip + 6, 0); /* no DF: may be fragmented */
}

/* Split the original's IP payload into fragments of `size` bytes
 * (a multiple of 8, the last one shorter). */
static void split(const struct pb *orig, const struct layout *lay, size_t size, struct frags *out)
{
    size_t hdr = 20, start = lay->ip + hdr, total = orig->len - start;
    out->n = 0;
    for (size_t off = 0; off < total; off += size) {
        size_t len = total - off < size ? total - off : size;
        struct pb *f = &out->f[out->n++];
        pb_init(f);
        put_bytes(f, orig->d, start); /* link + IP header */
        put_bytes(f, orig->d + start + off, len);
        set_be16(f, lay->ip + 2, (uint16_t)(hdr + len));
        set_be16(f, lay->ip + 6, (uint16_t)((off / 8) | (off + len < total ? 0x2000 : 0)));
    }
}

struct run {
    struct defrag *d;
    int completed;
    uint8_t frame[70000];
    uint32_t len;
};

/* Feed one fragment, the first caplen bytes of f at time ts. */
static void feed(struct run *r, const struct pb *f, size_t caplen, uint64_t ts)
{
    struct packet pkt;
    uint8_t *copy = pb_dup(f, caplen);
    decode_packet(&pkt, LINKTYPE_ETHERNET, copy, (uint32_t)caplen, (uint32_t)f->len, ts);
    assert_true(packet_is_ip4_fragment(&pkt));
    const uint8_t *frame;
    uint32_t len;
    if (defrag_packet(r->d, &pkt, &frame, &len)) {
        r->completed++;
        assert_true(len <= sizeof r->frame);
        memcpy(r->frame, frame, len);
        r->len = len;
    }
    free(copy);
}

static uint16_t sum16(const uint8_t *p, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)p[i] << 8 | p[i + 1];
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)s;
}

/* The rebuilt frame is the original with a valid header checksum. */
static void assert_rebuilt(const struct run *r, const struct pb *orig, const struct layout *lay)
{
    assert_int_equal(r->len, orig->len);
    assert_int_equal(sum16(r->frame + lay->ip, 20), 0xffff);
    uint8_t a[PB_MAX], b[PB_MAX];
    memcpy(a, orig->d, orig->len);
    memcpy(b, r->frame, r->len);
    a[lay->ip + 10] = a[lay->ip + 11] = b[lay->ip + 10] = b[lay->ip + 11] = 0;
    assert_memory_equal(a, b, orig->len);
}

static struct run *start(uint64_t memcap)
{
    struct run *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->d = defrag_new(memcap, 60 * 1000000ull);
    assert_non_null(r->d);
    return r;
}

static void finish(struct run *r, struct defrag_stats *st)
{
    defrag_free(r->d, st);
    free(r);
}

/* A datagram and its fragments. */
struct datagram {
    struct pb orig;
    struct layout lay;
    struct frags fr;
};

/* A UDP (or TCP) datagram of n payload bytes, split into fragments of
 * frag bytes. */
static void make_datagram(struct datagram *dg, bool tcp, size_t n, size_t frag)
{
    build(&dg->orig, tcp, n, &dg->lay);
    split(&dg->orig, &dg->lay, frag, &dg->fr);
}

static void feed_order(const size_t *order, size_t n, bool tcp)
{
    struct datagram dg;
    make_datagram(&dg, tcp, 3000, 512);
    assert_int_equal(dg.fr.n, n);
    struct run *r = start(16 << 20);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(r->completed, 0);
        feed(r, &dg.fr.f[order[i]], dg.fr.f[order[i]].len, PB_TS + i);
    }
    assert_int_equal(r->completed, 1);
    assert_rebuilt(r, &dg.orig, &dg.lay);
    struct defrag_stats st;
    finish(r, &st);
    assert_int_equal(st.fragments, n);
    assert_int_equal(st.datagrams, 1);
    assert_int_equal(st.incomplete, 0);
}

static void test_in_order(void **state)
{
    (void)state;
    size_t order[] = {0, 1, 2, 3, 4, 5};
    feed_order(order, 6, false);
}

static void test_reversed(void **state)
{
    (void)state;
    size_t order[] = {5, 4, 3, 2, 1, 0};
    feed_order(order, 6, false);
}

static void test_shuffled(void **state)
{
    (void)state;
    size_t order[] = {3, 0, 5, 1, 4, 2};
    feed_order(order, 6, false);
}

/* A TCP segment in fragments: the rebuilt frame decodes with its whole payload. */
static void test_tcp_decodes_whole(void **state)
{
    (void)state;
    struct datagram dg;
    make_datagram(&dg, true, 2000, 800);
    struct run *r = start(16 << 20);
    for (size_t i = 0; i < dg.fr.n; i++)
        feed(r, &dg.fr.f[dg.fr.n - 1 - i], dg.fr.f[dg.fr.n - 1 - i].len, PB_TS);
    assert_int_equal(r->completed, 1);
    struct packet pkt;
    decode_packet(&pkt, LINKTYPE_ETHERNET, r->frame, r->len, r->len, PB_TS);
    assert_false(packet_is_ip4_fragment(&pkt));
    assert_true(packet_has(&pkt, LAYER_TCP));
    assert_int_equal(pkt.tcp.source, 40000);
    assert_int_equal(pkt.tcp.payload.len, 2000);
    assert_memory_equal(pkt.tcp.payload.p, dg.orig.d + dg.lay.payload, 2000);
    finish(r, NULL);
}

/* A duplicate and an overlapping fragment with different bytes: the
 * first copy wins and the difference is counted. */
static void test_overlap_first_wins(void **state)
{
    (void)state;
    struct datagram dg;
    make_datagram(&dg, false, 3000, 512);
    /* a forged fragment covering fragments 1 and 2 (offset 512, 1024 bytes) */
    struct pb forged;
    pb_init(&forged);
    put_bytes(&forged, dg.orig.d, dg.lay.ip + 20);
    put_fill(&forged, 0xee, 1024);
    set_be16(&forged, dg.lay.ip + 2, 20 + 1024);
    set_be16(&forged, dg.lay.ip + 6, (512 / 8) | 0x2000);

    struct run *r = start(16 << 20);
    feed(r, &dg.fr.f[1], dg.fr.f[1].len, PB_TS);
    feed(r, &dg.fr.f[1], dg.fr.f[1].len, PB_TS); /* duplicate */
    feed(r, &forged, forged.len, PB_TS);   /* fragment 2's bytes arrive forged first */
    for (size_t i = 0; i < dg.fr.n; i++)
        if (i != 1)
            feed(r, &dg.fr.f[i], dg.fr.f[i].len, PB_TS);
    assert_int_equal(r->completed, 1);
    struct defrag_stats st;
    /* fragment 2's place holds the forged bytes (they came first) */
    uint8_t want[PB_MAX];
    memcpy(want, dg.orig.d, dg.orig.len);
    memset(want + dg.lay.ip + 20 + 1024, 0xee, 512);
    assert_memory_equal(r->frame + dg.lay.ip + 20, want + dg.lay.ip + 20, dg.orig.len - dg.lay.ip - 20);
    finish(r, &st);
    assert_int_equal(st.overlap_bytes, 512 + 512 + 512); /* duplicate, forged over 1, 2 over forged */
    assert_true(st.overlap_conflicts > 0);
}

static void test_missing_fragment(void **state)
{
    (void)state;
    struct datagram dg;
    make_datagram(&dg, false, 3000, 512);
    struct run *r = start(16 << 20);
    for (size_t i = 0; i < dg.fr.n; i++)
        if (i != 3)
            feed(r, &dg.fr.f[i], dg.fr.f[i].len, PB_TS);
    assert_int_equal(r->completed, 0);
    struct defrag_stats st;
    finish(r, &st);
    assert_int_equal(st.datagrams, 0);
    assert_int_equal(st.incomplete, 1);
}

/* The rest of a datagram after the timeout starts a new one that never completes. */
static void test_timeout(void **state)
{
    (void)state;
    struct datagram dg;
    make_datagram(&dg, false, 1000, 512);
    assert_int_equal(dg.fr.n, 2);
    struct run *r = start(16 << 20);
    feed(r, &dg.fr.f[0], dg.fr.f[0].len, PB_TS);
    feed(r, &dg.fr.f[1], dg.fr.f[1].len, PB_TS + 61 * 1000000ull);
    assert_int_equal(r->completed, 0);
    struct defrag_stats st;
    finish(r, &st);
    assert_int_equal(st.timed_out, 1);
    assert_int_equal(st.incomplete, 1);
}

/* Many interleaved datagrams in a small cap: the oldest are dropped and
 * counted, memory stays under the cap, the newest still completes. */
static void test_memcap(void **state)
{
    (void)state;
    struct datagram dg;
    make_datagram(&dg, false, 3000, 512);
    uint64_t cap = 64 * 1024;
    struct run *r = start(cap);
    for (uint16_t id = 0; id < 200; id++) { /* first fragments of 200 datagrams */
        set_be16(&dg.fr.f[0], dg.lay.ip + 4, id);
        feed(r, &dg.fr.f[0], dg.fr.f[0].len, PB_TS);
    }
    for (size_t i = 1; i < dg.fr.n; i++) { /* the rest of the last one */
        set_be16(&dg.fr.f[i], dg.lay.ip + 4, 199);
        feed(r, &dg.fr.f[i], dg.fr.f[i].len, PB_TS);
    }
    assert_int_equal(r->completed, 1);
    struct defrag_stats st;
    finish(r, &st);
    assert_true(st.evicted > 150);
    assert_true(st.peak_memory <= cap);
    assert_int_equal(st.datagrams, 1);
}

/* A fragment cut by the snapshot length poisons its datagram. */
static void test_truncated_fragment(void **state)
{
    (void)state;
    struct datagram dg;
    make_datagram(&dg, false, 3000, 512);
    struct run *r = start(16 << 20);
    feed(r, &dg.fr.f[2], dg.fr.f[2].len - 100, PB_TS);
    for (size_t i = 0; i < dg.fr.n; i++)
        feed(r, &dg.fr.f[i], dg.fr.f[i].len, PB_TS);
    assert_int_equal(r->completed, 0);
    struct defrag_stats st;
    finish(r, &st);
    assert_int_equal(st.bad_fragments, 1);
    assert_int_equal(st.datagrams, 0);
}

/* A middle fragment whose length is not a multiple of 8, and a fragment
 * reaching past 65,535 bytes: both rejected. */
static void test_misaligned_and_too_long(void **state)
{
    (void)state;
    struct datagram dg;
    make_datagram(&dg, false, 3000, 512);
    struct run *r = start(16 << 20);
    struct pb odd = dg.fr.f[0];
    odd.len -= 3;
    set_be16(&odd, dg.lay.ip + 2, (uint16_t)(20 + 512 - 3));
    feed(r, &odd, odd.len, PB_TS);

    struct pb far = dg.fr.f[1];
    set_be16(&far, dg.lay.ip + 4, 7);
    set_be16(&far, dg.lay.ip + 6, 8190); /* offset 65,520 */
    feed(r, &far, far.len, PB_TS);
    assert_int_equal(r->completed, 0);
    struct defrag_stats st;
    finish(r, &st);
    assert_int_equal(st.bad_fragments, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order),
        cmocka_unit_test(test_reversed),
        cmocka_unit_test(test_shuffled),
        cmocka_unit_test(test_tcp_decodes_whole),
        cmocka_unit_test(test_overlap_first_wins),
        cmocka_unit_test(test_missing_fragment),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_memcap),
        cmocka_unit_test(test_truncated_fragment),
        cmocka_unit_test(test_misaligned_and_too_long),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
