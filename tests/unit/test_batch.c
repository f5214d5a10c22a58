/*
 * test_batch.c - rows of the header tables: one row per present layer,
 * the common key columns, formatted values, NULLs, and the sort by
 * (hash, timestamp, ethh_hash) with stable ties.
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
#include "db/batch.h"

#define BIT(l) (1u << (l))

/* Column index of a column by name. */
static int col(enum layer l, const char *name)
{
    const struct table_schema *t = &header_tables[l];
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->cols[i].name, name) == 0)
            return (int)i;
    fail_msg("no column %s in %s", name, layer_name(l));
    return -1;
}

static bool is_null(const struct batch *b, enum layer l, uint32_t row, const char *name)
{
    return (batch_nulls(&b->t[l], row) >> col(l, name)) & 1;
}

static int64_t ival(const struct batch *b, enum layer l, uint32_t row, const char *name)
{
    assert_false(is_null(b, l, row, name));
    return batch_value(&b->t[l], row, (unsigned)col(l, name));
}

static const char *tval(const struct batch *b, enum layer l, uint32_t row, const char *name)
{
    assert_false(is_null(b, l, row, name));
    int64_t ref = batch_value(&b->t[l], row, (unsigned)col(l, name));
    size_t off = TEXT_OFF(ref), len = (size_t)TEXT_LEN(ref);
    assert_true(off + len < b->t[l].text_used);
    const char *s = batch_text(&b->t[l], ref);
    assert_int_equal(strlen(s), len); /* the length matches the NUL-terminated text */
    return s;
}

/* Decode b (first caplen bytes) and add it to the batch; returns the
 * copy the packet points into. */
static uint8_t *add(struct batch *bt, int linktype, const struct pb *b, size_t caplen)
{
    struct packet pkt;
    uint8_t *d = decode_pb(&pkt, linktype, b, caplen);
    assert_true(batch_add_packet(bt, &pkt));
    return d;
}

static const char dns_query[] = "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
                                "\x03www\x07"
                                "example\x03"
                                "com\x00\x00\x1c\x00\x01";
#define DNS_QUERY_LEN (sizeof dns_query - 1)

static void test_rows_per_table(void **state)
{
    (void)state;
    struct batch bt;
    batch_init(&bt, header_tables, LAYER_COUNT);
    struct pb b;
    struct layout lay;
    uint32_t want[LAYER_COUNT] = {0};

    build_udp4(&b, 40000, 53, dns_query, DNS_QUERY_LEN, &lay);
    free(add(&bt, DLT_EN10MB, &b, b.len));
    want[LAYER_ETH]++, want[LAYER_IP4]++, want[LAYER_UDP]++, want[LAYER_DNS]++;

    build_tcp4(&b, 1, 2, 0x02, NULL, "020405b4", NULL, 0, &lay);
    free(add(&bt, DLT_EN10MB, &b, b.len));
    want[LAYER_ETH]++, want[LAYER_IP4]++, want[LAYER_TCP]++;

    build_udp6(&b, 5353, 5353, dns_query, DNS_QUERY_LEN, &lay);
    free(add(&bt, DLT_EN10MB, &b, b.len));
    want[LAYER_ETH]++, want[LAYER_IP6]++, want[LAYER_UDP]++, want[LAYER_MDNS]++;

    pb_init(&b);
    put_eth(&b, 0x0806);
    put_hex(&b, "0001 0800 06 04 0001 001b21aabbcc 0a000001 000000000000 0a000002");
    free(add(&bt, DLT_EN10MB, &b, b.len));
    want[LAYER_ETH]++, want[LAYER_ARP]++;

    pb_init(&b);
    put_eth(&b, 0x86dd);
    size_t ip = put_ip6(&b, 58);
    put_hex(&b, "8000 0000 0001 0002");
    finish_ip6(&b, ip);
    free(add(&bt, DLT_EN10MB, &b, b.len));
    want[LAYER_ETH]++, want[LAYER_IP6]++, want[LAYER_ICMP6]++;

    /* raw IPv4 ICMP: an (empty) link-layer row too */
    pb_init(&b);
    ip = put_ip4(&b, 1, NULL);
    put_hex(&b, "0800 0000 0001 0002");
    finish_ip4(&b, ip);
    free(add(&bt, DLT_RAW, &b, b.len));
    want[LAYER_ETH]++, want[LAYER_IP4]++, want[LAYER_ICMP4]++;

    /* IPv4 header cut inside its options: still a row (partial header) */
    build_tcp4(&b, 1, 2, 0x02, "01010101", NULL, NULL, 0, &lay);
    free(add(&bt, DLT_EN10MB, &b, lay.l4 - 2));
    want[LAYER_ETH]++, want[LAYER_IP4]++;

    uint64_t total = 0;
    for (int l = 0; l < LAYER_COUNT; l++) {
        assert_int_equal(bt.t[l].nrows, want[l]);
        assert_int_equal(bt.t[l].ncols, schema_insert_cols(&header_tables[l]));
        total += want[l];
    }
    assert_int_equal(bt.rows, total);
    assert_false(bt.failed_alloc);
    batch_free(&bt);
}

