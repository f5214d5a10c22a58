/*
 * test_tcp.c - TCP: fixed fields, options, bad data offset, every flag
 * bit, payload bounds, DNS over TCP behind its 2-byte length prefix.
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

#include "decode/packet.h"
#include "pktbuild.h"

#define BIT(l) (1u << (l))

static void test_fields(void **state)
{
    (void)state;
    struct pb b;
    struct layout lay;
    struct packet pkt;
    build_tcp4(&b, 51234, 443, 0x18, NULL, NULL, "hello", 5, &lay);
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    assert_int_equal(pkt.layers, BIT(LAYER_ETH) | BIT(LAYER_IP4) | BIT(LAYER_TCP));
    assert_int_equal(pkt.truncated | pkt.malformed, 0);
    ASSERT_LAYER(&pkt, LAYER_TCP, d, 34, 20);
    assert_int_equal(pkt.tcp.source, 51234);
    assert_int_equal(pkt.tcp.dest, 443);
    assert_int_equal(pkt.tcp.seq, PB_TCP_SEQ);
    assert_int_equal(pkt.tcp.ack_seq, PB_TCP_ACK);
    assert_int_equal(pkt.tcp.doff, 5);
    assert_int_equal(pkt.tcp.res1, 0);
    assert_int_equal(pkt.tcp.flags, 0x18);
    assert_int_equal(pkt.tcp.window, PB_TCP_WIN);
    assert_int_equal(pkt.tcp.check, PB_TCP_SUM);
    assert_int_equal(pkt.tcp.urg_ptr, PB_TCP_URP);
    assert_ptr_equal(pkt.tcp.payload.p, d + 54);
    assert_int_equal(pkt.tcp.payload.len, 5);
    free(d);
}

static void test_options(void **state)
{
    (void)state;
    static const char *const opts[] = {
        "020405b4",                                       /* MSS */
        "020405b4 0402 080a 11223344 00000000 01 030307", /* SYN: MSS SACKOK TS NOP WS */
        "0101080a 11223344 55667788",                     /* NOP NOP TS */
        ("01010522 00000001 00000002 00000003 00000004 00000005 00000006 00000007 00000008"
         " 01010101"), /* SACK with 4 blocks: 40 bytes, doff 15 */
    };
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        struct pb b;
        struct layout lay;
        struct packet pkt;
        build_tcp4(&b, 1, 2, 0x02, NULL, opts[i], "zz", 2, &lay);
        size_t hlen = lay.payload - lay.l4;
        uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
        ASSERT_LAYER(&pkt, LAYER_TCP, d, 34, hlen);
        assert_int_equal(pkt.tcp.doff, hlen / 4);
        assert_ptr_equal(pkt.tcp.payload.p, d + lay.payload);
        assert_int_equal(pkt.tcp.payload.len, 2);
        assert_int_equal(pkt.truncated | pkt.malformed, 0);
        free(d);

        /* options cut: what was captured, flagged */
        d = decode_pb(&pkt, DLT_EN10MB, &b, lay.payload - 1);
        ASSERT_LAYER(&pkt, LAYER_TCP, d, 34, hlen - 1);
        assert_true(pkt.truncated & BIT(LAYER_TCP));
        free(d);
    }
}

static void test_data_offset_below_five(void **state)
{
    (void)state;
    for (uint8_t doff = 0; doff < 5; doff++) {
        struct pb b;
        struct layout lay;
        struct packet pkt;
        build_tcp4(&b, 1, 53, 0x18, NULL, NULL, "\x00\x11payload-payload", 17, &lay);
        set_u8(&b, lay.l4 + 12, (uint8_t)(doff << 4));
        uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
        ASSERT_LAYER(&pkt, LAYER_TCP, d, 34, 20);
        assert_int_equal(pkt.tcp.doff, doff);
        assert_true(pkt.malformed & BIT(LAYER_TCP));
        assert_int_equal(pkt.tcp.payload.len, 0);
        assert_false(packet_has(&pkt, LAYER_DNS));
        free(d);
    }
}

static void test_data_offset_beyond_segment(void **state)
{
    (void)state;
    /* doff 15 but only 20 header bytes and 4 payload bytes in the packet */
    struct pb b;
    struct layout lay;
    struct packet pkt;
    build_tcp4(&b, 1, 2, 0x10, NULL, NULL, "abcd", 4, &lay);
    set_u8(&b, lay.l4 + 12, 0xf0);
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    assert_true(packet_has(&pkt, LAYER_TCP));
    assert_int_equal(pkt.ref[LAYER_TCP].len, 24);
    assert_true((pkt.truncated | pkt.malformed) & BIT(LAYER_TCP));
    free(d);
}

static void test_flags(void **state)
{
    (void)state;
    static const uint8_t flags[] = {0x01, 0x02, 0x04, 0x08, 0x10, 0x20,
                                    0x40, 0x80, 0xc2, 0x52, 0xff, 0x00};
    for (size_t i = 0; i < sizeof flags; i++) {
        struct pb b;
        struct layout lay;
        struct packet pkt;
        build_tcp4(&b, 1, 2, flags[i], NULL, NULL, NULL, 0, &lay);
        uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
        assert_int_equal(pkt.tcp.flags, flags[i]);
        assert_int_equal(pkt.tcp.res1, 0);
        free(d);
    }
    /* the 4 bits after doff: AE (accurate ECN, ex-NS) is the lowest */
    for (uint8_t res = 0; res < 16; res++) {
        struct pb b;
        struct layout lay;
        struct packet pkt;
        build_tcp4(&b, 1, 2, 0x10, NULL, NULL, NULL, 0, &lay);
        set_u8(&b, lay.l4 + 12, (uint8_t)(5 << 4 | res));
        uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
        assert_int_equal(pkt.tcp.doff, 5);
        assert_int_equal(pkt.tcp.res1, res);
        assert_int_equal(pkt.tcp.flags, 0x10);
        assert_int_equal(pkt.malformed, 0);
        free(d);
    }
}

