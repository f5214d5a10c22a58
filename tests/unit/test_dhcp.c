/*
 * test_dhcp.c - BOOTP/DHCP: the fixed part, the options netsift keeps
 * (53, 12, 55, 60, 61, 50), missing END, truncated options, and plain
 * BOOTP without the magic cookie.
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

static const uint8_t CIADDR[4] = {1, 2, 3, 4}, YIADDR[4] = {192, 168, 1, 100},
                     SIADDR[4] = {192, 168, 1, 1}, GIADDR[4] = {10, 9, 8, 7};
static const uint8_t CHADDR[16] = {0x00, 0x0c, 0x29, 0xab, 0xcd, 0xef, 0x10, 0x11,
                                   0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19};

/* The 236-byte fixed part. */
static void put_bootp(struct pb *b, uint8_t op, uint8_t hlen)
{
    put_u8(b, op);
    put_u8(b, 1);
    put_u8(b, hlen);
    put_u8(b, 2);
    put_be32(b, 0x3903f326);
    put_be16(b, 0x0102);
    put_be16(b, 0x8000);
    put_bytes(b, CIADDR, 4);
    put_bytes(b, YIADDR, 4);
    put_bytes(b, SIADDR, 4);
    put_bytes(b, GIADDR, 4);
    put_bytes(b, CHADDR, 16);
    size_t sname = put_fill(b, 0, 64);
    memcpy(b->d + sname, "bootsrv", 7);
    put_fill(b, 0, 128);
}

/* Ethernet/IPv4/UDP 68 -> 67 around the message in m. */
static uint8_t *decode_msg(struct packet *pkt, const struct pb *m, struct layout *lay)
{
    struct pb b;
    build_udp4(&b, 68, 67, m->d, m->len, lay);
    return decode_pb(pkt, DLT_EN10MB, &b, b.len);
}

static void check_fixed(const struct packet *pkt, const uint8_t *d, const struct layout *lay,
                        uint8_t op, uint8_t hlen)
{
    assert_int_equal(pkt->dhcp.op, op);
    assert_int_equal(pkt->dhcp.htype, 1);
    assert_int_equal(pkt->dhcp.hlen, hlen);
    assert_int_equal(pkt->dhcp.hops, 2);
    assert_int_equal(pkt->dhcp.xid, 0x3903f326);
    assert_int_equal(pkt->dhcp.secs, 0x0102);
    assert_int_equal(pkt->dhcp.flags, 0x8000);
    assert_memory_equal(pkt->dhcp.ciaddr, CIADDR, 4);
    assert_memory_equal(pkt->dhcp.yiaddr, YIADDR, 4);
    assert_memory_equal(pkt->dhcp.siaddr, SIADDR, 4);
    assert_memory_equal(pkt->dhcp.giaddr, GIADDR, 4);
    assert_ptr_equal(pkt->dhcp.chaddr.p, d + lay->payload + 28);
    assert_int_equal(pkt->dhcp.chaddr.len, hlen > 16 ? 16 : hlen);
}

static void assert_span(struct bytes s, const uint8_t *d, size_t off, const char *value, size_t n)
{
    assert_ptr_equal(s.p, d + off);
    assert_int_equal(s.len, n);
    assert_memory_equal(s.p, value, n);
}