static void test_no_link_header_no_rows(void **state)
{
    (void)state;
    struct batch bt;
    batch_init(&bt, header_tables, LAYER_COUNT);
    struct pb b;
    struct layout lay;
    build_udp4(&b, 40000, 53, dns_query, DNS_QUERY_LEN, &lay);
    free(add(&bt, DLT_NFLOG, &b, b.len));      /* a link type not decoded */
    free(add(&bt, DLT_EN10MB, &b, 13));        /* Ethernet header cut */
    free(add(&bt, DLT_LINUX_SLL, &b, 10));
    assert_int_equal(bt.rows, 0);
    for (int l = 0; l < LAYER_COUNT; l++)
        assert_int_equal(bt.t[l].nrows, 0);
    batch_free(&bt);
}

static void test_common_columns(void **state)
{
    (void)state;
    struct batch bt;
    batch_init(&bt, header_tables, LAYER_COUNT);
    struct pb b;
    struct layout lay;
    build_udp4(&b, 40000, 53, dns_query, DNS_QUERY_LEN, &lay);
    uint32_t caplen = (uint32_t)b.len - 3; /* cut the DNS message short */
    uint8_t *d = add(&bt, DLT_EN10MB, &b, caplen);
    uint32_t eth_hash = XXH32(b.d, 14, 0);
    static const struct {
        enum layer l;
        size_t off, len;
    } rows[] = {{LAYER_ETH, 0, 14}, {LAYER_IP4, 14, 20}, {LAYER_UDP, 34, 8}};
    for (size_t i = 0; i < 3; i++) {
        enum layer l = rows[i].l;
        assert_int_equal(bt.t[l].nrows, 1);
        assert_int_equal(ival(&bt, l, 0, "hash"), XXH32(b.d + rows[i].off, rows[i].len, 0));
        assert_int_equal(ival(&bt, l, 0, "timestamp"), PB_TS);
        assert_int_equal(ival(&bt, l, 0, "ethh_hash"), eth_hash);
        assert_int_equal(ival(&bt, l, 0, "caplen"), caplen);
        assert_int_equal(ival(&bt, l, 0, "length"), b.len);
    }
    /* a hash above 2^31 stays positive (stored as unsigned 32 bits) */
    for (int l = 0; l < LAYER_COUNT; l++)
        for (uint32_t r = 0; r < bt.t[l].nrows; r++)
            assert_true(batch_value(&bt.t[l], r, (unsigned)col(l, "hash")) >= 0);
    free(d);
    batch_free(&bt);
}

