/*
 * test_truncation.c - every decoder against short and damaged input.
 *
 * For one valid frame per protocol, every prefix (caplen 0 .. len-1) is
 * decoded from a heap block of exactly caplen bytes, so AddressSanitizer
 * turns any read past caplen into a failure.  For each prefix:
 *   - no layer reported present extends past caplen;
 *   - a layer whose header lies wholly inside the prefix is decoded as in
 *     the whole frame (same length, same hash);
 *   - the layer that was cut (the prefix ends inside it, or right at its
 *     start) has its truncated bit set and is not reported whole;
 *   - a layer that starts after the cut is absent;
 *   - something is flagged truncated (cutting a frame is never silent).
 * Then every byte of every frame is set to 0x00 and to 0xff in turn and
 * the result decoded and turned into rows: it must not crash (ASan and
 * UBSan are the judges) and must keep the same bounds invariants.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pcap/dlt.h>
#include <xxhash.h>

#include "decode/packet.h"
#include "pktbuild.h"
#include "db/batch.h"

#define BIT(l) (1u << (l))

static void frame_arp(struct pb *b)
{
    put_eth(b, 0x0806);
    put_hex(b, "0001 0800 06 04 0001 001b21aabbcc 0a000001 000000000000 0a000002");
}

static void frame_tcp4(struct pb *b)
{
    struct layout lay;
    build_tcp4(b, 40000, 80, 0x18, "94040000 01010100", "0101080a 11223344 55667788",
               "GET / HTTP/1.0\r\n\r\n", 18, &lay);
}

static void frame_udp6_ext(struct pb *b)
{
    put_eth(b, 0x86dd);
    size_t ip = put_ip6(b, 0);
    put_hex(b, "3c00 0104 00000000");                    /* hop-by-hop -> dst opts */
    put_hex(b, "2b01 0000 00000000 0000 0000 00000000"); /* dst opts (16) -> routing */
    put_hex(b, "2c02 0000 00000000 20010db8000000000000000000000002"); /* routing -> frag */
    put_hex(b, "3300 0000 12345678");                                  /* atomic fragment -> AH */
    put_hex(b, "1104 0000 00001000 00000001 5a5a5a5a 5a5a5a5a 5a5a5a5a"); /* AH -> UDP */
    size_t udp = put_udp(b, 33000, 4789);
    put_hex(b, "0800000000000100");
    finish_udp(b, udp);
    finish_ip6(b, ip);
}

static void frame_icmp4(struct pb *b)
{
    put_eth(b, 0x0800);
    size_t ip = put_ip4(b, 1, NULL);
    put_hex(b, "0800 f7ff 1234 0007 6162636465666768");
    finish_ip4(b, ip);
}

static void frame_icmp6(struct pb *b)
{
    put_eth(b, 0x86dd);
    size_t ip = put_ip6(b, 58);
    put_hex(b, "8700 0000 00000000 fe800000000000000000000000000001 0101 001b21aabbcc");
    finish_ip6(b, ip);
}

static void frame_dns(struct pb *b)
{
    struct pb m;
    struct layout lay;
    pb_init(&m);
    put_hex(&m, "beef 8180 0001 0002 0000 0001");
    put_hex(&m, "03777777 076578616d706c65 03636f6d 00 0001 0001");
    put_hex(&m, "c00c 0005 0001 0000012c 0006 03776562 c010");
    put_hex(&m, "c02d 0001 0001 0000012c 0004 5db8d822");
    put_hex(&m, "00 0029 1000 0000 0000 0000"); /* EDNS OPT, additional section */
    build_udp4(b, 53, 51000, m.d, m.len, &lay);
}

static void frame_mdns(struct pb *b)
{
    struct pb m;
    struct layout lay;
    pb_init(&m);
    put_hex(&m, "0000 8400 0000 0001 0000 0001");
    put_hex(&m, "0a4d7920702e6e7465c3a9 045f697070 045f746370 056c6f63616c 00");
    put_hex(&m, "0010 8001 00001194 0001 00");
    put_hex(&m, "c00c 0021 8001 00000078 0008 0000 0000 0277 c021"); /* SRV */
    build_udp6(b, 5353, 5353, m.d, m.len, &lay);
}

static void frame_dhcp(struct pb *b)
{
    struct pb m;
    struct layout lay;
    pb_init(&m);
    put_hex(&m, "01 01 06 00 3903f326 0000 8000 00000000 00000000 00000000 00000000");
    put_hex(&m, "000c29abcdef 00000000000000000000");
    put_fill(&m, 0, 192);
    put_hex(&m, "63825363 3501 01 3d07 01000c29abcdef 3204 c0a80164 0c05 686f737431");
    put_hex(&m, "3c08 4d53465420352e30 3704 0103060f ff 000000");
    build_udp4(b, 68, 67, m.d, m.len, &lay);
}

