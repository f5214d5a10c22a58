/*
 * test_dns.c - dns_read_name() (plain names, compression, pointer loops
 * and limits, truncation, length limit, escaping) and the DNS/mDNS
 * message decoder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pcap/dlt.h>
#include <xxhash.h>

#include "decode/decoders.h"
#include "decode/packet.h"
#include "pktbuild.h"

#define BIT(l) (1u << (l))

/* Read the name at start from an exact-size heap copy of m. */
static enum dns_name_status read_name(const struct pb *m, size_t start, size_t *end, char *out,
                                      size_t out_size)
{
    uint8_t *h = pb_dup(m, m->len);
    size_t pos = start;
    enum dns_name_status st = dns_read_name(h, m->len, &pos, out, out_size);
    free(h);
    if (end)
        *end = pos;
    return st;
}

/* A message holding a 12-byte header and then the given bytes. */
static void msg(struct pb *m, const char *bytes, size_t n)
{
    pb_init(m);
    put_fill(m, 0, 12);
    put_bytes(m, bytes, n);
}
#define MSG(m, lit) msg((m), (lit), sizeof(lit) - 1)

static void test_plain_name(void **state)
{
    (void)state;
    struct pb m;
    char out[DNS_NAME_MAX];
    size_t end;
    MSG(&m, "\x03www\x07"
            "example\x03"
            "com\x00"
            "\x00\x01\x00\x01");
    assert_int_equal(read_name(&m, 12, &end, out, sizeof out), DNS_NAME_OK);
    assert_string_equal(out, "www.example.com");
    assert_int_equal(end, 12 + 17);
    /* without an output buffer: same status, same end */
    assert_int_equal(read_name(&m, 12, &end, NULL, 0), DNS_NAME_OK);
    assert_int_equal(end, 12 + 17);
    /* starting at a later label */
    assert_int_equal(read_name(&m, 16, &end, out, sizeof out), DNS_NAME_OK);
    assert_string_equal(out, "example.com");
    assert_int_equal(end, 12 + 17);
}

static void test_root_name(void **state)
{
    (void)state;
    struct pb m;
    char out[DNS_NAME_MAX];
    size_t end;
    MSG(&m, "\x00\x00\x02\x00\x01");
    assert_int_equal(read_name(&m, 12, &end, out, sizeof out), DNS_NAME_OK);
    assert_string_equal(out, ".");
    assert_int_equal(end, 13);
    /* a pointer to the root name */
    MSG(&m, "\x00\xc0\x0c");
    assert_int_equal(read_name(&m, 13, &end, out, sizeof out), DNS_NAME_OK);
    assert_string_equal(out, ".");
    assert_int_equal(end, 15);
}

static void test_compression(void **state)
{
    (void)state;
    struct pb m;
    char out[DNS_NAME_MAX];
    size_t end;
    /* 12: example.com   25: www -> 12   31: -> 25   33: mail -> 31 */
    MSG(&m, "\x07"
            "example\x03"
            "com\x00"
            "\x03www\xc0\x0c"
            "\xc0\x19"
            "\x04mail\xc0\x1f");
    assert_int_equal(read_name(&m, 25, &end, out, sizeof out), DNS_NAME_OK);
    assert_string_equal(out, "www.example.com");
    assert_int_equal(end, 31); /* just after the first pointer */
    assert_int_equal(read_name(&m, 31, &end, out, sizeof out), DNS_NAME_OK);
    assert_string_equal(out, "www.example.com");
    assert_int_equal(end, 33);
    assert_int_equal(read_name(&m, 33, &end, out, sizeof out), DNS_NAME_OK);
    assert_string_equal(out, "mail.www.example.com");
    assert_int_equal(end, 33 + 7);
    /* a forward pointer is fine too */
    MSG(&m, "\xc0\x0e\x02hi\x00");
    assert_int_equal(read_name(&m, 12, &end, out, sizeof out), DNS_NAME_OK);
    assert_string_equal(out, "hi");
    assert_int_equal(end, 14);
}

static void test_pointer_loops(void **state)
{
    (void)state;
    struct pb m;
    char out[DNS_NAME_MAX];
    size_t end = 999;
    MSG(&m, "\xc0\x0c"); /* points at itself */
    assert_int_equal(read_name(&m, 12, &end, out, sizeof out), DNS_NAME_MALFORMED);
    MSG(&m, "\xc0\x0e\xc0\x0c"); /* two pointers at each other */
    assert_int_equal(read_name(&m, 12, &end, out, sizeof out), DNS_NAME_MALFORMED);
    assert_int_equal(read_name(&m, 14, &end, NULL, 0), DNS_NAME_MALFORMED);
    MSG(&m, "\x01"
            "a\xc0\x0c"); /* a label, then back to it */
    assert_int_equal(read_name(&m, 12, &end, out, sizeof out), DNS_NAME_MALFORMED);
    assert_true(strlen(out) < sizeof out);
}

