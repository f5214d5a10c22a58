/*
 * test_audit.c - audit records: every record type encoded from built
 * packets, written to a record file and read back equal; field values
 * against the bytes the test built; --include/--exclude; flow records
 * (Connection directions, TCP flag counts, idle timeout); valid UTF-8
 * from invalid packet bytes; the reader on truncated, corrupt and foreign
 * files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <pcap/dlt.h>

#include "audit/encoders.h"
#include "audit/flows.h"
#include "audit/reader.h"
#include "audit/writer.h"
#include "decode/packet.h"
#include "pktbuild.h"

/* What the encoders emitted: type and packed bytes, in order. */
struct emitted {
    int n;
    enum audit_rec rec[256];
    uint8_t *bytes[256];
    size_t len[256];
    struct audit_buf bufs[REC_COUNT];
};

static int collect(void *ctx, enum audit_rec rec, const ProtobufCMessage *m)
{
    struct emitted *e = ctx;
    assert_true(e->n < 256);
    size_t len = protobuf_c_message_get_packed_size(m);
    e->bytes[e->n] = malloc(len + 1);
    protobuf_c_message_pack(m, e->bytes[e->n]);
    e->len[e->n] = len;
    e->rec[e->n++] = rec;
    assert_int_equal(audit_buf_add(&e->bufs[rec], m), 0);
    return 0;
}

static void emitted_free(struct emitted *e)
{
    for (int i = 0; i < e->n; i++)
        free(e->bytes[i]);
    for (int r = 0; r < REC_COUNT; r++)
        audit_buf_free(&e->bufs[r]);
    memset(e, 0, sizeof *e);
}

/* The i-th record of a type, unpacked (caller frees). */
static ProtobufCMessage *nth(const struct emitted *e, enum audit_rec rec, int i)
{
    for (int k = 0; k < e->n; k++)
        if (e->rec[k] == rec && i-- == 0)
            return protobuf_c_message_unpack(audit_types[rec].desc, NULL, e->len[k], e->bytes[k]);
    return NULL;
}

static int count(const struct emitted *e, enum audit_rec rec)
{
    int n = 0;
    for (int k = 0; k < e->n; k++)
        n += e->rec[k] == rec;
    return n;
}

static const uint8_t DNS_QUERY[] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
                                    7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
                                    0, 1, 0, 1};

/* Frames covering every layer record type. */
static void frame_dns(struct pb *b)
{
    struct layout lay;
    build_udp4(b, 33333, 53, DNS_QUERY, sizeof DNS_QUERY, &lay);
}

static void frame_vlan_ip6_tcp(struct pb *b)
{
    pb_init(b);
    put_bytes(b, PB_MAC_DST, 6);
    put_bytes(b, PB_MAC_SRC, 6);
    put_vlan(b, 0x8100, (5u << 13) | (1u << 12) | 100, 0x86dd);
    size_t ip = put_ip6(b, 0); /* hop-by-hop options, then TCP */
    put_u8(b, 6);
    put_u8(b, 0);
    put_fill(b, 0, 6);
    put_tcp(b, 40000, 443, 0x02, "020405b4");
    put_bytes(b, "hello", 5);
    finish_ip6(b, ip);
}

static void frame_arp(struct pb *b)
{
    pb_init(b);
    put_eth(b, 0x0806);
    put_hex(b, "0001 0800 06 04 0001 001122334455 c0a80001 000000000000 c0a80002");
}

static void frame_icmp4(struct pb *b)
{
    pb_init(b);
    put_eth(b, 0x0800);
    size_t ip = put_ip4(b, 1, NULL);
    put_hex(b, "08 00 f7ff 0001 0002 6162");
    finish_ip4(b, ip);
}

static void frame_icmp6(struct pb *b)
{
    pb_init(b);
    put_eth(b, 0x86dd);
    size_t ip = put_ip6(b, 58);
    put_hex(b, "80 00 1234 0007 0009");
    finish_ip6(b, ip);
}

/* DHCP discover whose host name (option 12) is not valid UTF-8. */
static void frame_dhcp(struct pb *b)
{
    struct pb m;
    struct layout lay;
    pb_init(&m);
    put_hex(&m, "01 01 06 00 3903f326 0000 8000");
    put_fill(&m, 0, 16);
    put_hex(&m, "000c29abcdef");
    put_fill(&m, 0, 10 + 64 + 128);
    put_hex(&m, "63825363 3501 01 0c04 41ff4243 3703 010306 ff");
    build_udp4(b, 68, 67, m.d, m.len, &lay);
}

