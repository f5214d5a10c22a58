/*
 * test_community_id.c - Community ID v1 against the specification's
 * published baseline (corelight/community-id-spec, baseline/README.md:
 * the default and seed=1 tables, both directions of every tuple), and
 * packet_community_id() on decoded packets: both directions equal, SCTP
 * ports, later fragments and frames without IP have no value.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pcap/dlt.h>

#include "decode/community_id.h"
#include "decode/packet.h"
#include "pktbuild.h"

struct vector {
    uint8_t proto;
    const char *src, *dst;
    int sport, dport; /* -1: the protocol has no ports */
    const char *seed0, *seed1;
};

/* The baseline tables: each row once; the test also runs it reversed
 * except for the one-way ICMP rows. */
static const struct vector vectors[] = {
    {6, "1.2.3.4", "5.6.7.8", 1122, 3344, "1:wCb3OG7yAFWelaUydu0D+125CLM=", "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk="},
    {17, "1.2.3.4", "5.6.7.8", 1122, 3344, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=", "1:OShq+iKDAMVouh/4bMxB9Sz4amw="},
    {132, "1.2.3.4", "5.6.7.8", 1122, 3344, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=", "1:uitchpn5MMGAQKBJh7bIr/bAr7s="},
    {1, "1.2.3.4", "5.6.7.8", 8, 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=", "1:9pr4ZGTICiuZoIh90RRYE2RyXpU="},
    {1, "5.6.7.8", "1.2.3.4", 0, 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=", "1:9pr4ZGTICiuZoIh90RRYE2RyXpU="},
    {1, "1.2.3.4", "5.6.7.8", 11, 0, "1:f/YiSyWqczrTgfUCZlBUnvHRcPk=", "1:1DD7cWGC/Yg91YGsQeni8du3pIA="},
    {58, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 128, 0,
     "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=", "1:IO27GQzPuCtNnwFvjWALMHu5tJE="},
    {58, "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", 129, 0,
     "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=", "1:IO27GQzPuCtNnwFvjWALMHu5tJE="},
    {58, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 146, 0,
     "1:fYC8+pz24E+EhANP1EZhpX0Dw10=", "1:Cv4IKJe56BNkF0MBW2YxQ3Nwc3s="},
    {46, "1.2.3.4", "5.6.7.8", -1, -1, "1:ikv3kmf89luf73WPz1jOs49S768=", "1:/buhqeOmaRCopOZFy9HnoJd5XW8="},
    {46, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", -1, -1,
     "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=", "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM="},
};

static size_t parse_addr(const char *text, uint8_t out[16])
{
    if (inet_pton(AF_INET, text, out) == 1)
        return 4;
    assert_int_equal(inet_pton(AF_INET6, text, out), 1);
    return 16;
}

static void check(const struct vector *v, bool reverse, uint16_t seed, const char *want)
{
    uint8_t a[16], b[16];
    size_t n = parse_addr(v->src, a);
    assert_int_equal(parse_addr(v->dst, b), n);
    bool ports = v->sport >= 0;
    char out[COMMUNITY_ID_SIZE];
    int rc;
    if (reverse) /* ICMP request/reply rows give the reply's own type */
        rc = community_id_v1(seed, b, a, n, v->proto, ports, (uint16_t)v->dport, (uint16_t)v->sport, out);
    else
        rc = community_id_v1(seed, a, b, n, v->proto, ports, (uint16_t)v->sport, (uint16_t)v->dport, out);
    assert_int_equal(rc, 0);
    assert_string_equal(out, want);
}

static void test_baseline(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        const struct vector *v = &vectors[i];
        check(v, false, 0, v->seed0);
        check(v, false, 1, v->seed1);
        if (v->proto != 1 && v->proto != 58) { /* TCP, UDP, SCTP, RSVP: "... and back" rows */
            check(v, true, 0, v->seed0);
            check(v, true, 1, v->seed1);
        }
    }
}

static void test_bad_address_length(void **state)
{
    (void)state;
    uint8_t a[16] = {0};
    char out[COMMUNITY_ID_SIZE] = "x";
    assert_int_equal(community_id_v1(0, a, a, 6, 6, true, 1, 2, out), -1);
    assert_string_equal(out, "");
}

/* Decode a frame and return its Community ID (copied), or "" for none. */
static void packet_cid(const struct pb *b, size_t caplen, char out[COMMUNITY_ID_SIZE])
{
    struct packet pkt;
    uint8_t *copy = decode_pb(&pkt, DLT_EN10MB, b, caplen);
    pkt.cid_state = 0; /* decode_pb fills the struct with 0xa5 first; decode resets it */
    const char *cid = packet_community_id(&pkt);
    snprintf(out, COMMUNITY_ID_SIZE, "%s", cid ? cid : "");
    assert_true(packet_community_id(&pkt) == cid); /* cached */
    free(copy);
}

/* A TCP or UDP frame 192.0.2.x <-> ... in either direction. */
static void test_packet_both_directions(void **state)
{
    (void)state;
    struct pb b;
    struct layout lay;
    char fwd[COMMUNITY_ID_SIZE], back[COMMUNITY_ID_SIZE], want[COMMUNITY_ID_SIZE];
    community_id_set_seed(0);
    pb_init(&b);
    build_tcp4(&b, 40000, 443, 0x02, NULL, NULL, "", 0, &lay);
    packet_cid(&b, b.len, fwd);
    /* the same frame with the addresses and ports swapped */
    uint8_t tmp[4];
    memcpy(tmp, b.d + lay.ip + 12, 4);
    memcpy(b.d + lay.ip + 12, b.d + lay.ip + 16, 4);
    memcpy(b.d + lay.ip + 16, tmp, 4);
    set_be16(&b, lay.l4, 443);
    set_be16(&b, lay.l4 + 2, 40000);
    packet_cid(&b, b.len, back);
    assert_string_equal(fwd, back);
    assert_int_equal(community_id_v1(0, PB_IP4_SRC, PB_IP4_DST, 4, 6, true, 40000, 443, want), 0);
    assert_string_equal(fwd, want);
    /* another seed, another value */
    community_id_set_seed(1);
    packet_cid(&b, b.len, back);
    assert_string_not_equal(fwd, back);
    community_id_set_seed(0);
    /* cut inside the TCP header: no transport header, no value */
    packet_cid(&b, lay.l4 + 10, back);
    assert_string_equal(back, "");
    /* IPv6 UDP */
    pb_init(&b);
    build_udp6(&b, 5353, 53, "x", 1, &lay);
    packet_cid(&b, b.len, fwd);
    assert_int_equal(community_id_v1(0, PB_IP6_SRC, PB_IP6_DST, 16, 17, true, 5353, 53, want), 0);
    assert_string_equal(fwd, want);
}

static void test_packet_sctp_fragment_arp(void **state)
{
    (void)state;
    struct pb b;
    char got[COMMUNITY_ID_SIZE], want[COMMUNITY_ID_SIZE];
    community_id_set_seed(0);
    /* SCTP: ports from the common header netsift does not otherwise decode */
    pb_init(&b);
    put_eth(&b, 0x0800);
    size_t ip = put_ip4(&b, 132, NULL);
    put_be16(&b, 1122);
    put_be16(&b, 3344);
    put_be32(&b, 0);
    put_be32(&b, 0);
    finish_ip4(&b, ip);
    packet_cid(&b, b.len, got);
    assert_int_equal(community_id_v1(0, PB_IP4_SRC, PB_IP4_DST, 4, 132, true, 1122, 3344, want), 0);
    assert_string_equal(got, want);
    /* cut before its ports: none */
    packet_cid(&b, ip + 22, got);
    assert_string_equal(got, "");
    /* a later UDP fragment: no ports, no value */
    pb_init(&b);
    put_eth(&b, 0x0800);
    ip = put_ip4(&b, 17, NULL);
    put_fill(&b, 0xab, 16);
    finish_ip4(&b, ip);
    set_be16(&b, ip + 6, 0x0010); /* offset 16 * 8 */
    packet_cid(&b, b.len, got);
    assert_string_equal(got, "");
    /* GRE (no ports): the port-less hash */
    pb_init(&b);
    put_eth(&b, 0x0800);
    ip = put_ip4(&b, 47, NULL);
    put_fill(&b, 0, 4);
    finish_ip4(&b, ip);
    packet_cid(&b, b.len, got);
    assert_int_equal(community_id_v1(0, PB_IP4_SRC, PB_IP4_DST, 4, 47, false, 0, 0, want), 0);
    assert_string_equal(got, want);
    /* ARP: no IP, no value */
    pb_init(&b);
    put_eth(&b, 0x0806);
    put_hex(&b, "0001080006040001" "020000000001c0a80001" "000000000000c0a80002");
    packet_cid(&b, b.len, got);
    assert_string_equal(got, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_baseline),
        cmocka_unit_test(test_bad_address_length),
        cmocka_unit_test(test_packet_both_directions),
        cmocka_unit_test(test_packet_sctp_fragment_arp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