/* 12: "x", then n pointers, each to the one before; the name is read
 * from the last, so n pointers are followed. */
static void pointer_chain(struct pb *m, size_t n)
{
    MSG(m, "\x01x\x00");
    size_t prev = 12;
    for (size_t i = 0; i < n; i++) {
        size_t at = put_be16(m, (uint16_t)(0xc000 | prev));
        prev = at;
    }
}

static void test_pointer_chain_limit(void **state)
{
    (void)state;
    struct pb m;
    char out[DNS_NAME_MAX];
    size_t end;
    pointer_chain(&m, DNS_MAX_POINTERS);
    size_t last = m.len - 2;
    assert_int_equal(read_name(&m, last, &end, out, sizeof out), DNS_NAME_OK);
    assert_string_equal(out, "x");
    assert_int_equal(end, last + 2);
    pointer_chain(&m, DNS_MAX_POINTERS + 1);
    assert_int_equal(read_name(&m, m.len - 2, &end, out, sizeof out), DNS_NAME_MALFORMED);
}

static void test_truncated_names(void **state)
{
    (void)state;
    static const struct {
        const char *bytes;
        size_t n;
    } cases[] = {
        {"\x03ww", 3},      /* label runs past the end */
        {"\x03www", 4},     /* no terminating zero */
        {"\x03www\x00", 0}, /* nothing at all */
        {"\xc0", 1},        /* pointer cut in half */
        {"\x03www\xc0", 5},
        {"\xc0\xff", 2}, /* pointer past the end */
        {"\x01"
         "a\xc3\xff",
         4}, /* pointer far past the end */
        {"\x3f"
         "abc",
         4},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pb m;
        char out[DNS_NAME_MAX];
        size_t end = 12345;
        msg(&m, cases[i].bytes, cases[i].n);
        assert_int_equal(read_name(&m, 12, &end, out, sizeof out), DNS_NAME_TRUNCATED);
        assert_int_equal(end, 12); /* *pos untouched on failure */
        assert_true(strlen(out) < sizeof out);
    }
}

static void test_extended_label_types(void **state)
{
    (void)state;
    struct pb m;
    char out[DNS_NAME_MAX];
    size_t end;
    MSG(&m, "\x41\x00\x00");
    assert_int_equal(read_name(&m, 12, &end, out, sizeof out), DNS_NAME_MALFORMED);
    MSG(&m, "\x02"
            "ab\x80\x00");
    assert_int_equal(read_name(&m, 12, &end, out, sizeof out), DNS_NAME_MALFORMED);
}

/* Labels of the given sizes ('a', 'b', ... repeated), then the root. */
static void long_name(struct pb *m, const size_t *labels, size_t n, char *expect)
{
    pb_init(m);
    put_fill(m, 0, 12);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        put_u8(m, (uint8_t)labels[i]);
        put_fill(m, (uint8_t)('a' + i), labels[i]);
        if (expect) {
            if (i)
                expect[o++] = '.';
            memset(expect + o, 'a' + (int)i, labels[i]);
            o += labels[i];
        }
    }
    put_u8(m, 0);
    if (expect)
        expect[o] = '\0';
}

static void test_name_length_limit(void **state)
{
    (void)state;
    struct pb m;
    char out[DNS_NAME_MAX], expect[DNS_NAME_MAX];
    size_t end;
    /* 4 + 63 * 3 + 61 + 1 = 255 bytes on the wire: the longest legal name */
    static const size_t ok[] = {63, 63, 63, 61};
    long_name(&m, ok, 4, expect);
    assert_int_equal(m.len - 12, 255);
    assert_int_equal(read_name(&m, 12, &end, out, sizeof out), DNS_NAME_OK);
    assert_int_equal(strlen(out), 253);
    assert_string_equal(out, expect);
    assert_int_equal(end, m.len);

    static const size_t too_long[] = {63, 63, 63, 62};
    long_name(&m, too_long, 4, NULL);
    assert_int_equal(read_name(&m, 12, &end, out, sizeof out), DNS_NAME_MALFORMED);
    static const size_t many[] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    long_name(&m, many, 128, NULL); /* 128 * 2 + 1 = 257 */
    assert_int_equal(read_name(&m, 12, &end, out, sizeof out), DNS_NAME_MALFORMED);

    /* too long only once a pointer is followed */
    static const size_t part[] = {63, 63, 63};
    long_name(&m, part, 3, NULL); /* 12..205 */
    size_t second = put_u8(&m, 63);
    put_fill(&m, 'z', 63);
    put_be16(&m, 0xc000 | 12); /* 64 + 193 = 257 */
    assert_int_equal(read_name(&m, 12, &end, out, sizeof out), DNS_NAME_OK);
    assert_int_equal(read_name(&m, second, &end, out, sizeof out), DNS_NAME_MALFORMED);
}

