/*
 * test_ip4.c - IPv4: fixed fields, options, fragments, bad header and
 * total lengths, Ethernet padding, truncation.
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
    build_udp4(&b, 5000, 6000, "0123456789", 10, &lay);
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    assert_int_equal(pkt.layers, BIT(LAYER_ETH) | BIT(LAYER_IP4) | BIT(LAYER_UDP));
    assert_int_equal(pkt.truncated | pkt.malformed, 0);
    ASSERT_LAYER(&pkt, LAYER_IP4, d, 14, 20);
    assert_int_equal(pkt.ip4.v, 4);
    assert_int_equal(pkt.ip4.hl, 5);
    assert_int_equal(pkt.ip4.tos, PB_IP4_TOS);
    assert_int_equal(pkt.ip4.len, 20 + 8 + 10);
    assert_int_equal(pkt.ip4.id, PB_IP4_ID);
    assert_int_equal(pkt.ip4.off, PB_IP4_OFF);
    assert_int_equal(pkt.ip4.ttl, PB_IP4_TTL);
    assert_int_equal(pkt.ip4.p, 17);
    assert_int_equal(pkt.ip4.sum, PB_IP4_SUM);
    assert_memory_equal(pkt.ip4.src, PB_IP4_SRC, 4);
    assert_memory_equal(pkt.ip4.dst, PB_IP4_DST, 4);
    ASSERT_LAYER(&pkt, LAYER_UDP, d, 34, 8);
    free(d);
}

static void test_options(void **state)
{
    (void)state;
    static const char *const opts[] = {
        "94040000",                 /* router alert */
        "01010100",                 /* NOP NOP NOP EOL */
        "830b04c0a80101c0a8010200", /* loose source route, 11 bytes + EOL */
        "44"
        "28"
        "05"
        "00"
        "00000000 00000000 00000000 00000000 00000000"
        "00000000 00000000 00000000 00000000", /* timestamp, 40 bytes: hl 15 */
    };
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        struct pb b;
        struct layout lay;
        struct packet pkt;
        build_tcp4(&b, 1234, 80, 0x02, opts[i], NULL, NULL, 0, &lay);
        size_t hlen = lay.l4 - lay.ip;
        uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
        ASSERT_LAYER(&pkt, LAYER_IP4, d, 14, hlen);
        assert_int_equal(pkt.ip4.hl, hlen / 4);
        assert_int_equal(pkt.ip4.len, hlen + 20);
        assert_int_equal(pkt.truncated | pkt.malformed, 0);
        ASSERT_LAYER(&pkt, LAYER_TCP, d, lay.l4, 20);
        free(d);

        /* cut inside the options: present with what was captured, truncated */
        d = decode_pb(&pkt, DLT_EN10MB, &b, lay.l4 - 1);
        ASSERT_LAYER(&pkt, LAYER_IP4, d, 14, hlen - 1);
        assert_true(pkt.truncated & BIT(LAYER_IP4));
        assert_false(packet_has(&pkt, LAYER_TCP));
        free(d);
    }
}

/* A UDP datagram of 16 payload bytes split into fragments; f is the
 * flags+offset field of this fragment, body what it carries. */
static void build_fragment(struct pb *b, uint16_t f, const char *body_hex)
{
    pb_init(b);
    put_eth(b, 0x0800);
    size_t ip = put_ip4(b, 17, NULL);
    set_be16(b, ip + 6, f);
    put_hex(b, body_hex);
    finish_ip4(b, ip);
}

static void test_fragments(void **state)
{
    (void)state;
    struct pb b;
    struct packet pkt;
    /* first fragment, MF set: the UDP header is there, its length (24)
     * runs into the next fragment, which is not malformation */
    build_fragment(&b, 0x2000, "0401 1f90 0018 0000 6162636465666768");
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    assert_int_equal(pkt.ip4.off, 0x2000);
    ASSERT_LAYER(&pkt, LAYER_IP4, d, 14, 20);
    ASSERT_LAYER(&pkt, LAYER_UDP, d, 34, 8);
    assert_int_equal(pkt.udp.len, 24);
    assert_false(pkt.malformed & BIT(LAYER_UDP));
    free(d);

    /* later fragments carry no UDP header, even if the bytes look like one */
    static const uint16_t later[] = {0x2001, 0x0001, 0x1fff, 0x4000 | 0x0100, 0x3fff};
    for (size_t i = 0; i < sizeof later / sizeof later[0]; i++) {
        build_fragment(&b, later[i], "0401 1f90 0010 0000 6162636465666768");
        d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
        assert_int_equal(pkt.layers, BIT(LAYER_ETH) | BIT(LAYER_IP4));
        ASSERT_LAYER(&pkt, LAYER_IP4, d, 14, 20);
        assert_int_equal(pkt.ip4.off, later[i]);
        assert_int_equal(pkt.truncated | pkt.malformed, 0);
        free(d);
    }

    /* DF alone (offset 0) is no fragment */
    build_fragment(&b, 0x4000, "0401 1f90 0010 0000 6162636465666768");
    d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    assert_true(packet_has(&pkt, LAYER_UDP));
    assert_int_equal(pkt.truncated | pkt.malformed, 0);
    free(d);
}

