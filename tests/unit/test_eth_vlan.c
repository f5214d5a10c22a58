/*
 * test_eth_vlan.c - link layers: Ethernet II, single and stacked
 * 802.1Q/802.1ad tags, Linux cooked v1/v2, BSD NULL/LOOP and raw IP, plus
 * the link-type dispatch of decode_packet().
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
#include "util/text.h"
#include "pktbuild.h"

#define BIT(l) (1u << (l))

/* An IPv4/UDP packet (20 + 8 + 4 bytes) after whatever b holds. */
static size_t put_ip4_udp(struct pb *b)
{
    size_t ip = put_ip4(b, 17, NULL);
    size_t udp = put_udp(b, 4000, 4001);
    put_hex(b, "deadbeef");
    finish_udp(b, udp);
    finish_ip4(b, ip);
    return ip;
}

/* An IPv6/UDP packet (40 + 8 + 4 bytes) after whatever b holds. */
static size_t put_ip6_udp(struct pb *b)
{
    size_t ip = put_ip6(b, 17);
    size_t udp = put_udp(b, 4000, 4001);
    put_hex(b, "deadbeef");
    finish_udp(b, udp);
    finish_ip6(b, ip);
    return ip;
}

static void test_ethernet_ipv4(void **state)
{
    (void)state;
    struct pb b;
    struct layout lay;
    struct packet pkt;
    build_udp4(&b, 4000, 4001, "abcd", 4, &lay);
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    assert_int_equal(pkt.timestamp, PB_TS);
    assert_int_equal(pkt.caplen, 14 + 20 + 8 + 4);
    assert_int_equal(pkt.length, 14 + 20 + 8 + 4);
    assert_ptr_equal(pkt.data, d);
    assert_int_equal(pkt.layers, BIT(LAYER_ETH) | BIT(LAYER_IP4) | BIT(LAYER_UDP));
    assert_int_equal(pkt.truncated, 0);
    assert_int_equal(pkt.malformed, 0);
    assert_false(pkt.unknown_linktype);
    ASSERT_LAYER(&pkt, LAYER_ETH, d, 0, 14);
    assert_int_equal(pkt.eth.linktype, 1);
    assert_ptr_equal(pkt.eth.dst.p, d);
    assert_int_equal(pkt.eth.dst.len, 6);
    assert_memory_equal(pkt.eth.dst.p, PB_MAC_DST, 6);
    assert_ptr_equal(pkt.eth.src.p, d + 6);
    assert_int_equal(pkt.eth.src.len, 6);
    assert_memory_equal(pkt.eth.src.p, PB_MAC_SRC, 6);
    assert_int_equal(pkt.eth.type, 0x0800);
    assert_int_equal(pkt.eth.payload_type, 0x0800);
    assert_int_equal(pkt.eth.vlan_count, 0);
    ASSERT_LAYER(&pkt, LAYER_IP4, d, 14, 20);
    free(d);
}

static void test_single_vlan(void **state)
{
    (void)state;
    struct pb b;
    struct packet pkt;
    pb_init(&b);
    put_bytes(&b, PB_MAC_DST, 6);
    put_bytes(&b, PB_MAC_SRC, 6);
    put_vlan(&b, 0x8100, 0x2064, 0x0800); /* PCP 1, VID 100 */
    put_ip4_udp(&b);
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    ASSERT_LAYER(&pkt, LAYER_ETH, d, 0, 18);
    assert_int_equal(pkt.eth.type, 0x8100);
    assert_int_equal(pkt.eth.payload_type, 0x0800);
    assert_int_equal(pkt.eth.vlan_count, 1);
    assert_int_equal(pkt.eth.vlan_id[0], 100);
    assert_int_equal(pkt.truncated | pkt.malformed, 0);
    ASSERT_LAYER(&pkt, LAYER_IP4, d, 18, 20);
    ASSERT_LAYER(&pkt, LAYER_UDP, d, 38, 8);
    free(d);
}

static void test_vlan_id_masks_pcp_and_dei(void **state)
{
    (void)state;
    struct pb b;
    struct packet pkt;
    pb_init(&b);
    put_bytes(&b, PB_MAC_DST, 6);
    put_bytes(&b, PB_MAC_SRC, 6);
    put_vlan(&b, 0x8100, 0xffff, 0x0806); /* PCP 7, DEI, VID 4095 */
    put_fill(&b, 0, 28);
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    assert_int_equal(pkt.eth.vlan_count, 1);
    assert_int_equal(pkt.eth.vlan_id[0], 4095);
    assert_int_equal(pkt.eth.payload_type, 0x0806);
    free(d);
}

static void test_stacked_vlan(void **state)
{
    (void)state;
    static const uint16_t outer[] = {0x88a8, 0x9100, 0x8100};
    for (size_t i = 0; i < sizeof outer / sizeof outer[0]; i++) {
        struct pb b;
        struct packet pkt;
        pb_init(&b);
        put_bytes(&b, PB_MAC_DST, 6);
        put_bytes(&b, PB_MAC_SRC, 6);
        put_be16(&b, outer[i]);
        put_be16(&b, 0x000a); /* VID 10 */
        put_be16(&b, 0x8100);
        put_be16(&b, 0xa014); /* PCP 5, VID 20 */
        put_be16(&b, 0x86dd);
        put_ip6_udp(&b);
        uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
        ASSERT_LAYER(&pkt, LAYER_ETH, d, 0, 22);
        assert_int_equal(pkt.eth.type, outer[i]);
        assert_int_equal(pkt.eth.payload_type, 0x86dd);
        assert_int_equal(pkt.eth.vlan_count, 2);
        assert_int_equal(pkt.eth.vlan_id[0], 10);
        assert_int_equal(pkt.eth.vlan_id[1], 20);
        assert_int_equal(pkt.truncated | pkt.malformed, 0);
        ASSERT_LAYER(&pkt, LAYER_IP6, d, 22, 40);
        ASSERT_LAYER(&pkt, LAYER_UDP, d, 62, 8);
        free(d);
    }
}