static void test_eth_rows(void **state)
{
    (void)state;
    struct batch bt;
    batch_init(&bt, header_tables, LAYER_COUNT);
    struct pb b;
    struct layout lay;
    build_udp4(&b, 1, 2, NULL, 0, &lay);
    free(add(&bt, DLT_EN10MB, &b, b.len));
    pb_init(&b); /* two tags */
    put_bytes(&b, PB_MAC_DST, 6);
    put_bytes(&b, PB_MAC_SRC, 6);
    put_hex(&b, "88a8 0064 8100 00c8 0806");
    put_fill(&b, 0, 28);
    uint32_t tagged_hash = XXH32(b.d, 22, 0);
    free(add(&bt, DLT_EN10MB, &b, b.len));
    pb_init(&b); /* Linux cooked */
    put_hex(&b, "0000 0001 0006 0a0b0c0d0e0f 0000 0800");
    size_t ip = put_ip4(&b, 253, NULL);
    finish_ip4(&b, ip);
    free(add(&bt, DLT_LINUX_SLL, &b, b.len));
    pb_init(&b); /* raw */
    ip = put_ip4(&b, 253, NULL);
    finish_ip4(&b, ip);
    free(add(&bt, DLT_RAW, &b, b.len));

    assert_int_equal(bt.t[LAYER_ETH].nrows, 4);
    assert_string_equal(tval(&bt, LAYER_ETH, 0, "ether_dhost"), "00:1b:21:aa:bb:cc");
    assert_string_equal(tval(&bt, LAYER_ETH, 0, "ether_shost"), "02:42:ac:11:00:02");
    assert_int_equal(ival(&bt, LAYER_ETH, 0, "ether_type"), 0x0800);
    assert_int_equal(ival(&bt, LAYER_ETH, 0, "linktype"), 1);
    assert_true(is_null(&bt, LAYER_ETH, 0, "vlan_id"));
    assert_true(is_null(&bt, LAYER_ETH, 0, "vlan_id2"));

    assert_int_equal(ival(&bt, LAYER_ETH, 1, "ether_type"), 0x88a8);
    assert_int_equal(ival(&bt, LAYER_ETH, 1, "payload_type"), 0x0806);
    assert_int_equal(ival(&bt, LAYER_ETH, 1, "vlan_id"), 100);
    assert_int_equal(ival(&bt, LAYER_ETH, 1, "vlan_id2"), 200);
    assert_int_equal(ival(&bt, LAYER_ETH, 1, "hash"), tagged_hash);
    assert_int_equal(ival(&bt, LAYER_ETH, 1, "ethh_hash"), tagged_hash);

    assert_true(is_null(&bt, LAYER_ETH, 2, "ether_dhost"));
    assert_string_equal(tval(&bt, LAYER_ETH, 2, "ether_shost"), "0a:0b:0c:0d:0e:0f");
    assert_int_equal(ival(&bt, LAYER_ETH, 2, "linktype"), DLT_LINUX_SLL);

    assert_true(is_null(&bt, LAYER_ETH, 3, "ether_dhost"));
    assert_true(is_null(&bt, LAYER_ETH, 3, "ether_shost"));
    assert_int_equal(ival(&bt, LAYER_ETH, 3, "ether_type"), 0x0800);
    assert_int_equal(ival(&bt, LAYER_ETH, 3, "hash"), 0x02cc5d05); /* XXH32 of nothing */
    batch_free(&bt);
}

static void test_ip_rows(void **state)
{
    (void)state;
    struct batch bt;
    batch_init(&bt, header_tables, LAYER_COUNT);
    struct pb b;
    struct layout lay;
    build_udp4(&b, 1, 2, "abcd", 4, &lay);
    free(add(&bt, DLT_EN10MB, &b, b.len));
    build_udp6(&b, 1, 2, "abcd", 4, &lay);
    free(add(&bt, DLT_EN10MB, &b, b.len));

    const struct batch *t = &bt;
    assert_int_equal(ival(t, LAYER_IP4, 0, "ip_hl"), 5);
    assert_int_equal(ival(t, LAYER_IP4, 0, "ip_v"), 4);
    assert_int_equal(ival(t, LAYER_IP4, 0, "ip_tos"), PB_IP4_TOS);
    assert_int_equal(ival(t, LAYER_IP4, 0, "ip_len"), 32);
    assert_int_equal(ival(t, LAYER_IP4, 0, "ip_id"), PB_IP4_ID);
    assert_int_equal(ival(t, LAYER_IP4, 0, "ip_off"), PB_IP4_OFF);
    assert_int_equal(ival(t, LAYER_IP4, 0, "ip_ttl"), PB_IP4_TTL);
    assert_int_equal(ival(t, LAYER_IP4, 0, "ip_p"), 17);
    assert_int_equal(ival(t, LAYER_IP4, 0, "ip_sum"), PB_IP4_SUM);
    assert_string_equal(tval(t, LAYER_IP4, 0, "ip_src"), "10.0.0.1");
    assert_string_equal(tval(t, LAYER_IP4, 0, "ip_dst"), "192.168.200.254");

    assert_int_equal(ival(t, LAYER_IP6, 0, "ip6_un1_flow"), PB_IP6_FLOW);
    assert_int_equal(ival(t, LAYER_IP6, 0, "ip6_un1_plen"), 12);
    assert_int_equal(ival(t, LAYER_IP6, 0, "ip6_un1_nxt"), 17);
    assert_int_equal(ival(t, LAYER_IP6, 0, "cip6_un1_hlim"), PB_IP6_HLIM);
    assert_int_equal(ival(t, LAYER_IP6, 0, "ip6_un2_vfc"), PB_IP6_FLOW >> 24);
    assert_string_equal(tval(t, LAYER_IP6, 0, "ip6_src"), "2001:db8::1");
    assert_string_equal(tval(t, LAYER_IP6, 0, "ip6_dst"), "fe80::211:22ff:fe33:4455");

    assert_int_equal(ival(t, LAYER_UDP, 1, "source"), 1);
    assert_int_equal(ival(t, LAYER_UDP, 1, "dest"), 2);
    assert_int_equal(ival(t, LAYER_UDP, 1, "len"), 12);
    assert_int_equal(ival(t, LAYER_UDP, 1, "check_p"), PB_UDP_SUM);
    assert_int_equal(ival(t, LAYER_UDP, 1, "payload_len"), 4);
    batch_free(&bt);
}