static void test_bad_header_length(void **state)
{
    (void)state;
    for (uint8_t hl = 0; hl < 5; hl++) {
        struct pb b;
        struct layout lay;
        struct packet pkt;
        build_udp4(&b, 1, 2, "xxxx", 4, &lay);
        set_u8(&b, lay.ip, (uint8_t)(0x40 | hl));
        uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
        ASSERT_LAYER(&pkt, LAYER_IP4, d, 14, 20);
        assert_int_equal(pkt.ip4.hl, hl);
        assert_true(pkt.malformed & BIT(LAYER_IP4));
        assert_int_equal(pkt.layers, BIT(LAYER_ETH) | BIT(LAYER_IP4));
        free(d);
    }
    /* hl larger than the packet: truncated to what is there */
    struct pb b;
    struct layout lay;
    struct packet pkt;
    build_udp4(&b, 1, 2, "xxxx", 4, &lay); /* 32 bytes of IP */
    set_u8(&b, lay.ip, 0x4f);              /* claims 60 */
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    ASSERT_LAYER(&pkt, LAYER_IP4, d, 14, 32);
    assert_true(pkt.truncated & BIT(LAYER_IP4));
    assert_int_equal(pkt.layers, BIT(LAYER_ETH) | BIT(LAYER_IP4));
    free(d);
}

static void test_bad_version(void **state)
{
    (void)state;
    static const uint8_t vhl[] = {0x05, 0x65, 0x55, 0xf5};
    for (size_t i = 0; i < sizeof vhl; i++) {
        struct pb b;
        struct layout lay;
        struct packet pkt;
        build_udp4(&b, 1, 2, "xxxx", 4, &lay);
        set_u8(&b, lay.ip, vhl[i]);
        uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
        /* flagged; stored as its fixed 20 bytes, or not at all */
        assert_true(pkt.malformed & BIT(LAYER_IP4));
        assert_int_equal(pkt.layers & ~BIT(LAYER_IP4), BIT(LAYER_ETH));
        if (packet_has(&pkt, LAYER_IP4)) {
            ASSERT_LAYER(&pkt, LAYER_IP4, d, 14, 20);
            assert_int_equal(pkt.ip4.v, vhl[i] >> 4);
        }
        free(d);
    }
}

static void test_total_length_below_header(void **state)
{
    (void)state;
    static const uint16_t lens[] = {1, 19};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        struct pb b;
        struct layout lay;
        struct packet pkt;
        build_udp4(&b, 1, 2, "xxxx", 4, &lay);
        set_be16(&b, lay.ip + 2, lens[i]);
        uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
        ASSERT_LAYER(&pkt, LAYER_IP4, d, 14, 20);
        assert_int_equal(pkt.ip4.len, lens[i]);
        assert_true(pkt.malformed & BIT(LAYER_IP4));
        assert_int_equal(pkt.layers, BIT(LAYER_ETH) | BIT(LAYER_IP4));
        free(d);
    }
    /* with options: ip_len 23 < hl*4 = 24 */
    struct pb b;
    struct layout lay;
    struct packet pkt;
    build_tcp4(&b, 1, 2, 0x10, "01010101", NULL, NULL, 0, &lay);
    set_be16(&b, lay.ip + 2, 23);
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    ASSERT_LAYER(&pkt, LAYER_IP4, d, 14, 24);
    assert_true(pkt.malformed & BIT(LAYER_IP4));
    assert_false(packet_has(&pkt, LAYER_TCP));
    free(d);
}

static void test_total_length_zero_is_tso(void **state)
{
    (void)state;
    /* a segment captured before the NIC filled the length in (TCP
     * segmentation offload): the payload is what was captured */
    struct pb b;
    struct layout lay;
    struct packet pkt;
    build_tcp4(&b, 1, 2, 0x18, NULL, NULL, "0123456789", 10, &lay);
    set_be16(&b, lay.ip + 2, 0);
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    ASSERT_LAYER(&pkt, LAYER_IP4, d, 14, 20);
    assert_int_equal(pkt.ip4.len, 0);
    assert_int_equal(pkt.truncated | pkt.malformed, 0);
    ASSERT_LAYER(&pkt, LAYER_TCP, d, 34, 20);
    assert_int_equal(pkt.tcp.payload.len, 10);
    free(d);
}