static void test_header_cut(void **state)
{
    (void)state;
    struct pb b;
    struct layout lay;
    struct packet pkt;
    build_tcp4(&b, 1, 2, 0x10, NULL, NULL, NULL, 0, &lay);
    for (size_t cap = 34; cap < 54; cap++) {
        uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, cap);
        assert_false(packet_has(&pkt, LAYER_TCP));
        assert_true(pkt.truncated & BIT(LAYER_TCP));
        free(d);
    }
}

/* A DNS query for "example.com" A IN, 29 bytes. */
static const char dns_query[] = "\xbe\xef\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
                                "\x07"
                                "example"
                                "\x03"
                                "com"
                                "\x00"
                                "\x00\x01\x00\x01";
#define DNS_QUERY_LEN (sizeof dns_query - 1)

static void test_dns_over_tcp(void **state)
{
    (void)state;
    static const uint16_t ports[][2] = {{40000, 53}, {53, 40000}};
    for (int i = 0; i < 2; i++) {
        struct pb pl, b;
        struct layout lay;
        struct packet pkt;
        pb_init(&pl);
        put_be16(&pl, DNS_QUERY_LEN);
        put_bytes(&pl, dns_query, DNS_QUERY_LEN);
        build_tcp4(&b, ports[i][0], ports[i][1], 0x18, NULL, "0101080a0000000100000002", pl.d,
                   pl.len, &lay);
        uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
        ASSERT_LAYER(&pkt, LAYER_TCP, d, 34, 32);
        assert_int_equal(pkt.tcp.payload.len, 2 + DNS_QUERY_LEN);
        ASSERT_LAYER(&pkt, LAYER_DNS, d, lay.payload + 2, DNS_QUERY_LEN);
        assert_false(packet_has(&pkt, LAYER_MDNS));
        assert_true(pkt.dns.over_tcp);
        assert_int_equal(pkt.dns.tid, 0xbeef);
        assert_int_equal(pkt.dns.qdcount, 1);
        assert_string_equal(pkt.dns.qname, "example.com");
        assert_int_equal(pkt.truncated | pkt.malformed, 0);
        free(d);
    }
}

static void test_dns_over_tcp_length_prefix_bounds(void **state)
{
    (void)state;
    struct pb pl, b;
    struct layout lay;
    struct packet pkt;
    /* two messages in one segment: the first one only, by its prefix */
    pb_init(&pl);
    put_be16(&pl, DNS_QUERY_LEN);
    put_bytes(&pl, dns_query, DNS_QUERY_LEN);
    put_be16(&pl, DNS_QUERY_LEN);
    put_bytes(&pl, dns_query, DNS_QUERY_LEN);
    build_tcp4(&b, 40000, 53, 0x18, NULL, NULL, pl.d, pl.len, &lay);
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    ASSERT_LAYER(&pkt, LAYER_DNS, d, lay.payload + 2, DNS_QUERY_LEN);
    assert_int_equal(pkt.truncated | pkt.malformed, 0);
    free(d);

    /* a prefix shorter than a DNS header */
    pb_init(&pl);
    put_be16(&pl, 5);
    put_bytes(&pl, dns_query, DNS_QUERY_LEN);
    build_tcp4(&b, 40000, 53, 0x18, NULL, NULL, pl.d, pl.len, &lay);
    d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    assert_false(packet_has(&pkt, LAYER_DNS));
    assert_true((pkt.truncated | pkt.malformed) & BIT(LAYER_DNS));
    free(d);

    /* no DNS on other ports, nor in a bare ACK on port 53 */
    pb_init(&pl);
    put_be16(&pl, DNS_QUERY_LEN);
    put_bytes(&pl, dns_query, DNS_QUERY_LEN);
    build_tcp4(&b, 40000, 54, 0x18, NULL, NULL, pl.d, pl.len, &lay);
    d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    assert_int_equal(pkt.layers, BIT(LAYER_ETH) | BIT(LAYER_IP4) | BIT(LAYER_TCP));
    free(d);
    build_tcp4(&b, 40000, 53, 0x10, NULL, NULL, NULL, 0, &lay);
    d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    assert_int_equal(pkt.layers, BIT(LAYER_ETH) | BIT(LAYER_IP4) | BIT(LAYER_TCP));
    assert_int_equal(pkt.truncated | pkt.malformed, 0);
    free(d);
}

static void test_payload_bounded_by_ip_length(void **state)
{
    (void)state;
    struct pb b;
    struct layout lay;
    struct packet pkt;
    build_tcp4(&b, 1, 2, 0x18, NULL, NULL, "0123456789", 10, &lay);
    put_fill(&b, 0, 4); /* trailer after ip_len */
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    assert_int_equal(pkt.tcp.payload.len, 10);
    free(d);
    /* snapshot cut inside the payload: the payload is what was captured */
    d = decode_pb(&pkt, DLT_EN10MB, &b, lay.payload + 3);
    ASSERT_LAYER(&pkt, LAYER_TCP, d, 34, 20);
    assert_int_equal(pkt.tcp.payload.len, 3);
    assert_true(pkt.truncated & BIT(LAYER_IP4));
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_data_offset_below_five),
        cmocka_unit_test(test_data_offset_beyond_segment),
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_header_cut),
        cmocka_unit_test(test_dns_over_tcp),
        cmocka_unit_test(test_dns_over_tcp_length_prefix_bounds),
        cmocka_unit_test(test_payload_bounded_by_ip_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