static void frame_vlan_dns_tcp(struct pb *b)
{
    /* 802.1Q, IPv4, TCP to port 53, a DNS query behind its length prefix */
    static const char q[] = "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
                            "\x03www\x07"
                            "example\x03"
                            "com\x00\x00\x01\x00\x01";
    put_bytes(b, PB_MAC_DST, 6);
    put_bytes(b, PB_MAC_SRC, 6);
    put_vlan(b, 0x8100, 0x0064, 0x0800);
    size_t ip = put_ip4(b, 6, NULL);
    put_tcp(b, 40000, 53, 0x18, NULL);
    put_be16(b, sizeof q - 1);
    put_bytes(b, q, sizeof q - 1);
    finish_ip4(b, ip);
}

static void frame_sll2_udp(struct pb *b)
{
    put_hex(b, "0800 0000 00000003 0001 04 06 001b21aabbcc 0000");
    size_t ip = put_ip4(b, 17, NULL);
    size_t udp = put_udp(b, 1000, 2000);
    put_hex(b, "01020304");
    finish_udp(b, udp);
    finish_ip4(b, ip);
}

struct frame {
    const char *name;
    int linktype;
    void (*build)(struct pb *b);
    uint32_t layers; /* expected in the whole frame */
};

#define L2 BIT(LAYER_ETH)
static const struct frame frames[] = {
    {"arp", DLT_EN10MB, frame_arp, L2 | BIT(LAYER_ARP)},
    {"ip4-opts-tcp-opts", DLT_EN10MB, frame_tcp4, L2 | BIT(LAYER_IP4) | BIT(LAYER_TCP)},
    {"ip6-ext-udp", DLT_EN10MB, frame_udp6_ext, L2 | BIT(LAYER_IP6) | BIT(LAYER_UDP)},
    {"icmp4", DLT_EN10MB, frame_icmp4, L2 | BIT(LAYER_IP4) | BIT(LAYER_ICMP4)},
    {"icmp6", DLT_EN10MB, frame_icmp6, L2 | BIT(LAYER_IP6) | BIT(LAYER_ICMP6)},
    {"dns", DLT_EN10MB, frame_dns, L2 | BIT(LAYER_IP4) | BIT(LAYER_UDP) | BIT(LAYER_DNS)},
    {"mdns", DLT_EN10MB, frame_mdns, L2 | BIT(LAYER_IP6) | BIT(LAYER_UDP) | BIT(LAYER_MDNS)},
    {"dhcp", DLT_EN10MB, frame_dhcp, L2 | BIT(LAYER_IP4) | BIT(LAYER_UDP) | BIT(LAYER_DHCP)},
    {"vlan-tcp-dns", DLT_EN10MB, frame_vlan_dns_tcp,
     L2 | BIT(LAYER_IP4) | BIT(LAYER_TCP) | BIT(LAYER_DNS)},
    {"sll2-udp", DLT_LINUX_SLL2, frame_sll2_udp, L2 | BIT(LAYER_IP4) | BIT(LAYER_UDP)},
};
#define NFRAMES (sizeof frames / sizeof frames[0])

/* Bounds and hash of every present layer; a terminated DNS name. */
static int check_invariants(const struct packet *p, const uint8_t *d, size_t caplen,
                            const char *what, size_t at)
{
    int bad = 0;
    for (int l = 0; l < LAYER_COUNT; l++) {
        if (!packet_has(p, l))
            continue;
        const struct layer_ref *r = &p->ref[l];
        if (r->hdr < d || r->hdr > d + caplen || r->len > caplen - (size_t)(r->hdr - d)) {
            print_error("%s @%zu: %s spans [%td, %td) beyond caplen %zu\n", what, at, layer_name(l),
                        r->hdr - d, r->hdr - d + (ptrdiff_t)r->len, caplen);
            bad++;
        } else if (r->hash != XXH32(r->hdr, r->len, 0)) {
            print_error("%s @%zu: %s hash is not XXH32 of its bytes\n", what, at, layer_name(l));
            bad++;
        }
    }
    if ((packet_has(p, LAYER_DNS) || packet_has(p, LAYER_MDNS)) &&
        memchr(p->dns.qname, '\0', sizeof p->dns.qname) == NULL) {
        print_error("%s @%zu: qname not terminated\n", what, at);
        bad++;
    }
    return bad;
}