/* A TLS record with a ClientHello (SNI example.org) in one TCP segment. */
static void frame_tls_client(struct pb *b)
{
    struct pb t;
    struct layout lay;
    pb_init(&t);
    put_hex(&t, "16 0301 0043  01 00003f  0303");
    put_fill(&t, 0x11, 32);
    put_hex(&t, "00  0002 1301  01 00  0014  0000 0010 000e 00 000b");
    put_bytes(&t, "example.org", 11);
    build_tcp4(b, 50000, 443, 0x18, NULL, NULL, t.d, t.len, &lay);
}

static void frame_tls_server(struct pb *b)
{
    struct pb t;
    struct layout lay;
    pb_init(&t);
    put_hex(&t, "16 0303 002c  02 000028  0303");
    put_fill(&t, 0x22, 32);
    put_hex(&t, "00  1301  00  0000");
    build_tcp4(b, 443, 50000, 0x18, NULL, NULL, t.d, t.len, &lay);
}

static void (*const frames[])(struct pb *) = {frame_dns,   frame_vlan_ip6_tcp, frame_arp,
                                              frame_icmp4, frame_icmp6,        frame_dhcp,
                                              frame_tls_client, frame_tls_server};
#define NFRAMES (sizeof frames / sizeof frames[0])

/* Encode every frame with the given selection. */
static void encode_all(struct emitted *e, uint32_t enabled, uint32_t excluded, bool payload)
{
    for (size_t i = 0; i < NFRAMES; i++) {
        struct pb b;
        struct packet pkt;
        frames[i](&b);
        uint8_t *copy = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
        assert_int_equal(audit_encode_layers(&pkt, enabled, excluded, payload, collect, e), 0);
        free(copy);
    }
}

static bool utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = *p < 0x80 ? 0 : (*p >> 5) == 6 ? 1 : (*p >> 4) == 14 ? 2 : (*p >> 3) == 30 ? 3 : -1;
        if (n < 0)
            return false;
        for (p++; n > 0; n--, p++)
            if ((*p & 0xc0) != 0x80)
                return false;
    }
    return true;
}

static void test_layer_fields(void **state)
{
    (void)state;
    struct emitted e = {0};
    encode_all(&e, (1u << REC_COUNT) - 1, 0, true);
    for (int r = 0; r < REC_COUNT; r++)
        if (!audit_types[r].custom)
            assert_true(count(&e, (enum audit_rec)r) >= 1);
    assert_int_equal(count(&e, REC_ETHERNET), NFRAMES);

    Netsift__Dot1Q *q = (Netsift__Dot1Q *)nth(&e, REC_DOT1Q, 0);
    assert_int_equal(q->priority, 5);
    assert_true(q->dropeligible);
    assert_int_equal(q->vlanidentifier, 100);
    assert_int_equal(q->type, 0x86dd);
    protobuf_c_message_free_unpacked(&q->base, NULL);

    Netsift__IPv6 *ip6 = (Netsift__IPv6 *)nth(&e, REC_IPV6, 0);
    assert_int_equal(ip6->n_extensionheaders, 1);
    assert_int_equal(ip6->extensionheaders[0]->type, 0);
    assert_int_equal(ip6->extensionheaders[0]->length, 8);
    assert_int_equal(ip6->upperprotocol, 6);
    assert_int_equal(ip6->trafficclass, 0xa8);
    assert_int_equal(ip6->flowlabel, 0x12345);
    protobuf_c_message_free_unpacked(&ip6->base, NULL);

    Netsift__TCP *tcp = (Netsift__TCP *)nth(&e, REC_TCP, 0);
    assert_true(tcp->syn);
    assert_false(tcp->ack);
    assert_int_equal(tcp->srcport, 40000);
    assert_int_equal(tcp->seqnum, PB_TCP_SEQ);
    assert_int_equal(tcp->options.len, 4);
    assert_int_equal(tcp->payloadsize, 5);
    assert_memory_equal(tcp->payload.data, "hello", 5);
    protobuf_c_message_free_unpacked(&tcp->base, NULL);

    Netsift__DNS *dns = (Netsift__DNS *)nth(&e, REC_DNS, 0);
    assert_string_equal(dns->questionname, "example.com");
    assert_int_equal(dns->id, 0x1234);
    assert_true(dns->rd);
    assert_false(dns->qr);
    protobuf_c_message_free_unpacked(&dns->base, NULL);

    Netsift__ARP *arp = (Netsift__ARP *)nth(&e, REC_ARP, 0);
    assert_string_equal(arp->srchwaddress, "00:11:22:33:44:55");
    assert_string_equal(arp->dstprotaddress, "192.168.0.2");
    assert_int_equal(arp->operation, 1);
    protobuf_c_message_free_unpacked(&arp->base, NULL);

    Netsift__ICMPv4 *i4 = (Netsift__ICMPv4 *)nth(&e, REC_ICMPV4, 0);
    assert_int_equal(i4->type, 8);
    assert_int_equal(i4->rest, 0x00010002);
    protobuf_c_message_free_unpacked(&i4->base, NULL);

    Netsift__TLSClientHello *ch = (Netsift__TLSClientHello *)nth(&e, REC_TLSCLIENTHELLO, 0);
    assert_string_equal(ch->sni, "example.org");
    assert_int_equal(strlen(ch->ja3), 32);
    assert_int_equal(ch->srcport, 50000);
    assert_string_equal(ch->dstip, "192.168.200.254");
    protobuf_c_message_free_unpacked(&ch->base, NULL);
    Netsift__TLSServerHello *sh = (Netsift__TLSServerHello *)nth(&e, REC_TLSSERVERHELLO, 0);
    assert_int_equal(strlen(sh->ja3s), 32);
    assert_int_equal(sh->srcport, 443);
    protobuf_c_message_free_unpacked(&sh->base, NULL);

    Netsift__DHCPv4 *d = (Netsift__DHCPv4 *)nth(&e, REC_DHCPV4, 0);
    assert_int_equal(d->messagetype, 1);
    assert_int_equal(d->xid, 0x3903f326);
    assert_string_equal(d->clienthwaddr, "00:0c:29:ab:cd:ef");
    assert_string_equal(d->parameterlist, "1,3,6");
    assert_true(utf8_valid(d->hostname)); /* 'A' 0xff 'B' 'C' */
    assert_string_equal(d->hostname, "A\\255BC");
    protobuf_c_message_free_unpacked(&d->base, NULL);
    emitted_free(&e);
}