static void test_discover_with_options(void **state)
{
    (void)state;
    struct pb m;
    struct layout lay;
    struct packet pkt;
    pb_init(&m);
    put_bootp(&m, 1, 6);
    put_be32(&m, 0x63825363);
    put_hex(&m, "3501 01");
    size_t cid = put_hex(&m, "3d07 01000c29abcdef") + 2;
    size_t req = put_hex(&m, "3204 c0a80164") + 2;
    put_hex(&m, "00 00"); /* PAD */
    size_t host = put_hex(&m, "0c05") + 2;
    put_bytes(&m, "host1", 5);
    size_t vendor = put_hex(&m, "3c08") + 2;
    put_bytes(&m, "MSFT 5.0", 8);
    size_t params = put_hex(&m, "3704 0103060f") + 2;
    put_hex(&m, "ff");
    put_fill(&m, 0, 7);
    uint8_t *d = decode_msg(&pkt, &m, &lay);
    assert_int_equal(pkt.layers,
                     BIT(LAYER_ETH) | BIT(LAYER_IP4) | BIT(LAYER_UDP) | BIT(LAYER_DHCP));
    assert_int_equal(pkt.truncated | pkt.malformed, 0);
    ASSERT_LAYER(&pkt, LAYER_DHCP, d, lay.payload, m.len);
    check_fixed(&pkt, d, &lay, 1, 6);
    assert_int_equal(pkt.dhcp.msg_type, 1);
    size_t base = lay.payload;
    assert_span(pkt.dhcp.client_id, d, base + cid, "\x01\x00\x0c\x29\xab\xcd\xef", 7);
    assert_span(pkt.dhcp.requested_ip, d, base + req, "\xc0\xa8\x01\x64", 4);
    assert_span(pkt.dhcp.host_name, d, base + host, "host1", 5);
    assert_span(pkt.dhcp.vendor_class, d, base + vendor, "MSFT 5.0", 8);
    assert_span(pkt.dhcp.param_list, d, base + params, "\x01\x03\x06\x0f", 4);
    free(d);
}

static void test_hardware_address_length(void **state)
{
    (void)state;
    static const uint8_t hlens[] = {0, 1, 16, 17, 255};
    for (size_t i = 0; i < sizeof hlens; i++) {
        struct pb m;
        struct layout lay;
        struct packet pkt;
        pb_init(&m);
        put_bootp(&m, 2, hlens[i]);
        put_be32(&m, 0x63825363);
        put_hex(&m, "3501 05 ff");
        uint8_t *d = decode_msg(&pkt, &m, &lay);
        check_fixed(&pkt, d, &lay, 2, hlens[i]);
        assert_int_equal(pkt.dhcp.msg_type, 5);
        free(d);
    }
}

static void test_missing_end(void **state)
{
    (void)state;
    struct pb m;
    struct layout lay;
    struct packet pkt;
    pb_init(&m);
    put_bootp(&m, 1, 6);
    put_be32(&m, 0x63825363);
    put_hex(&m, "3501 03");
    size_t host = put_hex(&m, "0c03") + 2;
    put_bytes(&m, "pc7", 3);
    uint8_t *d = decode_msg(&pkt, &m, &lay);
    ASSERT_LAYER(&pkt, LAYER_DHCP, d, lay.payload, m.len);
    assert_int_equal(pkt.dhcp.msg_type, 3);
    assert_span(pkt.dhcp.host_name, d, lay.payload + host, "pc7", 3);
    assert_false(pkt.truncated & BIT(LAYER_DHCP));
    free(d);
}

static void test_truncated_option(void **state)
{
    (void)state;
    static const char *const tails[] = {
        "0c0a 6162", /* value runs past the end */
        "0c",        /* code without a length */
        "3d10 01",
    };
    for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
        struct pb m;
        struct layout lay;
        struct packet pkt;
        pb_init(&m);
        put_bootp(&m, 1, 6);
        put_be32(&m, 0x63825363);
        put_hex(&m, "3501 08");
        put_hex(&m, tails[i]);
        uint8_t *d = decode_msg(&pkt, &m, &lay);
        ASSERT_LAYER(&pkt, LAYER_DHCP, d, lay.payload, m.len);
        assert_true(pkt.truncated & BIT(LAYER_DHCP));
        assert_int_equal(pkt.dhcp.msg_type, 8); /* what came before is kept */
        assert_null(pkt.dhcp.host_name.p);
        assert_null(pkt.dhcp.client_id.p);
        free(d);
    }
}