static void test_tcp_flag_columns(void **state)
{
    (void)state;
    static const char *const names[] = {"fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr"};
    static const uint8_t flags[] = {0x00, 0xd5, 0x2a, 0xff, 0x12};
    struct batch bt;
    batch_init(&bt, header_tables, LAYER_COUNT);
    for (size_t i = 0; i < sizeof flags; i++) {
        struct pb b;
        struct layout lay;
        build_tcp4(&b, 80, 12345, flags[i], NULL, "01010101", "xyz", 3, &lay);
        set_u8(&b, lay.l4 + 12, 0x61); /* doff 6, AE bit */
        free(add(&bt, DLT_EN10MB, &b, b.len));
    }
    for (uint32_t r = 0; r < sizeof flags; r++) {
        for (int bit = 0; bit < 8; bit++)
            assert_int_equal(ival(&bt, LAYER_TCP, r, names[bit]), (flags[r] >> bit) & 1);
        assert_int_equal(ival(&bt, LAYER_TCP, r, "doff"), 6);
        assert_int_equal(ival(&bt, LAYER_TCP, r, "res1"), 1);
        assert_int_equal(ival(&bt, LAYER_TCP, r, "seq"), PB_TCP_SEQ);
        assert_int_equal(ival(&bt, LAYER_TCP, r, "ack_seq"), PB_TCP_ACK);
        assert_int_equal(ival(&bt, LAYER_TCP, r, "window"), PB_TCP_WIN);
        assert_int_equal(ival(&bt, LAYER_TCP, r, "check_p"), PB_TCP_SUM);
        assert_int_equal(ival(&bt, LAYER_TCP, r, "urg_ptr"), PB_TCP_URP);
        assert_int_equal(ival(&bt, LAYER_TCP, r, "payload_len"), 3);
    }
    batch_free(&bt);
}

static void test_dns_rows_and_nulls(void **state)
{
    (void)state;
    struct batch bt;
    batch_init(&bt, header_tables, LAYER_COUNT);
    struct pb b;
    struct layout lay;
    build_udp4(&b, 40000, 53, dns_query, DNS_QUERY_LEN, &lay);
    free(add(&bt, DLT_EN10MB, &b, b.len));
    /* no question */
    build_udp4(&b, 53, 40000, "\xab\xcd\x28\x00\0\0\0\0\0\0\0\0", 12, &lay);
    free(add(&bt, DLT_EN10MB, &b, b.len));
    /* a name with a dot and a control byte inside a label */
    static const char odd[] = "\x00\x07\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00"
                              "\x04"
                              "a.b\x01\x00\x00\x10\x00\x01";
    build_udp4(&b, 40000, 53, odd, sizeof odd - 1, &lay);
    free(add(&bt, DLT_EN10MB, &b, b.len));

    assert_int_equal(bt.t[LAYER_DNS].nrows, 3);
    assert_int_equal(ival(&bt, LAYER_DNS, 0, "tid"), 0x1234);
    assert_int_equal(ival(&bt, LAYER_DNS, 0, "flags"), 0x0100);
    assert_int_equal(ival(&bt, LAYER_DNS, 0, "nqueries"), 1);
    assert_int_equal(ival(&bt, LAYER_DNS, 0, "nanswers"), 0);
    assert_int_equal(ival(&bt, LAYER_DNS, 0, "nauth"), 0);
    assert_int_equal(ival(&bt, LAYER_DNS, 0, "nother"), 0);
    assert_string_equal(tval(&bt, LAYER_DNS, 0, "qname"), "www.example.com");
    assert_int_equal(ival(&bt, LAYER_DNS, 0, "qtype"), 28);
    assert_int_equal(ival(&bt, LAYER_DNS, 0, "qclass"), 1);
    assert_int_equal(ival(&bt, LAYER_DNS, 0, "over_tcp"), 0);

    assert_int_equal(ival(&bt, LAYER_DNS, 1, "tid"), 0xabcd);
    assert_true(is_null(&bt, LAYER_DNS, 1, "qname"));
    assert_true(is_null(&bt, LAYER_DNS, 1, "qtype"));
    assert_true(is_null(&bt, LAYER_DNS, 1, "qclass"));

    assert_string_equal(tval(&bt, LAYER_DNS, 2, "qname"), "a\\.b\\001");
    assert_int_equal(ival(&bt, LAYER_DNS, 2, "qtype"), 16);
    batch_free(&bt);
}

