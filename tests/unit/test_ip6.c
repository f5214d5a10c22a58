/*
 * test_ip6.c - IPv6: the fixed header and the extension header chain
 * (hop-by-hop, routing, fragment, destination options, AH and friends),
 * which together form the hashed IPv6 layer.
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

/* One extension header of type `type` and `len` bytes (a multiple of 8;
 * AH: of 4, at least 12; fragment: 8, with frag = offset<<3 | M). */
static void put_ext(struct pb *b, uint8_t type, uint8_t next, size_t len, uint16_t frag)
{
    put_u8(b, next);
    if (type == 44) {
        put_u8(b, 0);
        put_be16(b, frag);
        put_be32(b, 0xf00dcafe);
    } else if (type == 51) {
        put_u8(b, (uint8_t)(len / 4 - 2));
        put_be16(b, 0);
        put_be32(b, 0x1000); /* SPI */
        put_be32(b, 7);      /* sequence */
        put_fill(b, 0x5a, len - 12);
    } else {
        put_u8(b, (uint8_t)(len / 8 - 1));
        put_fill(b, 0, len - 2); /* Pad1 options / routing data */
    }
}

struct ext {
    uint8_t type;
    size_t len;
    uint16_t frag;
};

/* Ethernet + IPv6 + the chain + UDP (ports 1000 -> 2000, 4 bytes). */
static size_t build_chain(struct pb *b, const struct ext *e, size_t n, size_t *udp_off)
{
    pb_init(b);
    put_eth(b, 0x86dd);
    size_t ip = put_ip6(b, n ? e[0].type : 17);
    size_t chain = 0;
    for (size_t i = 0; i < n; i++) {
        put_ext(b, e[i].type, i + 1 < n ? e[i + 1].type : 17, e[i].len, e[i].frag);
        chain += e[i].len;
    }
    size_t udp = put_udp(b, 1000, 2000);
    put_hex(b, "01020304");
    finish_udp(b, udp);
    finish_ip6(b, ip);
    if (udp_off)
        *udp_off = udp;
    return chain;
}

static void test_fixed_header(void **state)
{
    (void)state;
    struct pb b;
    struct packet pkt;
    build_chain(&b, NULL, 0, NULL);
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    assert_int_equal(pkt.layers, BIT(LAYER_ETH) | BIT(LAYER_IP6) | BIT(LAYER_UDP));
    assert_int_equal(pkt.truncated | pkt.malformed, 0);
    ASSERT_LAYER(&pkt, LAYER_IP6, d, 14, 40);
    assert_int_equal(pkt.ip6.flow, PB_IP6_FLOW);
    assert_int_equal(pkt.ip6.vfc, PB_IP6_FLOW >> 24);
    assert_int_equal(pkt.ip6.plen, 12);
    assert_int_equal(pkt.ip6.nxt, 17);
    assert_int_equal(pkt.ip6.hlim, PB_IP6_HLIM);
    assert_memory_equal(pkt.ip6.src, PB_IP6_SRC, 16);
    assert_memory_equal(pkt.ip6.dst, PB_IP6_DST, 16);
    assert_int_equal(pkt.ip6.upper, 17);
    assert_int_equal(pkt.ip6.ext_count, 0);
    assert_false(pkt.ip6.fragment);
    ASSERT_LAYER(&pkt, LAYER_UDP, d, 54, 8);
    free(d);
}

static void test_single_extension_headers(void **state)
{
    (void)state;
    static const struct ext cases[] = {
        {0, 8, 0},                      /* hop-by-hop */
        {0, 16, 0},      {43, 24, 0},   /* routing */
        {60, 8, 0},                     /* destination options */
        {60, 2048, 0},                  /* the longest: (255 + 1) * 8 */
        {51, 24, 0},                    /* AH, 4-byte units */
        {51, 12, 0},     {51, 1028, 0}, /* the longest AH: (255 + 2) * 4 */
        {135, 8, 0},                    /* mobility */
        {139, 16, 0},                   /* HIP */
        {140, 8, 0},                    /* shim6 */
        {44, 8, 0x0000},                /* atomic fragment */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pb b;
        struct packet pkt;
        size_t udp;
        size_t chain = build_chain(&b, &cases[i], 1, &udp);
        uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
        ASSERT_LAYER(&pkt, LAYER_IP6, d, 14, 40 + chain);
        assert_int_equal(pkt.ip6.nxt, cases[i].type);
        assert_int_equal(pkt.ip6.upper, 17);
        assert_int_equal(pkt.ip6.ext_count, 1);
        assert_int_equal(pkt.ip6.fragment, cases[i].type == 44);
        assert_int_equal(pkt.truncated | pkt.malformed, 0);
        ASSERT_LAYER(&pkt, LAYER_UDP, d, udp, 8);
        assert_int_equal(pkt.udp.dest, 2000);
        free(d);
    }
}