static void test_escaping(void **state)
{
    (void)state;
    static const struct {
        const char *bytes;
        size_t n;
        const char *text;
    } cases[] = {
        {"\x03"
         "a.b\x00",
         5, "a\\.b"},
        {"\x03"
         "a.b\x02"
         "cd\x00",
         8, "a\\.b.cd"},
        {"\x02\x01\x7f\x00", 4, "\\001\\127"},
        {"\x01\x00\x00", 3, "\\000"},
        {"\x04"
         "a\\bc\x00",
         6, "a\\\\bc"},
        {"\x07"
         "my host\x00",
         9, "my host"},
        {"\x05\xc3\xa9t\xc3\xa9\x00", 7, "\xc3\xa9t\xc3\xa9"}, /* été */
        {"\x04\xf0\x9f\x98\x80\x00", 6, "\xf0\x9f\x98\x80"},   /* U+1F600 */
        {"\x03\xe2\x82\xac\x00", 5, "\xe2\x82\xac"},           /* € */
        {"\x01\xc3\x00", 3, "\\195"},                          /* cut sequence */
        {"\x02\xc0\xaf\x00", 4, "\\192\\175"},                 /* overlong */
        {"\x03\xed\xa0\x80\x00", 5, "\\237\\160\\128"},        /* surrogate */
        {"\x01\xff\x00", 3, "\\255"},
        {"\x02"
         "A-\x02_z\x00",
         7, "A-._z"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pb m;
        char out[DNS_NAME_MAX];
        size_t end;
        msg(&m, cases[i].bytes, cases[i].n);
        assert_int_equal(read_name(&m, 12, &end, out, sizeof out), DNS_NAME_OK);
        assert_string_equal(out, cases[i].text);
        assert_int_equal(end, 12 + cases[i].n);
    }
}

static void test_small_output_buffer(void **state)
{
    (void)state;
    struct pb m;
    char out[32];
    size_t end;
    MSG(&m, "\x03www\x07"
            "example\x03"
            "com\x00");
    memset(out, 'Q', sizeof out);
    assert_int_equal(read_name(&m, 12, &end, out, 8), DNS_NAME_OK);
    assert_int_equal(end, 12 + 17); /* the wire position does not depend on out */
    assert_true(strlen(out) < 8);
    assert_int_equal(strncmp(out, "www.example.com", strlen(out)), 0);
    assert_int_equal(out[8], 'Q'); /* nothing written past out_size */

    memset(out, 'Q', sizeof out);
    assert_int_equal(read_name(&m, 12, &end, out, 1), DNS_NAME_OK);
    assert_string_equal(out, "");
    assert_int_equal(out[1], 'Q');

    memset(out, 'Q', sizeof out);
    assert_int_equal(read_name(&m, 12, &end, out, 0), DNS_NAME_OK);
    assert_int_equal(out[0], 'Q');

    /* an escape is never cut in half */
    MSG(&m, "\x02\x01\x01\x00");
    memset(out, 'Q', sizeof out);
    assert_int_equal(read_name(&m, 12, &end, out, 6), DNS_NAME_OK);
    assert_string_equal(out, "\\001");
}

/* ---- message decoding ---- */

static void test_query(void **state)
{
    (void)state;
    struct pb q, b;
    struct layout lay;
    struct packet pkt;
    pb_init(&q);
    put_hex(&q, "a1b2 0120 0001 0000 0000 0001");
    put_hex(&q, "03777777 076578616d706c65 03636f6d 00 001c 0001"); /* www.example.com AAAA */
    put_hex(&q, "00 0029 1000 0000 0000 0000");                     /* OPT */
    build_udp4(&b, 51000, 53, q.d, q.len, &lay);
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    assert_int_equal(pkt.layers, BIT(LAYER_ETH) | BIT(LAYER_IP4) | BIT(LAYER_UDP) | BIT(LAYER_DNS));
    assert_int_equal(pkt.truncated | pkt.malformed, 0);
    ASSERT_LAYER(&pkt, LAYER_DNS, d, lay.payload, q.len);
    assert_false(pkt.dns.over_tcp);
    assert_int_equal(pkt.dns.tid, 0xa1b2);
    assert_int_equal(pkt.dns.flags, 0x0120);
    assert_int_equal(pkt.dns.qdcount, 1);
    assert_int_equal(pkt.dns.ancount, 0);
    assert_int_equal(pkt.dns.nscount, 0);
    assert_int_equal(pkt.dns.arcount, 1);
    assert_true(pkt.dns.has_question);
    assert_string_equal(pkt.dns.qname, "www.example.com");
    assert_int_equal(pkt.dns.qtype, 28);
    assert_int_equal(pkt.dns.qclass, 1);
    assert_int_equal(pkt.dns.answers_parsed, 0);
    free(d);
}

/* www.example.com CNAME web.example.com, two A records for it, OPT. */
static void put_response(struct pb *r)
{
    pb_init(r);
    put_hex(r, "beef 8180 0001 0003 0000 0001");
    put_hex(r, "03777777 076578616d706c65 03636f6d 00 0001 0001");
    put_hex(r, "c00c 0005 0001 0000012c 0006 03776562 c010");
    put_hex(r, "c02d 0001 0001 0000012c 0004 5db8d822");
    put_hex(r, "c02d 0001 0001 0000012c 0004 5db8d823");
    put_hex(r, "00 0029 1000 0000 0000 0000");
}

static void test_response(void **state)
{
    (void)state;
    struct pb r, b;
    struct layout lay;
    struct packet pkt;
    put_response(&r);
    build_udp6(&b, 53, 51000, r.d, r.len, &lay);
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    assert_int_equal(pkt.truncated | pkt.malformed, 0);
    ASSERT_LAYER(&pkt, LAYER_DNS, d, lay.payload, r.len);
    assert_int_equal(pkt.dns.tid, 0xbeef);
    assert_int_equal(pkt.dns.flags, 0x8180);
    assert_int_equal(pkt.dns.ancount, 3);
    assert_string_equal(pkt.dns.qname, "www.example.com");
    assert_int_equal(pkt.dns.qtype, 1);
    assert_int_equal(pkt.dns.answers_parsed, 3);
    free(d);
}

static void test_response_records_run_past_end(void **state)
{
    (void)state;
    struct pb r, b;
    struct layout lay;
    struct packet pkt;
    put_response(&r);
    r.len -= 11 + 16 + 2; /* drop OPT, last A record and 2 bytes of the one before */
    build_udp4(&b, 53, 51000, r.d, r.len, &lay);
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    ASSERT_LAYER(&pkt, LAYER_DNS, d, lay.payload, r.len);
    assert_true((pkt.truncated | pkt.malformed) & BIT(LAYER_DNS));
    assert_int_equal(pkt.dns.answers_parsed, 1);
    assert_string_equal(pkt.dns.qname, "www.example.com");
    free(d);

    /* more answers announced than present */
    put_response(&r);
    set_be16(&r, 6, 9);
    build_udp4(&b, 53, 51000, r.d, r.len, &lay);
    d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    assert_true((pkt.truncated | pkt.malformed) & BIT(LAYER_DNS));
    free(d);
}

static void test_malformed_names_in_message(void **state)
{
    (void)state;
    struct pb r, b;
    struct layout lay;
    struct packet pkt;
    /* answer name loops */
    pb_init(&r);
    put_hex(&r, "0001 8180 0001 0001 0000 0000");
    put_hex(&r, "01610000010001");                        /* a. A IN */
    put_hex(&r, "c013 0001 0001 00000001 0004 01020304"); /* 19 -> itself */
    build_udp4(&b, 53, 51000, r.d, r.len, &lay);
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    assert_true(pkt.malformed & BIT(LAYER_DNS));
    assert_string_equal(pkt.dns.qname, "a");
    assert_int_equal(pkt.dns.answers_parsed, 0);
    free(d);

    /* second question malformed: the first is still kept */
    pb_init(&r);
    put_hex(&r, "0002 0100 0002 0000 0000 0000");
    put_hex(&r, "0162 00 0010 0001"); /* b. TXT IN */
    put_hex(&r, "4100 0001 0001");
    build_udp4(&b, 40000, 53, r.d, r.len, &lay);
    d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    assert_true(pkt.malformed & BIT(LAYER_DNS));
    assert_true(pkt.dns.has_question);
    assert_string_equal(pkt.dns.qname, "b");
    assert_int_equal(pkt.dns.qtype, 16);
    free(d);

    /* question type and class cut */
    pb_init(&r);
    put_hex(&r, "0003 0100 0001 0000 0000 0000 0163 00 00");
    build_udp4(&b, 40000, 53, r.d, r.len, &lay);
    d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    assert_true((pkt.truncated | pkt.malformed) & BIT(LAYER_DNS));
    free(d);
}

static void test_no_question_and_short_message(void **state)
{
    (void)state;
    struct pb r, b;
    struct layout lay;
    struct packet pkt;
    pb_init(&r);
    put_hex(&r, "0004 2800 0000 0000 0000 0000");
    build_udp4(&b, 40000, 53, r.d, r.len, &lay);
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    ASSERT_LAYER(&pkt, LAYER_DNS, d, lay.payload, 12);
    assert_false(pkt.dns.has_question);
    assert_string_equal(pkt.dns.qname, "");
    assert_int_equal(pkt.truncated | pkt.malformed, 0);
    free(d);

    for (size_t n = 0; n < 12; n++) {
        build_udp4(&b, 40000, 53, r.d, n, &lay);
        d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
        assert_false(packet_has(&pkt, LAYER_DNS));
        assert_true(pkt.truncated & BIT(LAYER_DNS));
        free(d);
    }
}

static void test_root_query(void **state)
{
    (void)state;
    struct pb r, b;
    struct layout lay;
    struct packet pkt;
    pb_init(&r);
    put_hex(&r, "0005 0000 0001 0000 0000 0000 00 0002 0001"); /* . NS IN */
    build_udp4(&b, 40000, 53, r.d, r.len, &lay);
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    assert_true(pkt.dns.has_question);
    assert_string_equal(pkt.dns.qname, ".");
    assert_int_equal(pkt.dns.qtype, 2);
    free(d);
}

static void test_mdns(void **state)
{
    (void)state;
    struct pb q, b;
    struct layout lay;
    struct packet pkt;
    /* QU question for _services._dns-sd._udp.local PTR */
    pb_init(&q);
    put_hex(&q, "0000 0000 0001 0000 0000 0000");
    put_hex(&q, "095f7365727669636573 075f646e732d7364 045f756470 056c6f63616c 00");
    put_hex(&q, "000c 8001");
    build_udp4(&b, 5353, 5353, q.d, q.len, &lay);
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    assert_int_equal(pkt.layers,
                     BIT(LAYER_ETH) | BIT(LAYER_IP4) | BIT(LAYER_UDP) | BIT(LAYER_MDNS));
    ASSERT_LAYER(&pkt, LAYER_MDNS, d, lay.payload, q.len);
    assert_string_equal(pkt.dns.qname, "_services._dns-sd._udp.local");
    assert_int_equal(pkt.dns.qtype, 12);
    assert_int_equal(pkt.dns.qclass, 0x8001);
    assert_false(pkt.dns.over_tcp);
    assert_int_equal(pkt.truncated | pkt.malformed, 0);
    free(d);

    /* announcement over IPv6: no question, one answer with a name holding
     * a dot, a space and UTF-8 */
    pb_init(&q);
    put_hex(&q, "0000 8400 0000 0001 0000 0000");
    put_hex(&q, "0a4d7920702e6e7465c3a9 045f697070 045f746370 056c6f63616c 00");
    put_hex(&q, "0010 8001 00001194 0001 00");
    build_udp6(&b, 5353, 5353, q.d, q.len, &lay);
    d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    ASSERT_LAYER(&pkt, LAYER_MDNS, d, lay.payload, q.len);
    assert_false(pkt.dns.has_question);
    assert_int_equal(pkt.dns.flags, 0x8400);
    assert_int_equal(pkt.dns.answers_parsed, 1);
    assert_int_equal(pkt.truncated | pkt.malformed, 0);
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_name),
        cmocka_unit_test(test_root_name),
        cmocka_unit_test(test_compression),
        cmocka_unit_test(test_pointer_loops),
        cmocka_unit_test(test_pointer_chain_limit),
        cmocka_unit_test(test_truncated_names),
        cmocka_unit_test(test_extended_label_types),
        cmocka_unit_test(test_name_length_limit),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_small_output_buffer),
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_response),
        cmocka_unit_test(test_response_records_run_past_end),
        cmocka_unit_test(test_malformed_names_in_message),
        cmocka_unit_test(test_no_question_and_short_message),
        cmocka_unit_test(test_root_query),
        cmocka_unit_test(test_mdns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