static void test_dhcp_rows_and_nulls(void **state)
{
    (void)state;
    struct batch bt;
    batch_init(&bt, header_tables, LAYER_COUNT);
    struct pb m, b;
    struct layout lay;
    for (int with_options = 1; with_options >= 0; with_options--) {
        pb_init(&m);
        put_hex(&m, "01 01 06 00 3903f326 0003 8000 00000000 c0a80164 c0a80101 00000000");
        put_hex(&m, "000c29abcdef 00000000000000000000");
        put_fill(&m, 0, 192);
        if (with_options) {
            put_hex(&m, "63825363 3501 03 3d07 01000c29abcdef 3204 c0a80164");
            put_hex(&m, "0c04 7063015c 3c03 783a79 3704 0103060f ff");
        }
        build_udp4(&b, 68, 67, m.d, m.len, &lay);
        free(add(&bt, DLT_EN10MB, &b, b.len));
    }
    assert_int_equal(bt.t[LAYER_DHCP].nrows, 2);
    for (uint32_t r = 0; r < 2; r++) {
        assert_int_equal(ival(&bt, LAYER_DHCP, r, "op"), 1);
        assert_int_equal(ival(&bt, LAYER_DHCP, r, "htype"), 1);
        assert_int_equal(ival(&bt, LAYER_DHCP, r, "hlen"), 6);
        assert_int_equal(ival(&bt, LAYER_DHCP, r, "hops"), 0);
        assert_int_equal(ival(&bt, LAYER_DHCP, r, "xid"), 0x3903f326);
        assert_int_equal(ival(&bt, LAYER_DHCP, r, "secs"), 3);
        assert_int_equal(ival(&bt, LAYER_DHCP, r, "flags"), 0x8000);
        assert_string_equal(tval(&bt, LAYER_DHCP, r, "ciaddr"), "0.0.0.0");
        assert_string_equal(tval(&bt, LAYER_DHCP, r, "yiaddr"), "192.168.1.100");
        assert_string_equal(tval(&bt, LAYER_DHCP, r, "siaddr"), "192.168.1.1");
        assert_string_equal(tval(&bt, LAYER_DHCP, r, "giaddr"), "0.0.0.0");
        assert_string_equal(tval(&bt, LAYER_DHCP, r, "chaddr"), "00:0c:29:ab:cd:ef");
    }
    assert_int_equal(ival(&bt, LAYER_DHCP, 0, "msg_type"), 3);
    assert_string_equal(tval(&bt, LAYER_DHCP, 0, "host_name"), "pc\\001\\\\");
    assert_string_equal(tval(&bt, LAYER_DHCP, 0, "vendor_class"), "x:y");
    assert_string_equal(tval(&bt, LAYER_DHCP, 0, "param_list"), "1,3,6,15");
    assert_string_equal(tval(&bt, LAYER_DHCP, 0, "client_id"), "01:00:0c:29:ab:cd:ef");
    assert_string_equal(tval(&bt, LAYER_DHCP, 0, "requested_ip"), "192.168.1.100");
    static const char *const optional[] = {"msg_type",   "host_name", "vendor_class",
                                           "param_list", "client_id", "requested_ip"};
    for (size_t i = 0; i < sizeof optional / sizeof optional[0]; i++)
        assert_true(is_null(&bt, LAYER_DHCP, 1, optional[i]));
    batch_free(&bt);
}