static void test_five_tags_malformed_but_followed(void **state)
{
    (void)state;
    struct pb b;
    struct packet pkt;
    pb_init(&b);
    put_bytes(&b, PB_MAC_DST, 6);
    put_bytes(&b, PB_MAC_SRC, 6);
    for (uint16_t vid = 1; vid <= 5; vid++) {
        put_be16(&b, 0x8100);
        put_be16(&b, vid);
    }
    put_be16(&b, 0x0800);
    put_ip4_udp(&b);
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    ASSERT_LAYER(&pkt, LAYER_ETH, d, 0, 14 + 5 * 4);
    assert_int_equal(pkt.eth.vlan_count, VLAN_MAX_TAGS);
    for (int i = 0; i < VLAN_MAX_TAGS; i++)
        assert_int_equal(pkt.eth.vlan_id[i], i + 1);
    assert_true(pkt.malformed & BIT(LAYER_ETH));
    ASSERT_LAYER(&pkt, LAYER_IP4, d, 34, 20);
    free(d);
}

static void test_vlan_tag_cut(void **state)
{
    (void)state;
    struct pb b;
    struct packet pkt;
    pb_init(&b);
    put_bytes(&b, PB_MAC_DST, 6);
    put_bytes(&b, PB_MAC_SRC, 6);
    put_vlan(&b, 0x8100, 0x0064, 0x0800);
    put_ip4_udp(&b);
    for (size_t cap = 14; cap < 18; cap++) {
        uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, cap);
        ASSERT_LAYER(&pkt, LAYER_ETH, d, 0, 14);
        assert_true(pkt.truncated & BIT(LAYER_ETH));
        assert_int_equal(pkt.eth.vlan_count, 0);
        assert_int_equal(pkt.layers, BIT(LAYER_ETH));
        free(d);
    }
}

static void test_ethernet_cut(void **state)
{
    (void)state;
    struct pb b;
    struct layout lay;
    struct packet pkt;
    build_udp4(&b, 1, 2, NULL, 0, &lay);
    for (size_t cap = 0; cap < 14; cap++) {
        uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, cap);
        assert_int_equal(pkt.layers, 0);
        assert_int_equal(pkt.truncated, BIT(LAYER_ETH));
        free(d);
    }
    /* header whole, IPv4 missing: the IPv4 layer is the one cut */
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, 14);
    assert_int_equal(pkt.layers, BIT(LAYER_ETH));
    assert_int_equal(pkt.truncated, BIT(LAYER_IP4));
    free(d);
}

static void test_8023_length_and_unknown_type(void **state)
{
    (void)state;
    struct pb b;
    struct packet pkt;
    pb_init(&b);
    put_eth(&b, 0x0026); /* 802.3 length 38, LLC follows */
    put_hex(&b, "42 42 03 00 00 00 00 00");
    put_fill(&b, 0, 30);
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    ASSERT_LAYER(&pkt, LAYER_ETH, d, 0, 14);
    assert_int_equal(pkt.eth.type, 0x0026);
    assert_int_equal(pkt.layers, BIT(LAYER_ETH));
    assert_true(pkt.not_decoded);
    free(d);

    pb_init(&b);
    put_eth(&b, 0x88cc); /* LLDP */
    put_fill(&b, 0x11, 46);
    d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    assert_int_equal(pkt.layers, BIT(LAYER_ETH));
    assert_int_equal(pkt.eth.payload_type, 0x88cc);
    assert_true(pkt.not_decoded);
    assert_int_equal(pkt.truncated | pkt.malformed, 0);
    free(d);

    /* a length field inside a VLAN tag */
    pb_init(&b);
    put_eth(&b, 0x8100);
    put_be16(&b, 7);
    put_be16(&b, 0x0030);
    put_fill(&b, 0, 46);
    d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    ASSERT_LAYER(&pkt, LAYER_ETH, d, 0, 18);
    assert_int_equal(pkt.layers, BIT(LAYER_ETH));
    assert_true(pkt.not_decoded);
    free(d);
}