static void test_bad_and_late_options(void **state)
{
    (void)state;
    struct pb m;
    struct layout lay;
    struct packet pkt;
    /* option 53 with no value */
    pb_init(&m);
    put_bootp(&m, 1, 6);
    put_be32(&m, 0x63825363);
    put_hex(&m, "3500 ff");
    uint8_t *d = decode_msg(&pkt, &m, &lay);
    assert_true(pkt.malformed & BIT(LAYER_DHCP));
    assert_int_equal(pkt.dhcp.msg_type, -1);
    free(d);

    /* options after END are not options */
    pb_init(&m);
    put_bootp(&m, 1, 6);
    put_be32(&m, 0x63825363);
    put_hex(&m, "ff 3501 01 0c02 6869");
    d = decode_msg(&pkt, &m, &lay);
    assert_int_equal(pkt.dhcp.msg_type, -1);
    assert_null(pkt.dhcp.host_name.p);
    assert_int_equal(pkt.truncated | pkt.malformed, 0);
    free(d);

    /* an empty option value is a span of length 0, not absent */
    pb_init(&m);
    put_bootp(&m, 1, 6);
    put_be32(&m, 0x63825363);
    size_t host = put_hex(&m, "0c00") + 2;
    put_hex(&m, "ff");
    d = decode_msg(&pkt, &m, &lay);
    assert_ptr_equal(pkt.dhcp.host_name.p, d + lay.payload + host);
    assert_int_equal(pkt.dhcp.host_name.len, 0);
    free(d);
}

static void check_plain_bootp(const struct pb *m)
{
    struct layout lay;
    struct packet pkt;
    uint8_t *d = decode_msg(&pkt, m, &lay);
    ASSERT_LAYER(&pkt, LAYER_DHCP, d, lay.payload, m->len);
    check_fixed(&pkt, d, &lay, 1, 6);
    assert_int_equal(pkt.dhcp.msg_type, -1);
    assert_null(pkt.dhcp.host_name.p);
    assert_null(pkt.dhcp.vendor_class.p);
    assert_null(pkt.dhcp.param_list.p);
    assert_null(pkt.dhcp.client_id.p);
    assert_null(pkt.dhcp.requested_ip.p);
    assert_int_equal(pkt.truncated | pkt.malformed, 0);
    free(d);
}

static void test_plain_bootp(void **state)
{
    (void)state;
    struct pb m;
    /* RFC 951: 64-byte vendor area, here holding what would be option 53
     * if a cookie were there */
    pb_init(&m);
    put_bootp(&m, 1, 6);
    put_hex(&m, "3501 01 ff");
    put_fill(&m, 0, 60);
    check_plain_bootp(&m);
    /* no vendor area at all */
    pb_init(&m);
    put_bootp(&m, 1, 6);
    check_plain_bootp(&m);
    /* a cookie off by one bit */
    pb_init(&m);
    put_bootp(&m, 1, 6);
    put_be32(&m, 0x63825362);
    put_hex(&m, "3501 01 ff");
    check_plain_bootp(&m);
    /* a cookie cut short */
    pb_init(&m);
    put_bootp(&m, 1, 6);
    put_hex(&m, "638253");
    check_plain_bootp(&m);
}

static void test_fixed_part_cut(void **state)
{
    (void)state;
    struct pb m;
    pb_init(&m);
    put_bootp(&m, 1, 6);
    for (size_t n = 0; n < 236; n += 7) {
        struct pb b;
        struct layout lay;
        struct packet pkt;
        build_udp4(&b, 68, 67, m.d, n, &lay);
        uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
        assert_false(packet_has(&pkt, LAYER_DHCP));
        assert_true(pkt.truncated & BIT(LAYER_DHCP));
        free(d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_discover_with_options),
        cmocka_unit_test(test_hardware_address_length),
        cmocka_unit_test(test_missing_end),
        cmocka_unit_test(test_truncated_option),
        cmocka_unit_test(test_bad_and_late_options),
        cmocka_unit_test(test_plain_bootp),
        cmocka_unit_test(test_fixed_part_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