static void test_arp_rows(void **state)
{
    (void)state;
    struct batch bt;
    batch_init(&bt, header_tables, LAYER_COUNT);
    struct pb b;
    pb_init(&b);
    put_eth(&b, 0x0806);
    put_hex(&b, "0001 0800 06 04 0002 001b21aabbcc 0a000001 0242ac110002 0a000002");
    free(add(&bt, DLT_EN10MB, &b, b.len));
    pb_init(&b); /* no addresses at all */
    put_eth(&b, 0x0806);
    put_hex(&b, "0001 0800 00 00 0001");
    free(add(&bt, DLT_EN10MB, &b, b.len));
    pb_init(&b); /* 16-byte protocol addresses */
    put_eth(&b, 0x0806);
    put_hex(&b, "0001 86dd 06 10 0001 001b21aabbcc 20010db8000000000000000000000001"
                "000000000000 fe800000000000000000000000000002");
    free(add(&bt, DLT_EN10MB, &b, b.len));

    assert_int_equal(bt.t[LAYER_ARP].nrows, 3);
    assert_int_equal(ival(&bt, LAYER_ARP, 0, "arp_hrd"), 1);
    assert_int_equal(ival(&bt, LAYER_ARP, 0, "arp_pro"), 0x0800);
    assert_int_equal(ival(&bt, LAYER_ARP, 0, "arp_hln"), 6);
    assert_int_equal(ival(&bt, LAYER_ARP, 0, "arp_pln"), 4);
    assert_int_equal(ival(&bt, LAYER_ARP, 0, "arp_op"), 2);
    assert_string_equal(tval(&bt, LAYER_ARP, 0, "arp_sha"), "00:1b:21:aa:bb:cc");
    assert_string_equal(tval(&bt, LAYER_ARP, 0, "arp_spa"), "10.0.0.1");
    assert_string_equal(tval(&bt, LAYER_ARP, 0, "arp_tha"), "02:42:ac:11:00:02");
    assert_string_equal(tval(&bt, LAYER_ARP, 0, "arp_tpa"), "10.0.0.2");
    static const char *const addrs[] = {"arp_sha", "arp_spa", "arp_tha", "arp_tpa"};
    for (int i = 0; i < 4; i++)
        assert_true(is_null(&bt, LAYER_ARP, 1, addrs[i]));
    assert_string_equal(tval(&bt, LAYER_ARP, 2, "arp_spa"), "2001:db8::1");
    assert_string_equal(tval(&bt, LAYER_ARP, 2, "arp_tpa"), "fe80::2");
    batch_free(&bt);
}

static void test_growth_and_reset(void **state)
{
    (void)state;
    struct batch bt;
    batch_init(&bt, header_tables, LAYER_COUNT);
    struct pb b;
    struct layout lay;
    build_udp4(&b, 40000, 53, dns_query, DNS_QUERY_LEN, &lay);
    struct packet pkt;
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 3000; i++) {
            pkt.timestamp = (uint64_t)i;
            assert_true(batch_add_packet(&bt, &pkt));
        }
        assert_int_equal(bt.rows, 4 * 3000);
        assert_int_equal(bt.t[LAYER_DNS].nrows, 3000);
        for (uint32_t r = 0; r < 3000; r += 999) {
            assert_int_equal(ival(&bt, LAYER_DNS, r, "timestamp"), r);
            assert_string_equal(tval(&bt, LAYER_DNS, r, "qname"), "www.example.com");
            assert_string_equal(tval(&bt, LAYER_IP4, r, "ip_src"), "10.0.0.1");
        }
        batch_reset(&bt);
        assert_int_equal(bt.rows, 0);
        for (int l = 0; l < LAYER_COUNT; l++) {
            assert_int_equal(bt.t[l].nrows, 0);
            assert_int_equal(bt.t[l].text_used, 0);
        }
    }
    free(d);
    batch_free(&bt);
}

/* The arrival number a moved row carries in every column past the key
 * (column c holds a * 1000 + c, cut to the column's width) and, as a
 * pattern, in its NULL mask. */
static int64_t tag_value(const struct table_rows *t, uint32_t arrival, uint32_t col)
{
    int64_t v = (int64_t)arrival * 1000 + col;
    return t->col_width[col] == 8 ? v : v & ((1ll << (8 * t->col_width[col])) - 1);
}
static uint64_t tag_nulls(uint32_t arrival)
{
    return (uint64_t)arrival * 0x9e3779b97f4a7c15ull;
}

/* Rows of table l holding the given keys, each tagged with its arrival
 * number (tag_value, tag_nulls). */
static void make_rows(struct batch *bt, enum layer l, const int64_t (*keys)[3], uint32_t n)
{
    struct table_rows *t = &bt->t[l];
    for (uint32_t i = 0; i < n; i++) {
        int64_t v[SCHEMA_MAX_COLS];
        for (uint32_t c = 0; c < t->ncols; c++)
            v[c] = c < 3 ? keys[i][c] : (int64_t)i * 1000 + c; /* stored as tag_value() */
        assert_true(batch_add_values(bt, l, v, tag_nulls(i)));
    }
    assert_int_equal(t->nrows, n);
}

/* The arrival number of the row now at position i. */
static uint32_t arrival(const struct table_rows *t, uint32_t i)
{
    return (uint32_t)(batch_value(t, i, 3) / 1000); /* 4 bytes in every header table */
}

/* The rows must be a permutation of the rows made, each moved whole (every
 * column and its NULL mask), sorted by key, ties by arrival. */
