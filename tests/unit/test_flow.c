/*
 * test_flow.c - the one flow key (decode/flow.h): pkt->flow as the decoder
 * fills it; both directions of a conversation give the same hash and
 * opposite endpoint sides; the VLAN and the ports are part of the key; a
 * later fragment has no ports; a frame without IP leaves no stale tuple;
 * the monitor's flow key and the workers' dispatcher use the same hash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decode/flow.h"
#include "monitor/flow_table.h"
#include "pktbuild.h"

static struct pb b;
static struct layout lay;

/* Swap the IP addresses and the ports of the frame in b (family 4 or 6). */
static void reverse(int family)
{
    size_t off = family == 4 ? 12 : 8, len = family == 4 ? 4 : 16;
    uint8_t t[16];
    memcpy(t, b.d + lay.ip + off, len);
    memmove(b.d + lay.ip + off, b.d + lay.ip + off + len, len);
    memcpy(b.d + lay.ip + off + len, t, len);
    uint8_t p[2];
    memcpy(p, b.d + lay.l4, 2);
    memmove(b.d + lay.l4, b.d + lay.l4 + 2, 2);
    memcpy(b.d + lay.l4 + 2, p, 2);
}

/* Decode b as Ethernet; its bytes stay until the next call (the link
 * addresses point into them). */
static struct flow_tuple decode_flow(struct packet *pkt)
{
    static uint8_t *bytes;
    free(bytes);
    bytes = decode_pb(pkt, 1, &b, b.len);
    return pkt->flow;
}

static void test_both_directions(void **state)
{
    (void)state;
    struct packet pkt;
    build_tcp4(&b, 40000, 443, 0x02, NULL, NULL, "", 0, &lay);
    struct flow_tuple a = decode_flow(&pkt);
    assert_int_equal(a.family, 4);
    assert_int_equal(a.proto, 6);
    assert_true(a.ports);
    assert_false(a.later_fragment);
    assert_int_equal(a.sport, 40000);
    assert_int_equal(a.dport, 443);
    assert_memory_equal(a.src, PB_IP4_SRC, 4);
    assert_memory_equal(a.dst, PB_IP4_DST, 4);
    assert_int_equal(packet_flow_hash(&pkt), a.hash);
    reverse(4);
    struct flow_tuple r = decode_flow(&pkt);
    assert_int_equal(r.sport, 443);
    assert_memory_equal(r.src, PB_IP4_DST, 4);
    assert_int_equal(r.hash, a.hash);
    assert_int_equal(r.lo_side, a.lo_side ^ 1);

    build_udp6(&b, 5353, 53, "x", 1, &lay);
    struct flow_tuple u = decode_flow(&pkt);
    assert_int_equal(u.family, 6);
    assert_int_equal(u.proto, 17);
    reverse(6);
    struct flow_tuple v = decode_flow(&pkt);
    assert_int_equal(v.hash, u.hash);
    assert_int_equal(v.lo_side, u.lo_side ^ 1);
    assert_int_not_equal(u.hash, a.hash);
}

static void test_key_parts(void **state)
{
    (void)state;
    struct packet pkt;
    build_udp4(&b, 1000, 2000, "", 0, &lay);
    uint32_t plain = decode_flow(&pkt).hash;
    build_udp4(&b, 1000, 2001, "", 0, &lay);
    assert_int_not_equal(decode_flow(&pkt).hash, plain);

    /* the same datagram in VLAN 42: another flow */
    pb_init(&b);
    put_bytes(&b, PB_MAC_DST, 6);
    put_bytes(&b, PB_MAC_SRC, 6);
    put_vlan(&b, 0x8100, 42, 0x0800);
    lay.ip = put_ip4(&b, 17, NULL);
    lay.l4 = put_udp(&b, 1000, 2000);
    finish_udp(&b, lay.l4);
    finish_ip4(&b, lay.ip);
    struct flow_tuple t = decode_flow(&pkt);
    assert_int_equal(t.vlan, 42);
    assert_int_not_equal(t.hash, plain);

    /* a later fragment: addresses, no ports */
    build_udp4(&b, 1000, 2000, "", 0, &lay);
    set_be16(&b, lay.ip + 6, 0x0010); /* offset 128 bytes */
    t = decode_flow(&pkt);
    assert_true(t.later_fragment);
    assert_false(t.ports);
    assert_int_equal(t.family, 4);
}

static void test_no_ip(void **state)
{
    (void)state;
    struct packet pkt;
    build_tcp4(&b, 1, 2, 0x02, NULL, NULL, "", 0, &lay);
    decode_flow(&pkt);
    assert_int_equal(pkt.flow.family, 4);
    /* the same struct, a link type netsift does not decode: no tuple left over */
    uint8_t *copy = pb_dup(&b, b.len);
    decode_packet(&pkt, 147, copy, (uint32_t)b.len, (uint32_t)b.len, 1);
    free(copy);
    assert_int_equal(pkt.flow.family, 0);
    assert_false(pkt.flow.ports);
    /* ARP: the dispatcher hashes the MAC pair, the same both ways */
    pb_init(&b);
    put_eth(&b, 0x0806);
    put_hex(&b, "0001080006040001");
    put_bytes(&b, PB_MAC_SRC, 6);
    put_bytes(&b, PB_IP4_SRC, 4);
    put_fill(&b, 0, 6);
    put_bytes(&b, PB_IP4_DST, 4);
    decode_flow(&pkt);
    assert_int_equal(pkt.flow.family, 0);
    uint32_t h = packet_flow_hash(&pkt);
    assert_int_not_equal(h, 0);
    uint8_t m[6];
    memcpy(m, b.d, 6);
    memmove(b.d, b.d + 6, 6);
    memcpy(b.d + 6, m, 6);
    decode_flow(&pkt);
    assert_int_equal(packet_flow_hash(&pkt), h);
}

/* The monitor's flow table keys on the same hash as the dispatcher. */
static void test_one_hash(void **state)
{
    (void)state;
    struct packet pkt;
    struct flow_key k1, k2;
    unsigned s1, s2;
    build_tcp4(&b, 40000, 80, 0x02, NULL, NULL, "", 0, &lay);
    decode_flow(&pkt);
    assert_true(flow_key_of(&pkt, &k1, &s1));
    assert_int_equal(k1.hash, packet_flow_hash(&pkt));
    reverse(4);
    decode_flow(&pkt);
    assert_true(flow_key_of(&pkt, &k2, &s2));
    assert_memory_equal(&k1, &k2, sizeof k1);
    assert_int_equal(s1, s2 ^ 1);
    /* flow_hash itself: symmetric, and the endpoint order is address first */
    const uint8_t lo[4] = {10, 0, 0, 1}, hi[4] = {10, 0, 0, 2};
    assert_int_equal(flow_hash(4, 6, 0, lo, 9, hi, 1), flow_hash(4, 6, 0, hi, 1, lo, 9));
    assert_true(flow_endpoint_cmp(lo, 9, hi, 1, 4) < 0);
    assert_true(flow_endpoint_cmp(lo, 2, lo, 1, 4) > 0);
    assert_int_equal(flow_endpoint_cmp(lo, 1, lo, 1, 4), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_both_directions),
        cmocka_unit_test(test_key_parts),
        cmocka_unit_test(test_no_ip),
        cmocka_unit_test(test_one_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