static void test_payload_only_when_asked(void **state)
{
    (void)state;
    struct emitted e = {0};
    encode_all(&e, (1u << REC_COUNT) - 1, 0, false);
    Netsift__TCP *tcp = (Netsift__TCP *)nth(&e, REC_TCP, 0);
    assert_int_equal(tcp->payloadsize, 5);
    assert_int_equal(tcp->payload.len, 0);
    protobuf_c_message_free_unpacked(&tcp->base, NULL);
    emitted_free(&e);
}

static void test_include_exclude(void **state)
{
    (void)state;
    uint32_t en, ex;
    char err[256];
    assert_int_equal(audit_select("", "IPv4,ipv6", &en, &ex, err, sizeof err), 0);
    struct emitted e = {0};
    encode_all(&e, en, ex, false);
    assert_int_equal(count(&e, REC_ETHERNET), NFRAMES);
    assert_int_equal(count(&e, REC_ARP), 1);
    assert_int_equal(count(&e, REC_DOT1Q), 1);
    for (int r = REC_IPV4; r <= REC_TLSSERVERHELLO; r++) /* all encapsulated by IP */
        assert_int_equal(count(&e, (enum audit_rec)r), 0);
    emitted_free(&e);

    assert_int_equal(audit_select("TCP,dns", "", &en, &ex, err, sizeof err), 0);
    encode_all(&e, en, ex, false);
    assert_int_equal(e.n, 4);
    assert_int_equal(count(&e, REC_TCP), 3);
    assert_int_equal(count(&e, REC_DNS), 1);
    emitted_free(&e);

    assert_int_equal(audit_select("TCP,Bogus", "", &en, &ex, err, sizeof err), -1);
    assert_non_null(strstr(err, "Bogus"));
}

/* Write e's buffers to one file per type in dir (one gzip member per
 * type, plus the header's), as the sink does. */
static void write_files(struct emitted *e, const char *dir)
{
    struct audit_deflater d;
    assert_int_equal(audit_deflater_init(&d, 6), 0);
    for (int r = 0; r < REC_COUNT; r++) {
        Netsift__Header h = NETSIFT__HEADER__INIT;
        h.type = audit_types[r].nc;
        h.version = (char *)audit_version();
        h.inputsource = (char *)"test";
        char path[512], err[256];
        snprintf(path, sizeof path, "%s/%s.ncap.gz", dir, audit_types[r].name);
        struct audit_file f;
        assert_int_equal(audit_file_create(&f, path, &h, 6, err, sizeof err), 0);
        /* two members for the records: the first half and the rest */
        struct audit_buf *b = &e->bufs[r];
        const uint8_t *gz;
        size_t gzlen, half = 0;
        while (half < b->len / 2) { /* a record boundary near the middle */
            uint64_t len = 0;
            int shift = 0;
            size_t p = half;
            do
                len |= (uint64_t)(b->data[p] & 0x7f) << shift, shift += 7;
            while (b->data[p++] & 0x80);
            half = p + len;
        }
        size_t parts[2][2] = {{0, half}, {half, b->len - half}};
        for (int i = 0; i < 2; i++)
            if (parts[i][1]) {
                assert_int_equal(audit_deflate(&d, b->data + parts[i][0], parts[i][1], &gz, &gzlen), 0);
                assert_int_equal(audit_file_append(&f, gz, gzlen, 0), 0);
            }
        assert_int_equal(audit_file_close(&f, err, sizeof err), 0);
    }
    audit_deflater_free(&d);
}