static void assert_sorted(const struct table_rows *t)
{
    char *seen = calloc(t->nrows + 1, 1);
    assert_non_null(seen);
    for (uint32_t i = 0; i < t->nrows; i++) {
        uint32_t a = arrival(t, i);
        assert_true(a < t->nrows);
        assert_false(seen[a]);
        seen[a] = 1;
        for (uint32_t c = 3; c < t->ncols; c++)
            assert_int_equal(batch_value(t, i, c), tag_value(t, a, c));
        assert_int_equal(batch_nulls(t, i), tag_nulls(a));
        if (i == 0)
            continue;
        int cmp = 0;
        for (unsigned k = 0; k < 3 && cmp == 0; k++) {
            int64_t x = batch_value(t, i - 1, k), y = batch_value(t, i, k);
            cmp = x < y ? -1 : x > y;
        }
        assert_true(cmp < 0 || (cmp == 0 && arrival(t, i - 1) < a));
    }
    free(seen);
}

/* Rows across chunk boundaries, text values that do not fit in the rest
 * of a text chunk (they start the next one, never straddle two), the
 * longest value, and b->bytes: what the batch holds, back to 0 on reset. */
static void test_chunks_and_bytes(void **state)
{
    (void)state;
    struct batch bt;
    batch_init(&bt, header_tables, LAYER_COUNT);
    static char text[TEXT_MAX_LEN + 100];
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = (char)('a' + i % 26);
    uint32_t n = 3 * BATCH_CHUNK_ROWS + 7;
    int64_t *ref = calloc(n, sizeof *ref);
    assert_non_null(ref);
    size_t expect = 0;
    for (int round = 0; round < 2; round++) {
        for (uint32_t i = 0; i < n; i++) {
            /* lengths from 0 to past the longest: 40 values fill a chunk */
            size_t len = i % 41 == 40 ? sizeof text : (size_t)(i * 37 % TEXT_MAX_LEN) / 8;
            size_t kept = len < TEXT_MAX_LEN ? len : TEXT_MAX_LEN;
            assert_true((ref[i] = batch_add_text(&bt, LAYER_ETH, text, len)) >= 0);
            assert_int_equal(TEXT_LEN(ref[i]), kept);
            int64_t v[SCHEMA_MAX_COLS] = {i, i, i};
            v[5] = ref[i];
            assert_true(batch_add_values(&bt, LAYER_ETH, v, 0));
            expect += kept + 1 + bt.t[LAYER_ETH].row_bytes;
        }
        assert_int_equal(bt.t[LAYER_ETH].nrows, n);
        assert_int_equal(bt.t[LAYER_ETH].nchunks, 4);
        /* text: at least what it holds, and skipped chunk tails add at
         * most a value's length per chunk */
        assert_true(bt.bytes >= expect);
        assert_true(bt.bytes <= expect + bt.t[LAYER_ETH].ntext_chunks * (size_t)(TEXT_MAX_LEN + 1));
        for (uint32_t i = 0; i < n; i++) {
            assert_int_equal(batch_value(&bt.t[LAYER_ETH], i, 0), i);
            const char *s = batch_text(&bt.t[LAYER_ETH], ref[i]);
            size_t len = (size_t)TEXT_LEN(ref[i]);
            size_t off = TEXT_OFF(ref[i]) & (BATCH_TEXT_CHUNK - 1);
            assert_true(off + len < BATCH_TEXT_CHUNK); /* one chunk holds value and NUL */
            assert_memory_equal(s, text, len);
            assert_int_equal(s[len], '\0');
            assert_int_equal(batch_value(&bt.t[LAYER_ETH], i, 5), ref[i]);
        }
        batch_reset(&bt);
        assert_int_equal(bt.rows, 0);
        assert_int_equal(bt.bytes, 0);
        assert_int_equal(bt.t[LAYER_ETH].nchunks, 0); /* given back */
        assert_int_equal(bt.t[LAYER_ETH].ntext_chunks, 0);
        expect = 0;
    }
    free(ref);
    batch_free(&bt);
}

static void test_sort_order_and_stable_ties(void **state)
{
    (void)state;
    static const int64_t keys[][3] = {
        {5, 10, 1},          /* 0 */
        {1, 20, 0},          /* 1 */
        {5, 9, 7},           /* 2 */
        {1, 20, 0},          /* 3: same key as 1 */
        {0xffffffff, 0, 0},  /* 4 */
        {5, 10, 0},          /* 5 */
        {1, 20, 0},          /* 6: same key as 1 and 3 */
        {1, 19, 0xffffffff}, /* 7 */
    };
    static const uint32_t want[] = {7, 1, 3, 6, 2, 5, 0, 4};
    static const int64_t two[][3] = {{9, 9, 9}, {3, 3, 3}};
    struct batch bt;
    batch_init(&bt, header_tables, LAYER_COUNT);
    make_rows(&bt, LAYER_ETH, keys, 8);
    make_rows(&bt, LAYER_DHCP, two, 2);
    assert_true(batch_sort(&bt));
    for (uint32_t i = 0; i < 8; i++)
        assert_int_equal(arrival(&bt.t[LAYER_ETH], i), want[i]);
    assert_sorted(&bt.t[LAYER_ETH]);
    assert_int_equal(arrival(&bt.t[LAYER_DHCP], 0), 1);
    assert_int_equal(arrival(&bt.t[LAYER_DHCP], 1), 0);
    assert_sorted(&bt.t[LAYER_DHCP]);
    batch_free(&bt);
}

