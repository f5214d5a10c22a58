/*
 * test_arp.c - ARP/RARP headers of any hardware and protocol address size.
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

static const uint8_t SHA[6] = {0x00, 0x0c, 0x29, 0x01, 0x02, 0x03};
static const uint8_t SPA[4] = {192, 168, 1, 10};
static const uint8_t THA[6] = {0, 0, 0, 0, 0, 0};
static const uint8_t TPA[4] = {192, 168, 1, 1};

static void put_arp(struct pb *b, uint16_t op)
{
    put_be16(b, 1);
    put_be16(b, 0x0800);
    put_u8(b, 6);
    put_u8(b, 4);
    put_be16(b, op);
    put_bytes(b, SHA, 6);
    put_bytes(b, SPA, 4);
    put_bytes(b, THA, 6);
    put_bytes(b, TPA, 4);
}

static void check_ipv4_arp(const struct packet *pkt, const uint8_t *d, uint16_t op)
{
    ASSERT_LAYER(pkt, LAYER_ARP, d, 14, 28);
    assert_int_equal(pkt->arp.hrd, 1);
    assert_int_equal(pkt->arp.pro, 0x0800);
    assert_int_equal(pkt->arp.hln, 6);
    assert_int_equal(pkt->arp.pln, 4);
    assert_int_equal(pkt->arp.op, op);
    assert_ptr_equal(pkt->arp.sha.p, d + 22);
    assert_int_equal(pkt->arp.sha.len, 6);
    assert_memory_equal(pkt->arp.sha.p, SHA, 6);
    assert_ptr_equal(pkt->arp.spa.p, d + 28);
    assert_int_equal(pkt->arp.spa.len, 4);
    assert_memory_equal(pkt->arp.spa.p, SPA, 4);
    assert_ptr_equal(pkt->arp.tha.p, d + 32);
    assert_int_equal(pkt->arp.tha.len, 6);
    assert_memory_equal(pkt->arp.tha.p, THA, 6);
    assert_ptr_equal(pkt->arp.tpa.p, d + 38);
    assert_int_equal(pkt->arp.tpa.len, 4);
    assert_memory_equal(pkt->arp.tpa.p, TPA, 4);
}

static void test_request(void **state)
{
    (void)state;
    struct pb b;
    struct packet pkt;
    pb_init(&b);
    put_eth(&b, 0x0806);
    put_arp(&b, 1);
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    assert_int_equal(pkt.layers, BIT(LAYER_ETH) | BIT(LAYER_ARP));
    assert_int_equal(pkt.truncated | pkt.malformed, 0);
    assert_int_equal(pkt.eth.payload_type, 0x0806);
    check_ipv4_arp(&pkt, d, 1);
    free(d);
}

static void test_reply_with_padding(void **state)
{
    (void)state;
    struct pb b;
    struct packet pkt;
    pb_init(&b);
    put_eth(&b, 0x0806);
    put_arp(&b, 2);
    put_fill(&b, 0xee, 18); /* Ethernet minimum frame padding */
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    check_ipv4_arp(&pkt, d, 2); /* header length stays 28 */
    assert_int_equal(pkt.truncated | pkt.malformed, 0);
    free(d);
}

static void test_rarp_ethertype(void **state)
{
    (void)state;
    struct pb b;
    struct packet pkt;
    pb_init(&b);
    put_eth(&b, 0x8035); /* RARP has its own EtherType */
    put_arp(&b, 3);
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    check_ipv4_arp(&pkt, d, 3);
    free(d);
}

static void test_other_address_sizes(void **state)
{
    (void)state;
    static const struct {
        uint8_t hln, pln;
    } cases[] = {{0, 0}, {8, 16}, {20, 4}, {255, 255}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pb b;
        struct packet pkt;
        uint8_t hln = cases[i].hln, pln = cases[i].pln;
        pb_init(&b);
        put_eth(&b, 0x0806);
        put_be16(&b, 0x0018);
        put_be16(&b, 0x86dd);
        put_u8(&b, hln);
        put_u8(&b, pln);
        put_be16(&b, 1);
        put_fill(&b, 0xa1, hln);
        put_fill(&b, 0xb2, pln);
        put_fill(&b, 0xc3, hln);
        put_fill(&b, 0xd4, pln);
        uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
        size_t len = 8 + 2u * hln + 2u * pln;
        ASSERT_LAYER(&pkt, LAYER_ARP, d, 14, len);
        assert_int_equal(pkt.arp.hrd, 0x18);
        assert_int_equal(pkt.arp.pro, 0x86dd);
        assert_int_equal(pkt.arp.hln, hln);
        assert_int_equal(pkt.arp.pln, pln);
        assert_ptr_equal(pkt.arp.sha.p, d + 22);
        assert_ptr_equal(pkt.arp.spa.p, d + 22 + hln);
        assert_ptr_equal(pkt.arp.tha.p, d + 22 + hln + pln);
        assert_ptr_equal(pkt.arp.tpa.p, d + 22 + 2 * hln + pln);
        assert_int_equal(pkt.arp.sha.len, hln);
        assert_int_equal(pkt.arp.tpa.len, pln);
        if (hln)
            assert_int_equal(pkt.arp.tha.p[0], 0xc3);
        if (pln)
            assert_int_equal(pkt.arp.tpa.p[pln - 1], 0xd4);
        free(d);

        /* one byte short of the addresses: truncated, not present */
        d = decode_pb(&pkt, DLT_EN10MB, &b, b.len - 1);
        if (len > 8) {
            assert_false(packet_has(&pkt, LAYER_ARP));
            assert_true(pkt.truncated & BIT(LAYER_ARP));
        }
        free(d);
    }
}

static void test_truncated(void **state)
{
    (void)state;
    struct pb b;
    struct packet pkt;
    pb_init(&b);
    put_eth(&b, 0x0806);
    put_arp(&b, 1);
    for (size_t cap = 14; cap < b.len; cap++) {
        uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, cap);
        assert_int_equal(pkt.layers, BIT(LAYER_ETH));
        assert_int_equal(pkt.truncated, BIT(LAYER_ARP));
        free(d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request),        cmocka_unit_test(test_reply_with_padding),
        cmocka_unit_test(test_rarp_ethertype), cmocka_unit_test(test_other_address_sizes),
        cmocka_unit_test(test_truncated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
