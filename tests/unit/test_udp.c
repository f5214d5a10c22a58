/*
 * test_udp.c - UDP: fields, the length field against the IP payload, and
 * the port dispatch to DNS, mDNS and DHCP.
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
    build_udp4(&b, 33333, 44444, "payload!", 8, &lay);
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    assert_int_equal(pkt.layers, BIT(LAYER_ETH) | BIT(LAYER_IP4) | BIT(LAYER_UDP));
    assert_int_equal(pkt.truncated | pkt.malformed, 0);
    ASSERT_LAYER(&pkt, LAYER_UDP, d, 34, 8);
    assert_int_equal(pkt.udp.source, 33333);
    assert_int_equal(pkt.udp.dest, 44444);
    assert_int_equal(pkt.udp.len, 16);
    assert_int_equal(pkt.udp.check, PB_UDP_SUM);
    assert_ptr_equal(pkt.udp.payload.p, d + 42);
    assert_int_equal(pkt.udp.payload.len, 8);
    assert_false(pkt.not_decoded);
    free(d);
}

/* The length field against an IPv4 payload of 8 + 8 bytes. */
static void test_length_field_variants(void **state)
{
    (void)state;
    static const struct {
        uint16_t len;
        bool malformed;
        uint32_t payload_len;
    } cases[] = {
        {16, false, 8}, /* exact */
        {8, false, 0},  /* header only, trailing bytes ignored */
        {12, false, 4}, /* shorter than the IP payload: the rest is not UDP */
        {7, true, 8},   /* below the header size */
        {0, true, 8},   /* 0 is only legal for IPv6 jumbograms */
        {17, true, 8},  /* longer than the unfragmented IP payload */
        {0xffff, true, 8},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pb b;
        struct layout lay;
        struct packet pkt;
        build_udp4(&b, 1000, 2000, "ABCDEFGH", 8, &lay);
        set_be16(&b, lay.l4 + 4, cases[i].len);
        uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
        ASSERT_LAYER(&pkt, LAYER_UDP, d, 34, 8);
        assert_int_equal(pkt.udp.len, cases[i].len);
        assert_int_equal(!!(pkt.malformed & BIT(LAYER_UDP)), cases[i].malformed);
        assert_false(pkt.truncated & BIT(LAYER_UDP));
        assert_ptr_equal(pkt.udp.payload.p, d + 42);
        assert_int_equal(pkt.udp.payload.len, cases[i].payload_len);
        free(d);
    }
}

static void test_length_beyond_capture_is_truncation(void **state)
{
    (void)state;
    struct pb b;
    struct layout lay;
    struct packet pkt;
    build_udp4(&b, 1000, 2000, "ABCDEFGHIJKLMNOP", 16, &lay);
    /* IPv4 total length intact, the snapshot length cut the datagram */
    for (size_t cap = 42; cap < b.len; cap++) {
        uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, cap);
        ASSERT_LAYER(&pkt, LAYER_UDP, d, 34, 8);
        assert_true(pkt.truncated & BIT(LAYER_UDP));
        assert_false(pkt.malformed & BIT(LAYER_UDP));
        assert_int_equal(pkt.udp.payload.len, cap - 42);
        free(d);
    }
    /* the same over IPv6 */
    build_udp6(&b, 1000, 2000, "ABCDEFGHIJKLMNOP", 16, &lay);
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len - 5);
    ASSERT_LAYER(&pkt, LAYER_UDP, d, 54, 8);
    assert_true(pkt.truncated & BIT(LAYER_UDP));
    assert_false(pkt.malformed & BIT(LAYER_UDP));
    free(d);
    /* header cut */
    for (size_t cap = 54; cap < 62; cap++) {
        d = decode_pb(&pkt, DLT_EN10MB, &b, cap);
        assert_false(packet_has(&pkt, LAYER_UDP));
        assert_true(pkt.truncated & BIT(LAYER_UDP));
        free(d);
    }
}

static void test_length_beyond_first_fragment(void **state)
{
    (void)state;
    struct pb b;
    struct layout lay;
    struct packet pkt;
    build_udp4(&b, 1000, 2000, "ABCDEFGH", 8, &lay);
    set_be16(&b, lay.l4 + 4, 1480);
    set_be16(&b, lay.ip + 6, 0x2000); /* MF: the rest is in later fragments */
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    ASSERT_LAYER(&pkt, LAYER_UDP, d, 34, 8);
    assert_int_equal(pkt.udp.len, 1480);
    assert_false(pkt.malformed & BIT(LAYER_UDP));
    assert_int_equal(pkt.udp.payload.len, 8);
    free(d);
}

static const char mini_dns[] = "\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00";

static void test_port_dispatch(void **state)
{
    (void)state;
    static const struct {
        uint16_t sport, dport;
        uint32_t layer; /* 0: none */
    } cases[] = {
        {40000, 53, BIT(LAYER_DNS)},
        {53, 40000, BIT(LAYER_DNS)},
        {5353, 5353, BIT(LAYER_MDNS)},
        {40000, 5353, BIT(LAYER_MDNS)},
        {5353, 53, BIT(LAYER_MDNS)},
        {53, 53, BIT(LAYER_DNS)},
        {68, 67, BIT(LAYER_DHCP)},
        {67, 68, BIT(LAYER_DHCP)},
        {67, 67, BIT(LAYER_DHCP)},
        {67, 40000, 0},
        {40000, 68, 0},
        {54, 52, 0},
    };
    struct pb pl;
    pb_init(&pl);
    put_bytes(&pl, mini_dns, 12);
    put_fill(&pl, 0, 300); /* long enough for a BOOTP fixed part too */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pb b;
        struct layout lay;
        struct packet pkt;
        build_udp4(&b, cases[i].sport, cases[i].dport, pl.d, pl.len, &lay);
        uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
        uint32_t app = pkt.layers & (BIT(LAYER_DNS) | BIT(LAYER_MDNS) | BIT(LAYER_DHCP));
        assert_int_equal(app, cases[i].layer);
        if (app) {
            int l = __builtin_ctz(app);
            ASSERT_LAYER(&pkt, l, d, 42, pl.len);
        }
        free(d);
    }
}

/* decode_packet_flow(): the same link, IP and UDP fields and flow hash as
 * decode_packet(), no application layer, no header hashes. */
static void test_flow_only(void **state)
{
    (void)state;
    struct pb b;
    struct layout lay;
    build_udp4(&b, 40000, 53, mini_dns, 12, &lay);
    struct packet full, flow;
    uint8_t *d = decode_pb(&full, DLT_EN10MB, &b, b.len);
    assert_true(packet_has(&full, LAYER_DNS));
    memset(&flow, 0xa5, sizeof flow);
    decode_packet_flow(&flow, DLT_EN10MB, d, (uint32_t)b.len, (uint32_t)b.len, PB_TS);
    assert_true(flow.flow_only);
    assert_false(full.flow_only);
    assert_int_equal(flow.layers, full.layers & ~BIT(LAYER_DNS));
    assert_int_equal(flow.udp.source, 40000);
    assert_int_equal(flow.udp.dest, 53);
    assert_memory_equal(flow.ip4.src, full.ip4.src, 4);
    assert_ptr_equal(flow.ref[LAYER_UDP].hdr, full.ref[LAYER_UDP].hdr);
    assert_int_equal(packet_flow_hash(&flow), packet_flow_hash(&full));
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_length_field_variants),
        cmocka_unit_test(test_length_beyond_capture_is_truncation),
        cmocka_unit_test(test_length_beyond_first_fragment),
        cmocka_unit_test(test_flow_only),
        cmocka_unit_test(test_port_dispatch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