/* A batch with no rows at all (a timer flush with nothing captured).
 * Last in the list: under UBSan a failure here aborts the program. */
static void test_sort_empty_batch(void **state)
{
    (void)state;
    struct batch bt;
    batch_init(&bt, header_tables, LAYER_COUNT);
    assert_true(batch_sort(&bt));
    batch_free(&bt);
}

static void test_sort_random(void **state)
{
    (void)state;
    enum { N = 20000 };
    static int64_t keys[N][3];
    uint32_t x = 12345;
    for (int i = 0; i < N; i++) {
        for (int k = 0; k < 3; k++) {
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            keys[i][k] =
                k == 1 ? (int64_t)(x % 7) + 1700000000000000ll : (int64_t)(x % 5) * 0x3fffffff;
        }
    }
    struct batch bt;
    batch_init(&bt, header_tables, LAYER_COUNT);
    make_rows(&bt, LAYER_ETH, (const int64_t(*)[3])keys, N);
    make_rows(&bt, LAYER_IP6, (const int64_t(*)[3])keys, N / 2);
    assert_true(batch_sort(&bt));
    assert_sorted(&bt.t[LAYER_ETH]);
    assert_sorted(&bt.t[LAYER_IP6]);
    batch_free(&bt);
}

static void test_sort_decoded_batch(void **state)
{
    (void)state;
    struct batch bt;
    batch_init(&bt, header_tables, LAYER_COUNT);
    for (int i = 0; i < 500; i++) {
        struct pb b;
        struct layout lay;
        char payload[4] = {(char)i, (char)(i >> 8), 0, 0};
        build_udp4(&b, (uint16_t)(1000 + i % 7), 53, payload, sizeof payload, &lay);
        struct packet pkt;
        uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
        pkt.timestamp = (uint64_t)(i % 3);
        assert_true(batch_add_packet(&bt, &pkt));
        free(d);
    }
    assert_true(batch_sort(&bt));
    /* in key order, each row moved whole: its source port is the one its
     * header hash was computed over */
    const struct table_rows *u = &bt.t[LAYER_UDP];
    assert_int_equal(u->nrows, 500);
    int64_t port_of[7][2];
    unsigned nports = 0;
    for (uint32_t i = 0; i < u->nrows; i++) {
        int64_t y[2] = {batch_value(u, i, 0), batch_value(u, i, 1)};
        if (i > 0) {
            int64_t x[2] = {batch_value(u, i - 1, 0), batch_value(u, i - 1, 1)};
            assert_true(x[0] < y[0] || (x[0] == y[0] && x[1] <= y[1]));
        }
        int64_t port = ival(&bt, LAYER_UDP, i, "source");
        assert_true(port >= 1000 && port < 1007);
        assert_int_equal(ival(&bt, LAYER_UDP, i, "dest"), 53);
        unsigned k = 0;
        while (k < nports && port_of[k][0] != y[0])
            k++;
        if (k == nports) { /* seven distinct headers (checksum 0) */
            assert_true(nports < 7);
            port_of[nports][0] = y[0];
            port_of[nports++][1] = port;
        }
        assert_int_equal(port_of[k][1], port);
    }
    batch_free(&bt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_per_table),
        cmocka_unit_test(test_no_link_header_no_rows),
        cmocka_unit_test(test_common_columns),
        cmocka_unit_test(test_eth_rows),
        cmocka_unit_test(test_ip_rows),
        cmocka_unit_test(test_tcp_flag_columns),
        cmocka_unit_test(test_dns_rows_and_nulls),
        cmocka_unit_test(test_dhcp_rows_and_nulls),
        cmocka_unit_test(test_arp_rows),
        cmocka_unit_test(test_growth_and_reset),
        cmocka_unit_test(test_chunks_and_bytes),
        cmocka_unit_test(test_sort_order_and_stable_ties),
        cmocka_unit_test(test_sort_random),
        cmocka_unit_test(test_sort_decoded_batch),
        cmocka_unit_test(test_sort_empty_batch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