static void test_fragment_offsets(void **state)
{
    (void)state;
    /* first fragment (offset 0, M): UDP decoded; its length runs into the
     * next fragment, which is truncation, not malformation */
    struct ext first = {44, 8, 0x0001};
    struct pb b;
    struct packet pkt;
    size_t udp;
    build_chain(&b, &first, 1, &udp);
    set_be16(&b, udp + 4, 200);
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    ASSERT_LAYER(&pkt, LAYER_IP6, d, 14, 48);
    assert_true(pkt.ip6.fragment);
    assert_int_equal(pkt.ip6.frag_off, 0);
    ASSERT_LAYER(&pkt, LAYER_UDP, d, udp, 8);
    assert_false(pkt.malformed & BIT(LAYER_UDP));
    free(d);

    static const uint16_t offs[] = {1, 185, 8191};
    for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
        for (uint16_t m = 0; m < 2; m++) {
            struct ext later = {44, 8, (uint16_t)(offs[i] << 3 | m)};
            build_chain(&b, &later, 1, NULL);
            d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
            assert_int_equal(pkt.layers, BIT(LAYER_ETH) | BIT(LAYER_IP6));
            ASSERT_LAYER(&pkt, LAYER_IP6, d, 14, 48);
            assert_true(pkt.ip6.fragment);
            assert_int_equal(pkt.ip6.frag_off, offs[i]);
            assert_int_equal(pkt.ip6.upper, 17);
            assert_int_equal(pkt.truncated | pkt.malformed, 0);
            free(d);
        }
    }
}

static const struct ext long_chain[] = {
    {0, 8, 0}, {60, 16, 0}, {43, 24, 0}, {44, 8, 0}, {51, 24, 0}, {60, 8, 0},
};
#define LONG_CHAIN_LEN (8 + 16 + 24 + 8 + 24 + 8)

static void test_chain_of_several(void **state)
{
    (void)state;
    struct pb b;
    struct packet pkt;
    size_t udp;
    size_t chain = build_chain(&b, long_chain, 6, &udp);
    assert_int_equal(chain, LONG_CHAIN_LEN);
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    ASSERT_LAYER(&pkt, LAYER_IP6, d, 14, 40 + LONG_CHAIN_LEN);
    assert_int_equal(pkt.ip6.nxt, 0);
    assert_int_equal(pkt.ip6.upper, 17);
    assert_int_equal(pkt.ip6.ext_count, 6);
    assert_true(pkt.ip6.fragment);
    assert_int_equal(pkt.ip6.frag_off, 0);
    assert_int_equal(pkt.truncated | pkt.malformed, 0);
    ASSERT_LAYER(&pkt, LAYER_UDP, d, 14 + 40 + LONG_CHAIN_LEN, 8);
    free(d);
}

static void test_truncated_chain(void **state)
{
    (void)state;
    struct pb b;
    struct packet pkt;
    build_chain(&b, long_chain, 6, NULL);
    for (size_t cap = 14; cap < 54; cap++) {
        uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, cap);
        assert_int_equal(pkt.layers, BIT(LAYER_ETH));
        assert_int_equal(pkt.truncated, BIT(LAYER_IP6));
        free(d);
    }
    /* cut inside the chain: the layer holds every byte captured, flagged */
    for (size_t cap = 54; cap < 54 + LONG_CHAIN_LEN; cap++) {
        uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, cap);
        assert_int_equal(pkt.layers, BIT(LAYER_ETH) | BIT(LAYER_IP6));
        ASSERT_LAYER(&pkt, LAYER_IP6, d, 14, cap - 14);
        assert_true(pkt.truncated & BIT(LAYER_IP6));
        free(d);
    }
    /* chain whole, UDP cut */
    for (size_t cap = 54 + LONG_CHAIN_LEN; cap < 54 + LONG_CHAIN_LEN + 8; cap++) {
        uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, cap);
        ASSERT_LAYER(&pkt, LAYER_IP6, d, 14, 40 + LONG_CHAIN_LEN);
        assert_false(packet_has(&pkt, LAYER_UDP));
        assert_true(pkt.truncated & BIT(LAYER_UDP));
        free(d);
    }
}