/* Every record read back packs to the bytes that were written. */
static void check_read_back(const struct emitted *e, const char *dir)
{
    for (int r = 0; r < REC_COUNT; r++) {
        char path[512], err[256];
        snprintf(path, sizeof path, "%s/%s.ncap.gz", dir, audit_types[r].name);
        struct audit_reader *rd = audit_reader_open(path, err, sizeof err);
        assert_non_null(rd);
        assert_int_equal(audit_reader_type(rd), r);
        assert_string_equal(audit_reader_header(rd)->inputsource, "test");
        const ProtobufCMessage *m;
        int k = 0;
        while (audit_reader_next(rd, &m, err, sizeof err) == 1) {
            while (k < e->n && e->rec[k] != (enum audit_rec)r)
                k++;
            assert_true(k < e->n);
            size_t len = protobuf_c_message_get_packed_size(m);
            assert_int_equal(len, e->len[k]);
            uint8_t *again = malloc(len + 1);
            protobuf_c_message_pack(m, again);
            assert_memory_equal(again, e->bytes[k], len);
            free(again);
            k++;
        }
        assert_int_equal(audit_reader_count(rd), (uint64_t)count(e, (enum audit_rec)r));
        assert_false(audit_reader_truncated(rd, NULL));
        audit_reader_close(rd);
    }
}

/* Connection: client->server SYN, server->client SYN+ACK, client ACK;
 * flip swaps addresses and ports of a built IPv4/TCP frame. */
static void tcp_packet(struct audit_flows *f, struct emitted *e, uint8_t flags, bool flip,
                       uint64_t ts)
{
    struct pb b;
    struct layout lay;
    build_tcp4(&b, flip ? 80 : 5555, flip ? 5555 : 80, flags, NULL, NULL, "xyz", 3, &lay);
    if (flip) {
        uint8_t tmp[6];
        memcpy(tmp, b.d, 6), memcpy(b.d, b.d + 6, 6), memcpy(b.d + 6, tmp, 6);
        memcpy(tmp, b.d + lay.ip + 12, 4);
        memcpy(b.d + lay.ip + 12, b.d + lay.ip + 16, 4);
        memcpy(b.d + lay.ip + 16, tmp, 4);
    }
    struct packet pkt;
    uint8_t *copy = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    pkt.timestamp = ts;
    assert_int_equal(audit_flows_packet(f, 0, &pkt, collect, e), 0);
    free(copy);
}

