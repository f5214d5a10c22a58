/*
 * test_icmp.c - ICMPv4 and ICMPv6: the stored 8-byte header (type, code,
 * checksum and the 32-bit rest of header).
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

struct icmp_case {
    const char *hex; /* the whole message */
    uint8_t type, code;
    uint16_t checksum;
    uint32_t data32;
};

static const struct icmp_case icmp4_cases[] = {
    /* echo request, id 0x1234 seq 7, 8 data bytes */
    {"0800 f7ff 1234 0007 6162636465666768", 8, 0, 0xf7ff, 0x12340007},
    {"0000 abcd 1234 0007", 0, 0, 0xabcd, 0x12340007}, /* echo reply */
    /* redirect to gateway 10.0.0.254, with the offending IP header */
    {"0501 0000 0a0000fe 4500001c000100004011000001020304 05060708 0000000000000000", 5, 1, 0,
     0x0a0000fe},
    /* fragmentation needed, next-hop MTU 1400 */
    {"0304 1111 00000578 4500", 3, 4, 0x1111, 0x00000578},
    {"0b00 2222 00000000", 11, 0, 0x2222, 0}, /* time exceeded */
    {"ffff ffff ffffffff", 255, 255, 0xffff, 0xffffffff},
};

static const struct icmp_case icmp6_cases[] = {
    {"8000 1234 abcd 0001 00112233", 128, 0, 0x1234, 0xabcd0001}, /* echo request */
    {"0200 4321 00000500 6000000000000000", 2, 0, 0x4321, 1280},  /* packet too big */
    /* neighbour advertisement: R S O flags, then the target */
    {"8800 0bad e0000000 20010db8000000000000000000000001", 136, 0, 0x0bad, 0xe0000000},
    /* neighbour solicitation: reserved, target */
    {"8700 0000 00000000 fe800000000000000000000000000001", 135, 0, 0, 0},
    {"0403 5555 00000028", 4, 3, 0x5555, 40}, /* parameter problem, pointer 40 */
};

static void check_case(const struct icmp_case *c, bool v6)
{
    struct pb b;
    struct packet pkt;
    pb_init(&b);
    put_eth(&b, v6 ? 0x86dd : 0x0800);
    size_t ip = v6 ? put_ip6(&b, 58) : put_ip4(&b, 1, NULL);
    size_t icmp = put_hex(&b, c->hex);
    if (v6)
        finish_ip6(&b, ip);
    else
        finish_ip4(&b, ip);
    enum layer l = v6 ? LAYER_ICMP6 : LAYER_ICMP4;
    const struct icmp_fields *f = v6 ? &pkt.icmp6 : &pkt.icmp4;
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    assert_int_equal(pkt.layers, BIT(LAYER_ETH) | BIT(v6 ? LAYER_IP6 : LAYER_IP4) | BIT(l));
    assert_int_equal(pkt.truncated | pkt.malformed, 0);
    ASSERT_LAYER(&pkt, l, d, icmp, 8);
    assert_int_equal(f->type, c->type);
    assert_int_equal(f->code, c->code);
    assert_int_equal(f->checksum, c->checksum);
    assert_int_equal(f->data32, c->data32);
    free(d);

    for (size_t cap = icmp; cap < icmp + 8; cap++) {
        d = decode_pb(&pkt, DLT_EN10MB, &b, cap);
        assert_false(packet_has(&pkt, l));
        assert_true(pkt.truncated & BIT(l));
        free(d);
    }
}

static void test_icmp4(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof icmp4_cases / sizeof icmp4_cases[0]; i++)
        check_case(&icmp4_cases[i], false);
}

static void test_icmp6(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof icmp6_cases / sizeof icmp6_cases[0]; i++)
        check_case(&icmp6_cases[i], true);
}

static void test_ip_length_shorter_than_header(void **state)
{
    (void)state;
    /* ip_len leaves 4 bytes of ICMP: the rest captured is padding */
    struct pb b;
    struct packet pkt;
    pb_init(&b);
    put_eth(&b, 0x0800);
    size_t ip = put_ip4(&b, 1, NULL);
    put_hex(&b, "0800 f7ff 1234 0007");
    set_be16(&b, ip + 2, 24);
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    assert_false(packet_has(&pkt, LAYER_ICMP4));
    assert_true((pkt.truncated | pkt.malformed) & BIT(LAYER_ICMP4));
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_icmp4),
        cmocka_unit_test(test_icmp6),
        cmocka_unit_test(test_ip_length_shorter_than_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