static void test_chain_longer_than_payload_length(void **state)
{
    (void)state;
    /* plen says 8 bytes, but the hop-by-hop header claims 16: the chain
     * must end at plen even though more bytes were captured */
    struct pb b;
    struct packet pkt;
    pb_init(&b);
    put_eth(&b, 0x86dd);
    size_t ip = put_ip6(&b, 0);
    put_ext(&b, 0, 17, 16, 0);
    put_fill(&b, 0, 16);
    set_be16(&b, ip + 4, 8);
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    assert_true(packet_has(&pkt, LAYER_IP6));
    assert_true(pkt.ref[LAYER_IP6].len <= 48);
    assert_true((pkt.truncated | pkt.malformed) & BIT(LAYER_IP6));
    assert_false(packet_has(&pkt, LAYER_UDP));
    free(d);
}

static void test_esp_and_no_next_header(void **state)
{
    (void)state;
    struct pb b;
    struct packet pkt;
    pb_init(&b);
    put_eth(&b, 0x86dd);
    size_t ip = put_ip6(&b, 50);
    put_be32(&b, 0x1000); /* SPI */
    put_be32(&b, 1);
    put_fill(&b, 0x77, 24);
    finish_ip6(&b, ip);
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    assert_int_equal(pkt.layers, BIT(LAYER_ETH) | BIT(LAYER_IP6));
    ASSERT_LAYER(&pkt, LAYER_IP6, d, 14, 40);
    assert_int_equal(pkt.ip6.upper, 50);
    assert_int_equal(pkt.ip6.ext_count, 0);
    assert_true(pkt.not_decoded);
    assert_int_equal(pkt.truncated | pkt.malformed, 0);
    free(d);

    /* hop-by-hop then ESP */
    pb_init(&b);
    put_eth(&b, 0x86dd);
    ip = put_ip6(&b, 0);
    put_ext(&b, 0, 50, 8, 0);
    put_fill(&b, 0x77, 32);
    finish_ip6(&b, ip);
    d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    ASSERT_LAYER(&pkt, LAYER_IP6, d, 14, 48);
    assert_int_equal(pkt.ip6.upper, 50);
    assert_int_equal(pkt.ip6.ext_count, 1);
    assert_int_equal(pkt.layers, BIT(LAYER_ETH) | BIT(LAYER_IP6));
    free(d);

    /* no next header, with and without a destination options header; the
     * bytes after it look like UDP but must not be decoded */
    for (int with_dst = 0; with_dst < 2; with_dst++) {
        pb_init(&b);
        put_eth(&b, 0x86dd);
        ip = put_ip6(&b, with_dst ? 60 : 59);
        if (with_dst)
            put_ext(&b, 60, 59, 8, 0);
        put_hex(&b, "03e8 07d0 000c 0000 01020304");
        finish_ip6(&b, ip);
        d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
        assert_int_equal(pkt.layers, BIT(LAYER_ETH) | BIT(LAYER_IP6));
        ASSERT_LAYER(&pkt, LAYER_IP6, d, 14, with_dst ? 48 : 40);
        assert_int_equal(pkt.ip6.upper, 59);
        assert_int_equal(pkt.truncated | pkt.malformed, 0);
        free(d);
    }
}