static void test_mpls(void **state)
{
    (void)state;
    struct pb b;
    struct packet pkt;
    /* two labels: 100 (TC 0, TTL 64) and 200 with bottom of stack */
    pb_init(&b);
    put_eth(&b, 0x8847);
    put_be32(&b, 100u << 12 | 64);
    put_be32(&b, 200u << 12 | 0x100 | 64);
    put_ip4_udp(&b);
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    ASSERT_LAYER(&pkt, LAYER_ETH, d, 0, 22);
    assert_int_equal(pkt.eth.type, 0x8847);
    ASSERT_LAYER(&pkt, LAYER_IP4, d, 22, 20);
    assert_true(packet_has(&pkt, LAYER_UDP));
    assert_int_equal(pkt.truncated | pkt.malformed, 0);
    free(d);

    /* IPv6 under one label, multicast EtherType */
    pb_init(&b);
    put_eth(&b, 0x8848);
    put_be32(&b, 16u << 12 | 0x100 | 1);
    put_ip6_udp(&b);
    d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    ASSERT_LAYER(&pkt, LAYER_ETH, d, 0, 18);
    ASSERT_LAYER(&pkt, LAYER_IP6, d, 18, 40);
    free(d);

    /* a pseudowire control word: not decoded */
    pb_init(&b);
    put_eth(&b, 0x8847);
    put_be32(&b, 16u << 12 | 0x100 | 1);
    put_be32(&b, 0);
    put_fill(&b, 0x55, 40);
    d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    assert_int_equal(pkt.layers, BIT(LAYER_ETH));
    assert_true(pkt.not_decoded);
    free(d);

    /* a stack that never ends */
    pb_init(&b);
    put_eth(&b, 0x8847);
    for (int i = 0; i < 40; i++)
        put_be32(&b, (uint32_t)i << 12 | 64);
    d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    assert_true(pkt.malformed & BIT(LAYER_ETH));
    assert_int_equal(pkt.layers, BIT(LAYER_ETH));
    assert_true(pkt.ref[LAYER_ETH].len <= b.len);
    free(d);

    /* label cut */
    pb_init(&b);
    put_eth(&b, 0x8847);
    put_be32(&b, 100u << 12 | 0x100 | 64);
    for (size_t cap = 14; cap < 18; cap++) {
        d = decode_pb(&pkt, DLT_EN10MB, &b, cap);
        assert_true(pkt.truncated & BIT(LAYER_ETH));
        assert_int_equal(pkt.ref[LAYER_ETH].len, 14);
        free(d);
    }
}