static void test_flows(void **state)
{
    (void)state;
    struct emitted e = {0};
    struct audit_flows *f = audit_flows_new(1, (1u << REC_COUNT) - 1, 64, 10000000);
    assert_non_null(f);
    uint64_t t0 = 1700000000000000ull;
    tcp_packet(f, &e, 0x02, false, t0);
    tcp_packet(f, &e, 0x12, true, t0 + 1000);
    tcp_packet(f, &e, 0x10, false, t0 + 2000);
    assert_int_equal(e.n, 0); /* nothing ends yet */
    /* 60 s later: the idle Connection ends, a new one starts */
    tcp_packet(f, &e, 0x10, false, t0 + 60000000);
    assert_int_equal(count(&e, REC_CONNECTION), 1);
    assert_int_equal(count(&e, REC_FLOW), 1); /* client to server; the other is not over */
    Netsift__Connection *c = (Netsift__Connection *)nth(&e, REC_CONNECTION, 0);
    assert_int_equal(c->clientpackets, 2);
    assert_int_equal(c->serverpackets, 1);
    assert_int_equal(c->srcport, 5555);
    assert_int_equal(c->dstport, 80);
    assert_string_equal(c->srcip, "10.0.0.1");
    assert_int_equal(c->syncount, 2);
    assert_int_equal(c->ackcount, 2);
    assert_int_equal(c->clientpayloadbytes, 6);
    assert_int_equal(c->duration, 2000);
    assert_string_equal(c->transportproto, "TCP");
    protobuf_c_message_free_unpacked(&c->base, NULL);
    assert_int_equal(audit_flows_flush(f, 0, collect, &e), 0);
    assert_int_equal(audit_flows_flush(f, -1u, collect, &e), 0);
    assert_int_equal(count(&e, REC_CONNECTION), 2);
    /* windows of 10 s: t0 and t0+60 s fall in different ones */
    assert_int_equal(count(&e, REC_LINKFLOW), 3);
    assert_int_equal(count(&e, REC_NETWORKFLOW), 3);
    assert_int_equal(count(&e, REC_TRANSPORTFLOW), 3);
    assert_int_equal(audit_flows_overflows(f), 0);
    audit_flows_free(f);

    /* and the flow records through a file too */
    char dir[] = "/tmp/netsift-audit-XXXXXX";
    assert_non_null(mkdtemp(dir));
    write_files(&e, dir);
    check_read_back(&e, dir);
    emitted_free(&e);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_flow_table_overflow(void **state)
{
    (void)state;
    struct emitted e = {0};
    struct audit_flows *f = audit_flows_new(1, 1u << REC_FLOW, 2, 10000000);
    for (int i = 0; i < 3; i++) { /* three flows in a table of two */
        struct pb b;
        struct layout lay;
        build_udp4(&b, (uint16_t)(1000 + i), 53, "x", 1, &lay);
        struct packet pkt;
        uint8_t *copy = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
        assert_int_equal(audit_flows_packet(f, 0, &pkt, collect, &e), 0);
        free(copy);
    }
    assert_int_equal(audit_flows_overflows(f), 1);
    assert_int_equal(count(&e, REC_FLOW), 2);
    audit_flows_flush(f, 0, collect, &e);
    assert_int_equal(count(&e, REC_FLOW), 3);
    audit_flows_free(f);
    emitted_free(&e);
}

static void test_round_trip_files(void **state)
{
    (void)state;
    struct emitted e = {0};
    encode_all(&e, (1u << REC_COUNT) - 1, 0, true);
    char dir[] = "/tmp/netsift-audit-XXXXXX";
    assert_non_null(mkdtemp(dir));
    write_files(&e, dir);
    check_read_back(&e, dir);

    /* truncated: the TCP file cut inside its last member */
    char path[512], cut[600], err[256];
    snprintf(path, sizeof path, "%s/Ethernet.ncap.gz", dir);
    snprintf(cut, sizeof cut, "%s/cut.gz", dir);
    FILE *in = fopen(path, "rb");
    uint8_t buf[65536];
    size_t n = fread(buf, 1, sizeof buf, in);
    fclose(in);
    FILE *out = fopen(cut, "wb");
    fwrite(buf, 1, n - 12, out); /* without the last member's trailer */
    fclose(out);
    struct audit_reader *rd = audit_reader_open(cut, err, sizeof err);
    assert_non_null(rd);
    const ProtobufCMessage *m;
    int rc;
    while ((rc = audit_reader_next(rd, &m, err, sizeof err)) == 1)
        ;
    assert_int_equal(rc, 0);
    assert_true(audit_reader_truncated(rd, NULL));
    assert_true(audit_reader_count(rd) < NFRAMES);
    audit_reader_close(rd);

    /* corrupt: a flipped byte inside a compressed member */
    buf[n - 30] ^= 0x55;
    out = fopen(cut, "wb");
    fwrite(buf, 1, n, out);
    fclose(out);
    rd = audit_reader_open(cut, err, sizeof err);
    rc = 0;
    if (rd) {
        while ((rc = audit_reader_next(rd, &m, err, sizeof err)) == 1)
            ;
        audit_reader_close(rd);
    }
    assert_true(!rd || rc < 0);
    assert_non_null(strstr(err, "offset"));

    /* foreign: not gzip, and gzip of something else */
    out = fopen(cut, "wb");
    fputs("not a record file\n", out);
    fclose(out);
    assert_null(audit_reader_open(cut, err, sizeof err));
    assert_non_null(strstr(err, "not a gzip file"));
    assert_non_null(strstr(err, "offset 0"));
    emitted_free(&e);
    snprintf(cut, sizeof cut, "rm -rf '%s'", dir);
    assert_int_equal(system(cut), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layer_fields),
        cmocka_unit_test(test_payload_only_when_asked),
        cmocka_unit_test(test_include_exclude),
        cmocka_unit_test(test_flows),
        cmocka_unit_test(test_flow_table_overflow),
        cmocka_unit_test(test_round_trip_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