static void test_padding_beyond_total_length(void **state)
{
    (void)state;
    /* 54-byte TCP ACK padded to the 60-byte Ethernet minimum */
    struct pb b;
    struct layout lay;
    struct packet pkt;
    build_tcp4(&b, 443, 50000, 0x10, NULL, NULL, NULL, 0, &lay);
    put_hex(&b, "000000000000");
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    assert_int_equal(pkt.ip4.len, 40);
    ASSERT_LAYER(&pkt, LAYER_TCP, d, 34, 20);
    assert_int_equal(pkt.tcp.payload.len, 0);
    assert_int_equal(pkt.truncated | pkt.malformed, 0);
    free(d);

    /* padding after a DNS query is not part of the DNS message */
    static const char query[] = "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
                                "\x01"
                                "a\x00\x00\x01\x00\x01";
    build_udp4(&b, 40000, 53, query, sizeof query - 1, &lay);
    put_fill(&b, 0xff, 11);
    d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    ASSERT_LAYER(&pkt, LAYER_DNS, d, lay.payload, sizeof query - 1);
    assert_int_equal(pkt.udp.payload.len, sizeof query - 1);
    assert_int_equal(pkt.truncated | pkt.malformed, 0);
    free(d);
}

static void test_truncated(void **state)
{
    (void)state;
    struct pb b;
    struct layout lay;
    struct packet pkt;
    build_udp4(&b, 1, 2, "abcdefgh", 8, &lay);
    /* fixed header cut: the layer is absent and flagged */
    for (size_t cap = 14; cap < 34; cap++) {
        uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, cap);
        assert_int_equal(pkt.layers, BIT(LAYER_ETH));
        assert_int_equal(pkt.truncated, BIT(LAYER_IP4));
        free(d);
    }
    /* payload cut: the header is whole, the IPv4 layer is still flagged */
    for (size_t cap = 34; cap < b.len; cap++) {
        uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, cap);
        ASSERT_LAYER(&pkt, LAYER_IP4, d, 14, 20);
        assert_true(pkt.truncated & BIT(LAYER_IP4));
        assert_int_equal(pkt.ip4.len, 36);
        free(d);
    }
}

static void test_authentication_header(void **state)
{
    (void)state;
    struct pb b;
    struct packet pkt;
    /* IPv4, AH (24 bytes), UDP */
    pb_init(&b);
    put_eth(&b, 0x0800);
    size_t ip = put_ip4(&b, 51, NULL);
    put_hex(&b, "11 04 0000 00001000 00000007 5a5a5a5a5a5a5a5a5a5a5a5a");
    size_t udp = put_udp(&b, 1000, 2000);
    put_hex(&b, "01020304");
    finish_udp(&b, udp);
    finish_ip4(&b, ip);
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    ASSERT_LAYER(&pkt, LAYER_IP4, d, 14, 20);
    assert_int_equal(pkt.ip4.p, 51);
    ASSERT_LAYER(&pkt, LAYER_UDP, d, udp, 8);
    assert_int_equal(pkt.truncated | pkt.malformed, 0);
    for (size_t cap = 34; cap < udp; cap++) {
        free(d);
        d = decode_pb(&pkt, DLT_EN10MB, &b, cap);
        assert_int_equal(pkt.layers, BIT(LAYER_ETH) | BIT(LAYER_IP4));
        assert_true(pkt.truncated & BIT(LAYER_IP4));
    }
    free(d);

    /* AH inside AH is refused */
    pb_init(&b);
    put_eth(&b, 0x0800);
    ip = put_ip4(&b, 51, NULL);
    put_hex(&b, "33 01 0000 00001000 00000007");
    put_hex(&b, "11 01 0000 00001000 00000007");
    put_fill(&b, 0, 8);
    finish_ip4(&b, ip);
    d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    assert_true(pkt.malformed & BIT(LAYER_IP4));
    assert_int_equal(pkt.layers, BIT(LAYER_ETH) | BIT(LAYER_IP4));
    free(d);
}

static void test_other_protocols(void **state)
{
    (void)state;
    static const uint8_t protos[] = {2, 4, 41, 47, 50, 132, 255};
    for (size_t i = 0; i < sizeof protos; i++) {
        struct pb b;
        struct packet pkt;
        pb_init(&b);
        put_eth(&b, 0x0800);
        size_t ip = put_ip4(&b, protos[i], NULL);
        put_fill(&b, 0x45, 40);
        finish_ip4(&b, ip);
        uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
        assert_int_equal(pkt.layers, BIT(LAYER_ETH) | BIT(LAYER_IP4));
        assert_int_equal(pkt.ip4.p, protos[i]);
        assert_true(pkt.not_decoded);
        free(d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_fragments),
        cmocka_unit_test(test_bad_header_length),
        cmocka_unit_test(test_bad_version),
        cmocka_unit_test(test_total_length_below_header),
        cmocka_unit_test(test_total_length_zero_is_tso),
        cmocka_unit_test(test_padding_beyond_total_length),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_authentication_header),
        cmocka_unit_test(test_other_protocols),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