static void test_pppoe(void **state)
{
    (void)state;
    static const struct {
        uint16_t ppp;
        uint16_t ethertype; /* 0: not decoded */
    } cases[] = {{0x0021, 0x0800}, {0x0057, 0x86dd}, {0xc021, 0}, {0x8021, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pb b;
        struct packet pkt;
        pb_init(&b);
        put_eth(&b, 0x8864);
        put_hex(&b, "11 00 1234");
        size_t len = put_be16(&b, 0);
        put_be16(&b, cases[i].ppp);
        if (cases[i].ethertype == 0x86dd)
            put_ip6_udp(&b);
        else
            put_ip4_udp(&b);
        set_be16(&b, len, (uint16_t)(b.len - 20));
        put_fill(&b, 0, 8); /* Ethernet trailer beyond the PPPoE length */
        uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
        ASSERT_LAYER(&pkt, LAYER_ETH, d, 0, 22);
        if (cases[i].ethertype == 0x0800) {
            ASSERT_LAYER(&pkt, LAYER_IP4, d, 22, 20);
            assert_int_equal(pkt.udp.payload.len, 4);
        } else if (cases[i].ethertype == 0x86dd) {
            ASSERT_LAYER(&pkt, LAYER_IP6, d, 22, 40);
        } else {
            assert_int_equal(pkt.layers, BIT(LAYER_ETH));
            assert_true(pkt.not_decoded);
        }
        assert_int_equal(pkt.truncated | pkt.malformed, 0);
        free(d);
    }

    /* a PPPoE length too small for the PPP protocol field */
    struct pb b;
    struct packet pkt;
    pb_init(&b);
    put_eth(&b, 0x8864);
    put_hex(&b, "11 00 1234 0001 0021");
    put_ip4_udp(&b);
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    assert_true(pkt.malformed & BIT(LAYER_ETH));
    assert_false(packet_has(&pkt, LAYER_IP4));
    free(d);
    for (size_t cap = 14; cap < 22; cap++) {
        d = decode_pb(&pkt, DLT_EN10MB, &b, cap);
        assert_true(pkt.truncated & BIT(LAYER_ETH));
        assert_int_equal(pkt.layers, BIT(LAYER_ETH));
        free(d);
    }
}

/* Linux cooked v1: packet type, ARPHRD, address length, 8 address bytes,
 * protocol. */
static void put_sll(struct pb *b, uint16_t halen, uint16_t proto)
{
    put_be16(b, 0); /* to us */
    put_be16(b, 1); /* ARPHRD_ETHER */
    put_be16(b, halen);
    put_bytes(b, PB_MAC_SRC, 6);
    put_hex(b, "7788");
    put_be16(b, proto);
}

static void test_sll(void **state)
{
    (void)state;
    struct pb b;
    struct packet pkt;
    pb_init(&b);
    put_sll(&b, 6, 0x0800);
    put_ip4_udp(&b);
    uint8_t *d = decode_pb(&pkt, DLT_LINUX_SLL, &b, b.len);
    ASSERT_LAYER(&pkt, LAYER_ETH, d, 0, 16);
    assert_int_equal(pkt.eth.linktype, DLT_LINUX_SLL);
    assert_int_equal(pkt.eth.dst.len, 0);
    assert_ptr_equal(pkt.eth.src.p, d + 6);
    assert_int_equal(pkt.eth.src.len, 6);
    assert_int_equal(pkt.eth.type, 0x0800);
    assert_int_equal(pkt.eth.vlan_count, 0);
    assert_int_equal(pkt.truncated | pkt.malformed, 0);
    ASSERT_LAYER(&pkt, LAYER_IP4, d, 16, 20);
    ASSERT_LAYER(&pkt, LAYER_UDP, d, 36, 8);
    free(d);
}

static void test_sll_address_lengths_and_types(void **state)
{
    (void)state;
    static const struct {
        uint16_t halen;
        uint32_t src_len;
    } cases[] = {{0, 0}, {4, 4}, {8, 8}, {10, 8}, {0xffff, 8}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pb b;
        struct packet pkt;
        pb_init(&b);
        put_sll(&b, cases[i].halen, 0x86dd);
        put_ip6_udp(&b);
        uint8_t *d = decode_pb(&pkt, DLT_LINUX_SLL, &b, b.len);
        assert_int_equal(pkt.eth.src.len, cases[i].src_len);
        if (cases[i].src_len)
            assert_ptr_equal(pkt.eth.src.p, d + 6);
        ASSERT_LAYER(&pkt, LAYER_IP6, d, 16, 40);
        free(d);
    }

    /* Linux pseudo protocol (802.2 LLC): not decoded */
    struct pb b;
    struct packet pkt;
    pb_init(&b);
    put_sll(&b, 6, 0x0004);
    put_fill(&b, 0x42, 20);
    uint8_t *d = decode_pb(&pkt, DLT_LINUX_SLL, &b, b.len);
    assert_int_equal(pkt.layers, BIT(LAYER_ETH));
    assert_true(pkt.not_decoded);
    free(d);

    /* VLAN tag after the cooked header extends the link header */
    pb_init(&b);
    put_sll(&b, 6, 0x8100);
    put_be16(&b, 0x0123);
    put_be16(&b, 0x0800);
    put_ip4_udp(&b);
    d = decode_pb(&pkt, DLT_LINUX_SLL, &b, b.len);
    ASSERT_LAYER(&pkt, LAYER_ETH, d, 0, 20);
    assert_int_equal(pkt.eth.vlan_count, 1);
    assert_int_equal(pkt.eth.vlan_id[0], 0x123);
    ASSERT_LAYER(&pkt, LAYER_IP4, d, 20, 20);
    free(d);

    /* cut inside the cooked header */
    pb_init(&b);
    put_sll(&b, 6, 0x0800);
    put_ip4_udp(&b);
    for (size_t cap = 0; cap < 16; cap++) {
        d = decode_pb(&pkt, DLT_LINUX_SLL, &b, cap);
        assert_int_equal(pkt.layers, 0);
        assert_true(pkt.truncated & BIT(LAYER_ETH));
        free(d);
    }
}

/* Linux cooked v2: protocol, reserved, ifindex, ARPHRD, packet type,
 * address length, 8 address bytes. */
static void put_sll2(struct pb *b, uint16_t proto, uint8_t halen)
{
    put_be16(b, proto);
    put_be16(b, 0);
    put_be32(b, 3);
    put_be16(b, 1);
    put_u8(b, 4); /* outgoing */
    put_u8(b, halen);
    put_bytes(b, PB_MAC_SRC, 6);
    put_hex(b, "0000");
}

static void test_sll2(void **state)
{
    (void)state;
    struct pb b;
    struct packet pkt;
    pb_init(&b);
    put_sll2(&b, 0x86dd, 6);
    put_ip6_udp(&b);
    uint8_t *d = decode_pb(&pkt, DLT_LINUX_SLL2, &b, b.len);
    ASSERT_LAYER(&pkt, LAYER_ETH, d, 0, 20);
    assert_int_equal(pkt.eth.linktype, DLT_LINUX_SLL2);
    assert_int_equal(pkt.eth.dst.len, 0);
    assert_ptr_equal(pkt.eth.src.p, d + 12);
    assert_int_equal(pkt.eth.src.len, 6);
    assert_memory_equal(pkt.eth.src.p, PB_MAC_SRC, 6);
    assert_int_equal(pkt.eth.type, 0x86dd);
    assert_int_equal(pkt.truncated | pkt.malformed, 0);
    ASSERT_LAYER(&pkt, LAYER_IP6, d, 20, 40);
    ASSERT_LAYER(&pkt, LAYER_UDP, d, 60, 8);
    free(d);

    pb_init(&b);
    put_sll2(&b, 0x0800, 200); /* address length beyond 8: capped */
    put_ip4_udp(&b);
    d = decode_pb(&pkt, DLT_LINUX_SLL2, &b, b.len);
    assert_int_equal(pkt.eth.src.len, 8);
    ASSERT_LAYER(&pkt, LAYER_IP4, d, 20, 20);
    free(d);

    for (size_t cap = 0; cap < 20; cap++) {
        d = decode_pb(&pkt, DLT_LINUX_SLL2, &b, cap);
        assert_int_equal(pkt.layers, 0);
        assert_true(pkt.truncated & BIT(LAYER_ETH));
        free(d);
    }
}

static void test_null_and_loop(void **state)
{
    (void)state;
    static const struct {
        int linktype;
        const char *family;
        uint16_t type;
    } cases[] = {
        {DLT_NULL, "02000000", 0x0800}, /* AF_INET, little-endian writer */
        {DLT_NULL, "00000002", 0x0800}, /* AF_INET, big-endian writer */
        {DLT_NULL, "0a000000", 0x86dd}, /* Linux AF_INET6 */
        {DLT_NULL, "18000000", 0x86dd}, /* NetBSD/OpenBSD */
        {DLT_NULL, "1c000000", 0x86dd}, /* FreeBSD */
        {DLT_NULL, "1e000000", 0x86dd}, /* macOS */
        {DLT_NULL, "0000001e", 0x86dd}, {DLT_NULL, "07000000", 0}, /* unknown family */
        {DLT_LOOP, "00000002", 0x0800}, {DLT_LOOP, "0000001c", 0x86dd},
        {DLT_LOOP, "02000000", 0}, /* LOOP is network order: 0x02000000 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pb b;
        struct packet pkt;
        pb_init(&b);
        put_hex(&b, cases[i].family);
        if (cases[i].type == 0x86dd)
            put_ip6_udp(&b);
        else
            put_ip4_udp(&b);
        uint8_t *d = decode_pb(&pkt, cases[i].linktype, &b, b.len);
        ASSERT_LAYER(&pkt, LAYER_ETH, d, 0, 4);
        assert_int_equal(pkt.eth.linktype, cases[i].linktype);
        assert_int_equal(pkt.eth.type, cases[i].type);
        assert_int_equal(pkt.eth.dst.len, 0);
        assert_int_equal(pkt.eth.src.len, 0);
        if (cases[i].type == 0x0800) {
            assert_int_equal(pkt.layers, BIT(LAYER_ETH) | BIT(LAYER_IP4) | BIT(LAYER_UDP));
            ASSERT_LAYER(&pkt, LAYER_IP4, d, 4, 20);
        } else if (cases[i].type == 0x86dd) {
            assert_int_equal(pkt.layers, BIT(LAYER_ETH) | BIT(LAYER_IP6) | BIT(LAYER_UDP));
            ASSERT_LAYER(&pkt, LAYER_IP6, d, 4, 40);
        } else {
            assert_int_equal(pkt.layers, BIT(LAYER_ETH));
            assert_true(pkt.not_decoded);
        }
        assert_int_equal(pkt.truncated | pkt.malformed, 0);
        free(d);
    }

    struct pb b;
    struct packet pkt;
    pb_init(&b);
    put_hex(&b, "02000000");
    for (size_t cap = 0; cap < 4; cap++) {
        uint8_t *d = decode_pb(&pkt, DLT_NULL, &b, cap);
        assert_int_equal(pkt.layers, 0);
        assert_true(pkt.truncated & BIT(LAYER_ETH));
        free(d);
    }
}

static void test_raw_ip(void **state)
{
    (void)state;
    struct pb b4, b6, b5;
    struct packet pkt;
    pb_init(&b4);
    put_ip4_udp(&b4);
    pb_init(&b6);
    put_ip6_udp(&b6);
    pb_init(&b5);
    put_hex(&b5, "50000020");
    put_fill(&b5, 0, 28);

    static const int raw4[] = {DLT_RAW, DLT_IPV4};
    for (int i = 0; i < 2; i++) {
        uint8_t *d = decode_pb(&pkt, raw4[i], &b4, b4.len);
        ASSERT_LAYER(&pkt, LAYER_ETH, d, 0, 0); /* XXH32 of no bytes */
        assert_int_equal(pkt.ref[LAYER_ETH].hash, 0x02cc5d05u);
        assert_int_equal(pkt.eth.type, 0x0800);
        assert_int_equal(pkt.eth.dst.len, 0);
        assert_int_equal(pkt.eth.src.len, 0);
        assert_int_equal(pkt.layers, BIT(LAYER_ETH) | BIT(LAYER_IP4) | BIT(LAYER_UDP));
        ASSERT_LAYER(&pkt, LAYER_IP4, d, 0, 20);
        free(d);
    }
    static const int raw6[] = {DLT_RAW, DLT_IPV6};
    for (int i = 0; i < 2; i++) {
        uint8_t *d = decode_pb(&pkt, raw6[i], &b6, b6.len);
        ASSERT_LAYER(&pkt, LAYER_ETH, d, 0, 0);
        assert_int_equal(pkt.eth.type, 0x86dd);
        assert_int_equal(pkt.layers, BIT(LAYER_ETH) | BIT(LAYER_IP6) | BIT(LAYER_UDP));
        ASSERT_LAYER(&pkt, LAYER_IP6, d, 0, 40);
        free(d);
    }
    /* DLT_RAW with version 5: not IP */
    uint8_t *d = decode_pb(&pkt, DLT_RAW, &b5, b5.len);
    assert_int_equal(pkt.layers, BIT(LAYER_ETH));
    assert_int_equal(pkt.eth.type, 0);
    assert_true(pkt.not_decoded);
    free(d);
    /* DLT_IPV4 forces IPv4: an IPv6 packet there is malformed IPv4 */
    d = decode_pb(&pkt, DLT_IPV4, &b6, b6.len);
    assert_int_equal(pkt.layers & ~BIT(LAYER_IP4), BIT(LAYER_ETH));
    assert_true(pkt.malformed & BIT(LAYER_IP4));
    free(d);
    /* a cut raw IPv4 header: the IPv4 layer is truncated */
    for (size_t cap = 1; cap < 20; cap++) {
        d = decode_pb(&pkt, DLT_RAW, &b4, cap);
        assert_int_equal(pkt.layers, BIT(LAYER_ETH));
        assert_int_equal(pkt.truncated, BIT(LAYER_IP4));
        free(d);
    }
}

static void test_unknown_linktype(void **state)
{
    (void)state;
    struct pb b;
    struct layout lay;
    struct packet pkt;
    build_udp4(&b, 1, 2, NULL, 0, &lay);
    uint8_t *d = decode_pb(&pkt, DLT_NFLOG, &b, b.len);
    assert_true(pkt.unknown_linktype);
    assert_int_equal(pkt.layers, 0);
    assert_int_equal(pkt.truncated | pkt.malformed, 0);
    assert_int_equal(pkt.eth.linktype, DLT_NFLOG);
    free(d);
    d = decode_pb(&pkt, -1, &b, b.len);
    assert_true(pkt.unknown_linktype);
    assert_int_equal(pkt.layers, 0);
    free(d);
}

/* Case i decoded without a truncated or malformed layer. */
static void assert_whole(size_t i, const struct packet *pkt)
{
    if (pkt->truncated | pkt->malformed)
        fail_msg("case %zu: truncated %x malformed %x", i, pkt->truncated, pkt->malformed);
}

/* PPP as a link type (with and without address/control bytes, with the
 * protocol field compressed or not), Cisco HDLC, PPPoE without Ethernet,
 * and PPPoE whose PPP protocol field is compressed to one byte (0x21:
 * read as 0x2145 before, which left a PPPoE session undecoded). */
static void test_ppp_and_hdlc(void **state)
{
    (void)state;
    static const struct {
        int linktype;
        const char *header;
        size_t eth_len;     /* bytes of the link header */
        uint16_t type;      /* EtherType of the payload; 0: not decoded */
    } cases[] = {
        {DLT_PPP, "ff03 0021", 4, 0x0800},        {DLT_PPP, "0021", 2, 0x0800},
        {DLT_PPP, "21", 1, 0x0800},               {DLT_PPP, "ff03 21", 3, 0x0800},
        {DLT_PPP, "ff03 0057", 4, 0x86dd},        {DLT_PPP, "57", 1, 0x86dd},
        {DLT_PPP, "ff03 c021", 4, 0},             {DLT_PPP_SERIAL, "ff03 0021", 4, 0x0800},
        {DLT_PPP_SERIAL, "0f00 0800", 4, 0x0800}, {DLT_C_HDLC, "0f00 0800", 4, 0x0800},
        {DLT_C_HDLC, "8f00 86dd", 4, 0x86dd},     {DLT_C_HDLC, "8f00 8035", 4, 0},
        {DLT_PPP_ETHER, "1100 1234 0000 0021", 8, 0x0800}, /* PPPoE length set below */
        {DLT_PPP_ETHER, "1100 1234 0000 21", 7, 0x0800},
        {DLT_EN10MB, "", 21, 0x0800}, /* PPPoE in Ethernet, protocol 0x21 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pb b;
        struct packet pkt;
        pb_init(&b);
        if (cases[i].linktype == DLT_EN10MB) {
            put_eth(&b, 0x8864);
            put_hex(&b, "11 00 1234 0000 21");
        } else {
            put_hex(&b, cases[i].header);
        }
        if (cases[i].type == 0x86dd)
            put_ip6_udp(&b);
        else
            put_ip4_udp(&b);
        size_t pppoe = cases[i].linktype == DLT_EN10MB ? 14 : cases[i].linktype == DLT_PPP_ETHER ? 0 : SIZE_MAX;
        if (pppoe != SIZE_MAX) /* PPPoE length: from the PPP protocol field on */
            set_be16(&b, pppoe + 4, (uint16_t)(b.len - pppoe - 6));
        uint8_t *d = decode_pb(&pkt, cases[i].linktype, &b, b.len);
        if (!packet_has(&pkt, LAYER_ETH) || pkt.ref[LAYER_ETH].len != cases[i].eth_len)
            fail_msg("case %zu: link header of %zu bytes, want %zu", i,
                     packet_has(&pkt, LAYER_ETH) ? (size_t)pkt.ref[LAYER_ETH].len : 0, cases[i].eth_len);
        size_t at = cases[i].eth_len;
        if (cases[i].type == 0x0800) {
            assert_int_equal(pkt.layers, BIT(LAYER_ETH) | BIT(LAYER_IP4) | BIT(LAYER_UDP));
            ASSERT_LAYER(&pkt, LAYER_IP4, d, at, 20);
        } else if (cases[i].type == 0x86dd) {
            assert_int_equal(pkt.layers, BIT(LAYER_ETH) | BIT(LAYER_IP6) | BIT(LAYER_UDP));
            ASSERT_LAYER(&pkt, LAYER_IP6, d, at, 40);
        } else {
            assert_int_equal(pkt.layers, BIT(LAYER_ETH));
            assert_true(pkt.not_decoded);
        }
        if (cases[i].linktype != DLT_EN10MB && cases[i].linktype != DLT_PPP_ETHER)
            assert_int_equal(pkt.eth.type, cases[i].type);
        assert_whole(i, &pkt);
        free(d);
    }
    /* cut inside the link header: truncated, nothing else */
    struct pb b;
    struct packet pkt;
    pb_init(&b);
    put_hex(&b, "ff03 0021");
    put_ip4_udp(&b);
    for (size_t cap = 0; cap < 4; cap++) {
        uint8_t *d = decode_pb(&pkt, DLT_PPP, &b, cap);
        assert_true(pkt.truncated & BIT(LAYER_ETH));
        assert_false(packet_has(&pkt, LAYER_IP4));
        free(d);
    }
}

/* 802.3 frames with LLC/SNAP (RFC 1042 and 802.1H): the EtherType inside
 * is decoded, the 8-byte LLC/SNAP header joins the link header, and the
 * 802.3 length bounds the payload (padding after it is not payload);
 * plain LLC (STP) and a foreign OUI are not decoded. */
static void test_llc_snap(void **state)
{
    (void)state;
    static const struct {
        const char *llc;
        uint16_t type; /* 0: not decoded */
    } cases[] = {
        {"aaaa03 000000 0800", 0x0800}, {"aaaa03 0000f8 0800", 0x0800},
        {"aaaa03 000000 0806", 0x0806}, {"aaaa03 00000c 2000", 0}, /* CDP */
        {"424203 000000 0800", 0},                                  /* STP's SAPs */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pb b;
        struct packet pkt;
        pb_init(&b);
        size_t len = put_eth(&b, 0) + 12; /* the length field */
        put_hex(&b, cases[i].llc);
        if (cases[i].type == 0x0806)
            put_hex(&b, "0001 0800 06 04 0001 020000000001 0a000001 000000000000 0a000002");
        else
            put_ip4_udp(&b);
        set_be16(&b, len, (uint16_t)(b.len - 14));
        put_fill(&b, 0, 6); /* padding to the 60-byte minimum: not payload */
        uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
        if (cases[i].type == 0) {
            assert_int_equal(pkt.layers, BIT(LAYER_ETH));
            ASSERT_LAYER(&pkt, LAYER_ETH, d, 0, 14);
            assert_true(pkt.not_decoded);
        } else {
            ASSERT_LAYER(&pkt, LAYER_ETH, d, 0, 22);
            assert_int_equal(pkt.eth.payload_type, cases[i].type);
            assert_true(pkt.eth.type < 1536); /* the 802.3 length, as on the wire */
            if (cases[i].type == 0x0800) {
                ASSERT_LAYER(&pkt, LAYER_IP4, d, 22, 20);
                assert_int_equal(pkt.udp.payload.len, 4);
            } else {
                assert_true(packet_has(&pkt, LAYER_ARP));
            }
        }
        assert_int_equal(pkt.truncated | pkt.malformed, 0);
        free(d);
    }
}

/* 802.11 data frames, plain and behind radiotap (with an FCS flagged):
 * addresses by the DS bits, QoS and 4-address headers, LLC/SNAP; frames
 * that are management, null data, protected or A-MSDU are not decoded. */
static void test_ieee80211(void **state)
{
    (void)state;
    static const struct {
        bool radiotap;
        const char *rt;     /* radiotap header (hex) */
        const char *mac;    /* 802.11 header (hex) */
        size_t hdr;         /* radiotap + MAC header bytes */
        int fcs;            /* trailing FCS bytes */
        const char *dst, *src;
        bool decoded;
    } cases[] = {
        /* data, To DS: addr1 BSSID, addr2 SA, addr3 DA */
        {false, "", "0801 0000 0a0000000001 020000000002 020000000003 0000", 24, 0,
         "02:00:00:00:00:03", "02:00:00:00:00:02", true},
        /* QoS data, From DS: addr1 DA, addr2 BSSID, addr3 SA */
        {false, "", "8802 0000 020000000001 0a0000000002 020000000003 0000 0000", 26, 0,
         "02:00:00:00:00:01", "02:00:00:00:00:03", true},
        /* WDS (both DS bits): addr3 DA, addr4 SA */
        {false, "", "0803 0000 0a0000000001 0a0000000002 020000000003 0000 020000000004", 30, 0,
         "02:00:00:00:00:03", "02:00:00:00:00:04", true},
        /* radiotap with TSFT and Flags (FCS at end) */
        {true, "00 00 1800 03000000 0000000000000000 10 00 0000 00000000", 
         "0801 0000 0a0000000001 020000000002 020000000003 0000", 24 + 24, 4,
         "02:00:00:00:00:03", "02:00:00:00:00:02", true},
        /* radiotap with Flags only, no FCS */
        {true, "00 00 0900 02000000 00", "0801 0000 0a0000000001 020000000002 020000000003 0000",
         9 + 24, 0, "02:00:00:00:00:03", "02:00:00:00:00:02", true},
        /* protected data */
        {false, "", "0841 0000 0a0000000001 020000000002 020000000003 0000", 24, 0, NULL, NULL, false},
        /* null data */
        {false, "", "4801 0000 0a0000000001 020000000002 020000000003 0000", 24, 0, NULL, NULL, false},
        /* QoS data with A-MSDU */
        {false, "", "8801 0000 0a0000000001 020000000002 020000000003 0000 8000", 26, 0, NULL, NULL, false},
        /* a beacon */
        {false, "", "8000 0000 ffffffffffff 020000000002 020000000002 0000", 24, 0, NULL, NULL, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pb b;
        struct packet pkt;
        pb_init(&b);
        put_hex(&b, cases[i].rt);
        put_hex(&b, cases[i].mac);
        put_hex(&b, "aaaa03 000000 0800");
        put_ip4_udp(&b);
        put_fill(&b, 0xee, (size_t)cases[i].fcs);
        int lt = cases[i].radiotap ? DLT_IEEE802_11_RADIO : DLT_IEEE802_11;
        uint8_t *d = decode_pb(&pkt, lt, &b, b.len);
        if (!cases[i].decoded) {
            assert_int_equal(pkt.layers, BIT(LAYER_ETH));
            assert_true(pkt.not_decoded);
            if (pkt.truncated | pkt.malformed)
                fail_msg("case %zu: truncated %x malformed %x", i, pkt.truncated, pkt.malformed);
            free(d);
            continue;
        }
        if (!packet_has(&pkt, LAYER_ETH) || pkt.ref[LAYER_ETH].len != cases[i].hdr + 8)
            fail_msg("case %zu: link header of %zu bytes, want %zu", i,
                     packet_has(&pkt, LAYER_ETH) ? (size_t)pkt.ref[LAYER_ETH].len : 0,
                     cases[i].hdr + 8);
        ASSERT_LAYER(&pkt, LAYER_IP4, d, cases[i].hdr + 8, 20);
        assert_int_equal(pkt.udp.payload.len, 4); /* the FCS is not payload */
        assert_int_equal(pkt.eth.type, 0x0800);
        char mac[18];
        format_hex_colon(pkt.eth.dst.p, pkt.eth.dst.len, mac);
        assert_string_equal(mac, cases[i].dst);
        format_hex_colon(pkt.eth.src.p, pkt.eth.src.len, mac);
        assert_string_equal(mac, cases[i].src);
        assert_whole(i, &pkt);
        free(d);
    }
    /* a radiotap header longer than the frame: truncated */
    struct pb b;
    struct packet pkt;
    pb_init(&b);
    put_hex(&b, "00 00 4000 02000000 00");
    uint8_t *d = decode_pb(&pkt, DLT_IEEE802_11_RADIO, &b, b.len);
    assert_true(pkt.truncated & BIT(LAYER_ETH));
    assert_int_equal(pkt.layers, 0);
    free(d);
}

static void test_linktype_supported(void **state)
{
    (void)state;
    static const int yes[] = {DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW,
                              DLT_IPV4,   DLT_IPV6,      DLT_NULL,       DLT_LOOP,
                              DLT_PPP,    DLT_PPP_SERIAL, DLT_PPP_ETHER, DLT_C_HDLC,
                              DLT_IEEE802_11, DLT_IEEE802_11_RADIO};
    static const int no[] = {DLT_PPP_PPPD, DLT_IEEE802_11_RADIO_AVS, DLT_NFLOG, -1, 100000};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        assert_true(decode_linktype_supported(yes[i]));
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        assert_false(decode_linktype_supported(no[i]));
}

static void test_layer_names(void **state)
{
    (void)state;
    static const char *const names[LAYER_COUNT] = {"eth",   "arp",   "ip4", "ip6",  "tcp", "udp",
                                                   "icmp4", "icmp6", "dns", "mdns", "dhcp"};
    for (int l = 0; l < LAYER_COUNT; l++)
        assert_string_equal(layer_name((enum layer)l), names[l]);
    assert_string_equal(layer_name(LAYER_COUNT), "?");
    assert_string_equal(layer_name((enum layer) - 1), "?");
}

/* The largest frame a capture may hold (snaplen 262144), made of nothing
 * but VLAN tags: the decoder must neither overflow its stack nor stop
 * reporting the tags as malformed. */
static void test_very_deep_vlan_stack(void **state)
{
    (void)state;
    size_t len = 262144;
    uint8_t *d = malloc(len);
    assert_non_null(d);
    memset(d, 0x11, 12);
    for (size_t i = 12; i + 1 < len; i += 2) {
        d[i] = 0x81;
        d[i + 1] = 0x00;
    }
    struct packet pkt;
    memset(&pkt, 0, sizeof pkt);
    decode_packet(&pkt, DLT_EN10MB, d, (uint32_t)len, (uint32_t)len, 1);
    assert_true(packet_has(&pkt, LAYER_ETH));
    assert_true(pkt.malformed & BIT(LAYER_ETH));
    assert_int_equal(pkt.eth.vlan_count, VLAN_MAX_TAGS);
    assert_true(pkt.ref[LAYER_ETH].len <= len);
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ethernet_ipv4),
        cmocka_unit_test(test_single_vlan),
        cmocka_unit_test(test_vlan_id_masks_pcp_and_dei),
        cmocka_unit_test(test_stacked_vlan),
        cmocka_unit_test(test_five_tags_malformed_but_followed),
        cmocka_unit_test(test_vlan_tag_cut),
        cmocka_unit_test(test_ethernet_cut),
        cmocka_unit_test(test_8023_length_and_unknown_type),
        cmocka_unit_test(test_mpls),
        cmocka_unit_test(test_pppoe),
        cmocka_unit_test(test_ppp_and_hdlc),
        cmocka_unit_test(test_llc_snap),
        cmocka_unit_test(test_ieee80211),
        cmocka_unit_test(test_sll),
        cmocka_unit_test(test_sll_address_lengths_and_types),
        cmocka_unit_test(test_sll2),
        cmocka_unit_test(test_null_and_loop),
        cmocka_unit_test(test_raw_ip),
        cmocka_unit_test(test_unknown_linktype),
        cmocka_unit_test(test_linktype_supported),
        cmocka_unit_test(test_layer_names),
        cmocka_unit_test(test_very_deep_vlan_stack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