static void test_too_many_extension_headers(void **state)
{
    (void)state;
    struct ext e[40];
    for (size_t i = 0; i < 40; i++)
        e[i] = (struct ext){60, 8, 0};
    struct pb b;
    struct packet pkt;
    size_t udp;
    build_chain(&b, e, 31, &udp);
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    ASSERT_LAYER(&pkt, LAYER_IP6, d, 14, 40 + 31 * 8);
    assert_int_equal(pkt.ip6.ext_count, 31);
    assert_true(packet_has(&pkt, LAYER_UDP));
    assert_int_equal(pkt.malformed, 0);
    free(d);

    build_chain(&b, e, 40, NULL);
    d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    assert_true(packet_has(&pkt, LAYER_IP6));
    assert_true(pkt.malformed & BIT(LAYER_IP6));
    assert_false(packet_has(&pkt, LAYER_UDP));
    assert_true(pkt.ref[LAYER_IP6].len <= 40 + 40 * 8);
    free(d);
}

static void test_bad_version(void **state)
{
    (void)state;
    struct pb b;
    struct packet pkt;
    build_chain(&b, NULL, 0, NULL);
    set_u8(&b, 14, 0x4a);
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    /* flagged; stored as its fixed 40 bytes, or not at all */
    assert_true(pkt.malformed & BIT(LAYER_IP6));
    assert_int_equal(pkt.layers & ~BIT(LAYER_IP6), BIT(LAYER_ETH));
    if (packet_has(&pkt, LAYER_IP6))
        ASSERT_LAYER(&pkt, LAYER_IP6, d, 14, 40);
    free(d);
}

static void test_icmp6_after_hop_by_hop(void **state)
{
    (void)state;
    /* MLDv2 report: hop-by-hop with router alert, then ICMPv6 143 */
    struct pb b;
    struct packet pkt;
    pb_init(&b);
    put_eth(&b, 0x86dd);
    size_t ip = put_ip6(&b, 0);
    put_hex(&b, "3a00 0502 0000 0100");
    put_hex(&b, "8f00 1234 0000 0001");
    put_fill(&b, 0, 20);
    finish_ip6(&b, ip);
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    ASSERT_LAYER(&pkt, LAYER_IP6, d, 14, 48);
    assert_int_equal(pkt.ip6.upper, 58);
    ASSERT_LAYER(&pkt, LAYER_ICMP6, d, 62, 8);
    assert_int_equal(pkt.icmp6.type, 143);
    assert_int_equal(pkt.icmp6.checksum, 0x1234);
    assert_int_equal(pkt.icmp6.data32, 1);
    free(d);
}

static void test_payload_length_bounds(void **state)
{
    (void)state;
    /* Ethernet padding after plen is not payload */
    struct pb b;
    struct packet pkt;
    pb_init(&b);
    put_eth(&b, 0x86dd);
    size_t ip = put_ip6(&b, 6);
    put_tcp(&b, 22, 40000, 0x10, NULL);
    finish_ip6(&b, ip);
    put_fill(&b, 0, 6);
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    ASSERT_LAYER(&pkt, LAYER_TCP, d, 54, 20);
    assert_int_equal(pkt.tcp.payload.len, 0);
    assert_int_equal(pkt.truncated | pkt.malformed, 0);
    free(d);

    /* payload cut by the snapshot length: flagged on IPv6 */
    struct layout lay;
    build_udp6(&b, 1, 2, "0123456789", 10, &lay);
    d = decode_pb(&pkt, DLT_EN10MB, &b, b.len - 3);
    ASSERT_LAYER(&pkt, LAYER_IP6, d, 14, 40);
    assert_true(pkt.truncated & BIT(LAYER_IP6));
    ASSERT_LAYER(&pkt, LAYER_UDP, d, 54, 8);
    assert_false(pkt.malformed & BIT(LAYER_UDP));
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_header),
        cmocka_unit_test(test_single_extension_headers),
        cmocka_unit_test(test_fragment_offsets),
        cmocka_unit_test(test_chain_of_several),
        cmocka_unit_test(test_truncated_chain),
        cmocka_unit_test(test_chain_longer_than_payload_length),
        cmocka_unit_test(test_esp_and_no_next_header),
        cmocka_unit_test(test_too_many_extension_headers),
        cmocka_unit_test(test_bad_version),
        cmocka_unit_test(test_icmp6_after_hop_by_hop),
        cmocka_unit_test(test_payload_length_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