static void test_prefixes(void **state)
{
    const struct frame *f = *state;
    struct pb b;
    struct packet full, pkt;
    struct batch bt;
    pb_init(&b);
    f->build(&b);
    uint8_t *fd = decode_pb(&full, f->linktype, &b, b.len);
    assert_int_equal(full.layers, f->layers);
    assert_int_equal(full.truncated, 0);
    assert_int_equal(full.malformed, 0);
    size_t start[LAYER_COUNT], end[LAYER_COUNT];
    for (int l = 0; l < LAYER_COUNT; l++) {
        if (packet_has(&full, l)) {
            start[l] = (size_t)(full.ref[l].hdr - fd);
            end[l] = start[l] + full.ref[l].len;
        }
    }

    batch_init(&bt, header_tables, LAYER_COUNT);
    int bad = 0;
    for (size_t cap = 0; cap < b.len; cap++) {
        uint8_t *d = decode_pb(&pkt, f->linktype, &b, cap);
        bad += check_invariants(&pkt, d, cap, f->name, cap);
        if (pkt.truncated == 0) {
            print_error("%s @%zu: cut, but nothing flagged truncated\n", f->name, cap);
            bad++;
        }
        for (int l = 0; l < LAYER_COUNT; l++) {
            if (!packet_has(&full, l))
                continue;
            const char *n = layer_name(l);
            if (end[l] <= cap) { /* captured whole */
                if (!packet_has(&pkt, l) || pkt.ref[l].len != full.ref[l].len ||
                    pkt.ref[l].hash != full.ref[l].hash) {
                    print_error("%s @%zu: %s [%zu,%zu) captured whole but not decoded whole\n",
                                f->name, cap, n, start[l], end[l]);
                    bad++;
                }
            } else if (start[l] <= cap) { /* the cut is inside it or at its start */
                if (!(pkt.truncated & BIT(l))) {
                    print_error("%s @%zu: %s [%zu,%zu) was cut, truncated bit not set\n", f->name,
                                cap, n, start[l], end[l]);
                    bad++;
                }
                if (packet_has(&pkt, l) && pkt.ref[l].len >= full.ref[l].len) {
                    print_error("%s @%zu: %s reported whole (%u bytes)\n", f->name, cap, n,
                                pkt.ref[l].len);
                    bad++;
                }
            } else if (packet_has(&pkt, l)) {
                print_error("%s @%zu: %s starts at %zu, after the cut, but is present\n", f->name,
                            cap, n, start[l]);
                bad++;
            }
        }
        if (!batch_add_packet(&bt, &pkt))
            fail_msg("batch_add_packet failed");
        free(d);
    }
    batch_free(&bt);
    free(fd);
    if (bad)
        fail_msg("%s: %d truncation problems (listed above)", f->name, bad);
}

static void test_byte_flips(void **state)
{
    const struct frame *f = *state;
    static const int linktypes[] = {DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW,
                                    DLT_IPV4,   DLT_IPV6,      DLT_NULL,       DLT_LOOP};
    struct pb b;
    struct packet pkt;
    struct batch bt;
    pb_init(&b);
    f->build(&b);
    batch_init(&bt, header_tables, LAYER_COUNT);
    int bad = 0;
    for (size_t i = 0; i < b.len; i++) {
        for (int v = 0; v < 2; v++) {
            struct pb m = b;
            m.d[i] = v ? 0xff : 0x00;
            uint8_t *d = decode_pb(&pkt, f->linktype, &m, m.len);
            bad += check_invariants(&pkt, d, m.len, f->name, i);
            if (!batch_add_packet(&bt, &pkt))
                fail_msg("batch_add_packet failed");
            free(d);
        }
        if (bt.rows > 100000)
            batch_reset(&bt);
    }
    /* the frame read as every other link type */
    for (size_t k = 0; k < sizeof linktypes / sizeof linktypes[0]; k++) {
        uint8_t *d = decode_pb(&pkt, linktypes[k], &b, b.len);
        bad += check_invariants(&pkt, d, b.len, f->name, (size_t)linktypes[k]);
        assert_true(batch_add_packet(&bt, &pkt));
        free(d);
    }
    batch_free(&bt);
    if (bad)
        fail_msg("%s: %d problems (listed above)", f->name, bad);
}

int main(void)
{
    struct CMUnitTest tests[2 * NFRAMES];
    static char names[2 * NFRAMES][64];
    for (size_t i = 0; i < NFRAMES; i++) {
        snprintf(names[2 * i], sizeof names[0], "prefixes/%s", frames[i].name);
        snprintf(names[2 * i + 1], sizeof names[0], "byte_flips/%s", frames[i].name);
        tests[2 * i] =
            (struct CMUnitTest){names[2 * i], test_prefixes, NULL, NULL, (void *)&frames[i]};
        tests[2 * i + 1] =
            (struct CMUnitTest){names[2 * i + 1], test_byte_flips, NULL, NULL, (void *)&frames[i]};
    }
    return _cmocka_run_group_tests("test_truncation", tests, 2 * NFRAMES, NULL, NULL);
}
