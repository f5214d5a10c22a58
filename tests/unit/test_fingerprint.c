/*
 * test_fingerprint.c - fingerprint inputs, one test per kind: the
 * specification's DNS example, TLS (SNI, JA3, JA3S from hand-built
 * hellos, GREASE left out, records split), HTTP, SSH, DHCP, QUIC, and
 * the normalisation every input goes through (escaping, lower case,
 * cutting at fixed lengths without splitting a character or escape).
 * The collector (monitor/collect.c) on hand-built TCP segments: a
 * ClientHello over three segments in every order, with an overlapping
 * retransmission of different bytes (first data wins), a lost segment,
 * and DNS over TCP with two messages in a segment and a message over two
 * segments that arrive reversed.
 * Expected hashes were computed independently (Python hashlib).
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

#include "monitor/cleartext.h"
#include "monitor/collect.h"
#include "monitor/fingerprint.h"
#include "decode/tls_hello.h"
#include "pktbuild.h"

#define JA3_EXAMPLE "46bdf94c81b6051631c094dcdd4cfc23"  /* 771,4865-4866-49195,0-10-11-16,29-23,0 */
#define JA3S_EXAMPLE "f4febc55ea12b31ae17cfb7e614afda8" /* 771,4865,43-51 */

static void spec_dns_example(void **state)
{
    (void)state;
    struct fingerprint fp;
    char hash[FP_HASH_LEN];
    digest_sha256_b64("1.0.0.10.in-addr.arpa", 21, hash);
    assert_string_equal(hash, "NqRTRWiNdfG4zMkiXE9P0eRQIefPgMYV/vXUymxdvNw");
    fp_make_dns(&fp, "1.0.0.10.in-addr.arpa");
    assert_int_equal(fp.kind, FP_DNS);
    assert_string_equal(fp.hash, "NqRTRWiNdfG4zMkiXE9P0eRQIefPgMYV/vXUymxdvNw");
    assert_string_equal(fp.query, "1.0.0.10.in-addr.arpa");
    assert_string_equal(fp.input, "1.0.0.10.in-addr.arpa");
}

static void hash_is_unpadded_base64(void **state)
{
    (void)state;
    char hash[FP_HASH_LEN];
    digest_sha256_b64("", 0, hash); /* SHA-256 of nothing */
    assert_string_equal(hash, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU");
    assert_int_equal(strlen(hash), 43);
}

static void dns_name_is_lower_cased_and_cut(void **state)
{
    (void)state;
    char out[FP_TEXT_MAX + 1], in[600];
    assert_string_equal(text_cut("WWW.Example.COM", FP_TEXT_MAX, true, out), "www.example.com");
    /* a name of 300 bytes is cut at 255 */
    memset(in, 'a', 300);
    in[300] = '\0';
    assert_int_equal(strlen(text_cut(in, FP_TEXT_MAX, true, out)), 255);
    /* an escape at the cut is left out whole, never split */
    memset(in, 'a', 253);
    memcpy(in + 253, "\\200b", 6);
    assert_string_equal(text_cut(in, FP_TEXT_MAX, false, out) + 250, "aaa");
    memcpy(in + 253, "\\.b", 4);
    assert_string_equal(text_cut(in, FP_TEXT_MAX, false, out) + 250, "aaa\\.");
}

static void packet_text_is_escaped(void **state)
{
    (void)state;
    char out[FP_TEXT_MAX + 1];
    const uint8_t raw[] = {'A', 'b', '\n', 0xff, '\\', 0xc3, 0xa9};
    assert_string_equal(text_field(raw, sizeof raw, FP_TEXT_MAX, false, out), "Ab\\010\\255\\\\\xc3\xa9");
    assert_string_equal(text_field(raw, sizeof raw, FP_TEXT_MAX, true, out), "ab\\010\\255\\\\\xc3\xa9");
    /* a UTF-8 character is not split at the limit */
    uint8_t long_utf8[300];
    memset(long_utf8, 'x', 254);
    long_utf8[254] = 0xc3;
    long_utf8[255] = 0xa9;
    assert_int_equal(strlen(text_field(long_utf8, 256, FP_TEXT_MAX, false, out)), 254);
}

/* ---- TLS ----------------------------------------------------------- */

static void put_u24(struct pb *b, size_t v)
{
    put_u8(b, (uint8_t)(v >> 16));
    put_be16(b, (uint16_t)v);
}

/* A ClientHello handshake message: GREASE cipher, extension and group
 * included (JA3 leaves them out); SNI "WWW.Example.com". */
static void client_hello(struct pb *m)
{
    struct pb body;
    pb_init(&body);
    put_be16(&body, 0x0303);
    put_fill(&body, 0x11, 32);            /* random */
    put_u8(&body, 0);                      /* session id */
    put_hex(&body, "0008 0a0a 1301 1302 c02b"); /* cipher suites */
    put_hex(&body, "01 00");               /* compression: null */
    struct pb ext;
    pb_init(&ext);
    put_hex(&ext, "1a1a 0000");                                /* GREASE extension */
    put_hex(&ext, "0000 0014 0012 00 000f");                   /* server_name */
    put_bytes(&ext, "WWW.Example.com", 15);
    put_hex(&ext, "000a 0008 0006 2a2a 001d 0017");            /* supported_groups */
    put_hex(&ext, "000b 0002 01 00");                          /* ec_point_formats */
    put_hex(&ext, "0010 0005 0003 02 6832");                   /* ALPN h2 */
    put_be16(&body, (uint16_t)ext.len);
    put_bytes(&body, ext.d, ext.len);
    pb_init(m);
    put_u8(m, 1);
    put_u24(m, body.len);
    put_bytes(m, body.d, body.len);
}

static void server_hello(struct pb *m)
{
    struct pb body;
    pb_init(&body);
    put_be16(&body, 0x0303);
    put_fill(&body, 0x22, 32);
    put_u8(&body, 0);
    put_be16(&body, 0x1301);
    put_u8(&body, 0);
    put_hex(&body, "000e 002b 0002 0304 0033 0004 001d 0000");
    pb_init(m);
    put_u8(m, 2);
    put_u24(m, body.len);
    put_bytes(m, body.d, body.len);
}

/* The message in TLS records of at most `chunk` bytes each. */
static void records(struct pb *out, const struct pb *msg, size_t chunk)
{
    pb_init(out);
    for (size_t off = 0; off < msg->len; off += chunk) {
        size_t n = msg->len - off < chunk ? msg->len - off : chunk;
        put_hex(out, "16 0301");
        put_be16(out, (uint16_t)n);
        put_bytes(out, msg->d + off, n);
    }
}

static void tls_ja3_sni_ja3s(void **state)
{
    (void)state;
    struct pb m, rec;
    uint8_t msg[TLS_HANDSHAKE_MAX];
    size_t len;
    struct tls_client_hello ch;
    struct tls_server_hello sh;
    client_hello(&m);
    records(&rec, &m, 4096);
    assert_int_equal(tls_first_handshake(rec.d, rec.len, msg, sizeof msg, &len), TLS_DONE);
    assert_int_equal(tls_parse_client_hello(msg, len, &ch), 0);
    assert_string_equal(ch.sni, "www.example.com");
    assert_string_equal(ch.ja3, JA3_EXAMPLE);
    server_hello(&m);
    records(&rec, &m, 4096);
    assert_int_equal(tls_first_handshake(rec.d, rec.len, msg, sizeof msg, &len), TLS_DONE);
    assert_int_equal(tls_parse_server_hello(msg, len, &sh), 0);
    assert_string_equal(sh.ja3s, JA3S_EXAMPLE);

    /* the input is SNI, JA4, JA3S (docs/fingerprints.md) */
    struct fingerprint fp;
    char want[FP_INPUT_MAX], hash[FP_HASH_LEN];
    fp_make_tls(&fp, ch.sni, ch.ja4, sh.ja3s);
    snprintf(want, sizeof want, "www.example.com\n%s\n%s", ch.ja4, JA3S_EXAMPLE);
    assert_string_equal(fp.input, want);
    digest_sha256_b64(want, strlen(want), hash);
    assert_string_equal(fp.hash, hash);
    assert_string_equal(fp.query, "www.example.com");
    fp_make_tls(&fp, ch.sni, ch.ja3, sh.ja3s); /* the former input, JA3 in the middle */
    assert_string_equal(fp.hash, "bRxuP9ND+KCJt9etjbmyj7GQ6JGABLwwEcNvBHcTguc");
    fp_make_tls(&fp, ch.sni, ch.ja3, ""); /* no ServerHello seen */
    assert_string_equal(fp.hash, "pNGgx5seaXtonDMUMZMT0dEjBTToZhB5tIFv9kKdae0");
}

static void tls_hello_in_many_records_and_segments(void **state)
{
    (void)state;
    struct pb m, rec;
    uint8_t msg[TLS_HANDSHAKE_MAX];
    size_t len;
    struct tls_client_hello ch;
    client_hello(&m);
    records(&rec, &m, 7); /* the message split over many small records */
    for (size_t cut = 0; cut < rec.len; cut += 13) /* every prefix is "more" */
        assert_int_equal(tls_first_handshake(rec.d, cut, msg, sizeof msg, &len), TLS_MORE);
    assert_int_equal(tls_first_handshake(rec.d, rec.len, msg, sizeof msg, &len), TLS_DONE);
    assert_int_equal(tls_parse_client_hello(msg, len, &ch), 0);
    assert_string_equal(ch.ja3, JA3_EXAMPLE);
}

static void tls_rejects_what_is_not_a_hello(void **state)
{
    (void)state;
    uint8_t msg[TLS_HANDSHAKE_MAX];
    size_t len;
    struct tls_client_hello ch;
    const uint8_t alert[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28};
    assert_int_equal(tls_first_handshake(alert, sizeof alert, msg, sizeof msg, &len), TLS_BAD);
    const uint8_t huge[] = {0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0xff, 0xff, 0xff};
    assert_int_equal(tls_first_handshake(huge, sizeof huge, msg, sizeof msg, &len), TLS_BAD);
    const uint8_t cut[] = {0x01, 0x00, 0x00, 0x10, 0x03, 0x03};
    assert_int_equal(tls_parse_client_hello(cut, sizeof cut, &ch), -1);
}

/* ---- the collector on TCP segments ------------------------------------ */

#define CLI_ISN 0xfffffe00u /* the client's stream wraps around 2^32 */
#define SRV_ISN 0x10000000u

/* A flow as the monitor sees it (monitor_worker.c): a collector started
 * by the first packet that calls for one, and what the flow knew of its
 * sequence space before each packet. */
struct tflow {
    struct collector c;
    bool started;
    struct collect_seq seq;
    struct reasm_stats st;
    uint16_t port[2]; /* direction 0's source port, direction 1's */
};

static void tflow_init(struct tflow *f, uint16_t client_port, uint16_t server_port)
{
    memset(f, 0, sizeof *f);
    f->port[0] = client_port;
    f->port[1] = server_port;
}

static void tseg(struct tflow *f, unsigned dir, uint8_t flags, uint32_t seq, const void *p,
                 size_t n)
{
    struct pb b;
    struct layout lay;
    struct packet pkt;
    build_tcp4(&b, f->port[dir], f->port[dir ^ 1], flags, NULL, NULL, p, n, &lay);
    uint32_t ack = f->seq.next[dir ^ 1]; /* everything the other side sent */
    set_be16(&b, lay.l4 + 4, (uint16_t)(seq >> 16));
    set_be16(&b, lay.l4 + 6, (uint16_t)seq);
    set_be16(&b, lay.l4 + 8, (uint16_t)(ack >> 16));
    set_be16(&b, lay.l4 + 10, (uint16_t)ack);
    uint8_t *d = decode_pb(&pkt, DLT_EN10MB, &b, b.len);
    if (f->started) {
        collect_packet(&f->c, &pkt, dir);
    } else {
        bool pending;
        enum fp_kind k = collect_candidate(&pkt, &f->seq, dir, &pending);
        if (k != FP_NONE || pending) {
            collect_start(&f->c, k, &pkt, dir, &f->seq, &f->st);
            f->started = true;
        }
    }
    uint32_t end = seq + (uint32_t)n + ((flags & 0x02) ? 1 : 0);
    if (!f->seq.known[dir] || (int32_t)(end - f->seq.next[dir]) > 0)
        f->seq.next[dir] = end;
    f->seq.known[dir] = true;
    free(d);
}

/* SYN, SYN-ACK, ACK. */
static void handshake(struct tflow *f)
{
    tseg(f, 0, 0x02, CLI_ISN - 1, NULL, 0);
    tseg(f, 1, 0x12, SRV_ISN - 1, NULL, 0);
    tseg(f, 0, 0x10, CLI_ISN, NULL, 0);
}

/* The ClientHello (in records of 100 bytes) over three segments sent in
 * `order` (1-based piece numbers; 0 ends); the ServerHello over two
 * segments, reversed.  Then the collector must hold SNI, JA3, JA3S. */
static void hello_in_order(const int *order, bool garbage_retransmission)
{
    struct pb m, ch, sh;
    client_hello(&m);
    records(&ch, &m, 100);
    server_hello(&m);
    records(&sh, &m, 4096);
    size_t cut[4] = {0, ch.len / 3, 2 * ch.len / 3, ch.len};
    struct tflow f;
    tflow_init(&f, 40000, 443);
    handshake(&f);
    for (const int *o = order; *o; o++) {
        int i = *o - 1;
        tseg(&f, 0, 0x18, CLI_ISN + (uint32_t)cut[i], ch.d + cut[i], cut[i + 1] - cut[i]);
        assert_false(collect_complete(&f.c) && o[1]); /* not before the last piece */
    }
    if (garbage_retransmission) {
        /* piece 2 again from 10 bytes into piece 1 to 10 bytes into
         * piece 3, those 20 bytes different: piece 1's were delivered,
         * piece 3's buffered, and the first copy wins */
        uint8_t again[PB_MAX];
        size_t from = cut[1] - 10, n = cut[2] + 10 - from;
        memcpy(again, ch.d + from, n);
        memset(again, 0xee, 10);
        memset(again + n - 10, 0xee, 10);
        tseg(&f, 0, 0x18, CLI_ISN + (uint32_t)from, again, n);
        assert_int_equal(f.st.retrans_bytes, 20);
        assert_int_equal(f.st.overlap_conflicts, 10);
    }
    assert_true(f.started);
    assert_int_equal(f.c.kind, FP_TLS);
    size_t half = sh.len / 2;
    tseg(&f, 1, 0x18, SRV_ISN + (uint32_t)half, sh.d + half, sh.len - half);
    tseg(&f, 1, 0x18, SRV_ISN, sh.d, half);
    assert_true(collect_complete(&f.c));
    struct fingerprint fp;
    assert_true(collect_fingerprint(&f.c, &fp));
    assert_string_equal(fp.query, "www.example.com");
    assert_string_equal(fp.ja3, JA3_EXAMPLE);
    assert_non_null(strstr(fp.input, JA3S_EXAMPLE));
    collect_free(&f.c);
    assert_int_equal(f.st.memory, 0); /* every held segment freed */
}

static void collector_hello_over_segments_in_any_order(void **state)
{
    (void)state;
    static const int in_order[] = {1, 2, 3, 0}, reversed[] = {3, 2, 1, 0}, mixed[] = {1, 3, 2, 0};
    static const int retrans[] = {1, 3, 0};
    hello_in_order(in_order, false);
    hello_in_order(reversed, false);
    hello_in_order(mixed, false);
    hello_in_order(retrans, true); /* 1, 3, then 2 retransmitted over part of 1 */
}

static void collector_gives_up_on_a_lost_segment(void **state)
{
    (void)state;
    struct pb m, ch;
    client_hello(&m);
    records(&ch, &m, 100);
    struct tflow f;
    tflow_init(&f, 40000, 443);
    handshake(&f);
    size_t third = ch.len / 3;
    tseg(&f, 0, 0x18, CLI_ISN, ch.d, third);
    tseg(&f, 0, 0x18, CLI_ISN + 2 * (uint32_t)third, ch.d + 2 * third, ch.len - 2 * third);
    assert_false(collect_complete(&f.c));
    assert_true(f.c.dir[0].rs.buffered > 0); /* the third piece is held */
    struct fingerprint fp;
    assert_false(collect_fingerprint(&f.c, &fp)); /* the hello never became whole */
    collect_free(&f.c);
    assert_int_equal(f.st.memory, 0);
}

/* A DNS query for `name` ("www.example.com") with a 2-byte length prefix;
 * qdcount 0 gives a message without a question. */
static void dns_tcp_message(struct pb *b, const char *name, uint16_t qdcount)
{
    struct pb msg;
    pb_init(&msg);
    put_hex(&msg, "1234 0100");
    put_be16(&msg, qdcount);
    put_hex(&msg, "0000 0000 0000");
    for (const char *l = name; qdcount && *l;) {
        const char *dot = strchr(l, '.');
        size_t n = dot ? (size_t)(dot - l) : strlen(l);
        put_u8(&msg, (uint8_t)n);
        put_bytes(&msg, l, n);
        l += n + (dot ? 1 : 0);
    }
    if (qdcount)
        put_hex(&msg, "00 0001 0001");
    put_be16(b, (uint16_t)msg.len);
    put_bytes(b, msg.d, msg.len);
}

static void collector_dns_over_tcp(void **state)
{
    (void)state;
    struct fingerprint fp;
    struct tflow f;
    struct pb s;
    /* two messages in one segment: the first without a question */
    pb_init(&s);
    dns_tcp_message(&s, "", 0);
    dns_tcp_message(&s, "Second.Example.org", 1);
    tflow_init(&f, 40000, 53);
    handshake(&f);
    tseg(&f, 0, 0x18, CLI_ISN, s.d, s.len);
    assert_true(f.c.dns_tcp);
    assert_true(collect_complete(&f.c));
    assert_true(collect_fingerprint(&f.c, &fp));
    assert_string_equal(fp.query, "second.example.org");
    collect_free(&f.c);

    /* one message over two segments (cut inside its length field, then
     * inside the name), the later one first, the server's answer before
     * them: only the client's direction is read */
    pb_init(&s);
    dns_tcp_message(&s, "split.example.net", 1);
    dns_tcp_message(&s, "later.example.net", 1);
    tflow_init(&f, 40000, 53);
    handshake(&f);
    tseg(&f, 1, 0x18, SRV_ISN, s.d, s.len); /* as if the server sent queries: ignored */
    tseg(&f, 0, 0x18, CLI_ISN + 20, s.d + 20, s.len - 20);
    tseg(&f, 0, 0x18, CLI_ISN + 1, s.d + 1, 19);
    assert_false(collect_complete(&f.c));
    tseg(&f, 0, 0x18, CLI_ISN, s.d, 1);
    assert_true(collect_complete(&f.c));
    assert_true(collect_fingerprint(&f.c, &fp));
    assert_string_equal(fp.query, "split.example.net");
    collect_free(&f.c);
    assert_int_equal(f.st.memory, 0);
}

/* Hostile streams stay within the caps: one-byte segments with holes
 * between them, data far beyond what a hello needs, and a DNS message of
 * 65535 bytes (read up to COLLECT_DNS_TCP_MAX, the rest skipped, the next
 * message still read). */
static void collector_stays_bounded(void **state)
{
    (void)state;
    struct tflow f;
    tflow_init(&f, 40000, 443);
    handshake(&f);
    uint8_t junk[1000];
    memset(junk, 'x', sizeof junk);
    for (uint32_t i = 1; i <= 500; i++) /* bytes 2, 4, 6, ...: the hole at 0 never fills */
        tseg(&f, 0, 0x18, CLI_ISN + 2 * i, junk, 1);
    assert_true(f.started && f.c.pending);
    assert_true(f.c.dir[0].rs.nsegs <= 2 * COLLECT_OOO_SEGS + 1);
    assert_true(f.st.memcap_gaps > 0); /* holes given up on to stay under the cap */
    uint64_t held = f.st.ooo_segments;
    tseg(&f, 0, 0x18, CLI_ISN + 100000, junk, sizeof junk); /* beyond any hello: not held */
    assert_int_equal(f.st.ooo_segments, held);
    assert_true(f.st.memory <= (2 * COLLECT_OOO_SEGS + 1) * reasm_stream_seg_cost(1));
    struct fingerprint fp;
    assert_false(collect_fingerprint(&f.c, &fp));
    collect_free(&f.c);
    assert_int_equal(f.st.memory, 0);

    tflow_init(&f, 40000, 53);
    handshake(&f);
    uint32_t seq = CLI_ISN;
    tseg(&f, 0, 0x18, seq, "\xff\xff", 2);
    seq += 2;
    for (int i = 0; i < 65; i++, seq += sizeof junk) /* 65000 of the 65535 bytes */
        tseg(&f, 0, 0x18, seq, junk, sizeof junk);
    assert_false(collect_complete(&f.c));
    assert_true(f.c.dir[0].cap <= COLLECT_DNS_TCP_MAX);
    struct pb m;
    pb_init(&m);
    put_fill(&m, 'x', 535); /* the end of the long message */
    dns_tcp_message(&m, "after.example.com", 1);
    tseg(&f, 0, 0x18, seq, m.d, m.len);
    assert_true(collect_complete(&f.c));
    assert_true(collect_fingerprint(&f.c, &fp));
    assert_string_equal(fp.query, "after.example.com");
    collect_free(&f.c);
}

/* ---- HTTP, SSH, DHCP, QUIC ------------------------------------------ */

static void http_host_and_user_agent(void **state)
{
    (void)state;
    char host[FP_TEXT_MAX + 1], ua[FP_TEXT_MAX + 1];
    const char *req = "GET / HTTP/1.1\r\nHost: WWW.Example.com \r\nAccept: */*\r\n"
                      "user-agent:  netsift-sample/1.0\r\n\r\n";
    size_t n = strlen(req);
    assert_int_equal(http_parse_request((const uint8_t *)req, 20, false, host, ua), CT_MORE);
    assert_int_equal(http_parse_request((const uint8_t *)req, n, false, host, ua), CT_DONE);
    assert_string_equal(host, "www.example.com");
    assert_string_equal(ua, "netsift-sample/1.0");
    struct fingerprint fp;
    fp_make_http(&fp, host, ua);
    assert_string_equal(fp.hash, "1fUXPkkBkYoKg3AMfqL1rHqDFVJyXCpiGb8BPHTEcEY");
    assert_string_equal(fp.query, "www.example.com");
    assert_int_equal(http_parse_request((const uint8_t *)"HTTP/1.1 200 OK\r\n", 17, true, host, ua),
                     CT_BAD);
}

static void ssh_banners(void **state)
{
    (void)state;
    char client[FP_TEXT_MAX + 1], server[FP_TEXT_MAX + 1];
    const char *c = "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", *s = "SSH-2.0-OpenSSH_8.4\r\n";
    assert_int_equal(ssh_parse_banner((const uint8_t *)c, 10, false, client), CT_MORE);
    assert_int_equal(ssh_parse_banner((const uint8_t *)c, strlen(c), false, client), CT_DONE);
    assert_int_equal(ssh_parse_banner((const uint8_t *)s, strlen(s), false, server), CT_DONE);
    assert_string_equal(client, "SSH-2.0-OpenSSH_9.2p1 Debian-2");
    struct fingerprint fp;
    fp_make_ssh(&fp, client, server);
    assert_string_equal(fp.hash, "njDpDez8UqU4t5/SLH12t8ZgeZZxDGE+751yNx1ZN68");
    assert_string_equal(fp.query, "SSH-2.0-OpenSSH_9.2p1 Debian-2");
    /* no line end within 255 bytes: the first 255 are the banner */
    uint8_t longb[400];
    memcpy(longb, "SSH-2.0-", 8);
    memset(longb + 8, 'x', sizeof longb - 8);
    assert_int_equal(ssh_parse_banner(longb, sizeof longb, false, client), CT_DONE);
    assert_int_equal(strlen(client), 255);
    assert_int_equal(ssh_parse_banner((const uint8_t *)"HELO", 4, false, client), CT_BAD);
}

static void dhcp_parameter_list_and_vendor_class(void **state)
{
    (void)state;
    const uint8_t params[] = {1, 3, 6, 15, 26, 28, 51, 58, 59, 43};
    char list[FP_TEXT_MAX + 1];
    collect_dhcp_params(params, sizeof params, list);
    assert_string_equal(list, "1,3,6,15,26,28,51,58,59,43");
    struct fingerprint fp;
    fp_make_dhcp(&fp, list, "android-dhcp-13", "pixel-7");
    assert_string_equal(fp.hash, "gUQypPQGMv5r+DyyENs2JHjpUzukqV5eQSPChCYA3uo");
    assert_string_equal(fp.query, "pixel-7"); /* the host name is the query, not an input */
    /* 255 options: the list stops before a number that does not fit */
    uint8_t many[255];
    memset(many, 255, sizeof many);
    collect_dhcp_params(many, sizeof many, list);
    assert_true(strlen(list) <= FP_TEXT_MAX);
    assert_int_equal(list[strlen(list) - 1], '5');
}

static void quic_sni_is_cut_at_63(void **state)
{
    (void)state;
    struct collector c;
    char sni[100];
    memset(sni, 'q', 99);
    sni[99] = '\0';
    collect_start_quic(&c, sni);
    struct fingerprint fp;
    assert_true(collect_fingerprint(&c, &fp));
    assert_int_equal(strlen(fp.query), FP_QUIC_SNI_MAX);
    collect_start_quic(&c, "LocalHost");
    assert_true(collect_fingerprint(&c, &fp));
    assert_string_equal(fp.hash, "SZYN5YgOjGh0NBcPZHZgW4/krrmihjLHmVzzuoMdl2M"); /* "localhost" */
    collect_start_quic(&c, "");
    assert_false(collect_fingerprint(&c, &fp)); /* no name: no fingerprint */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spec_dns_example),
        cmocka_unit_test(hash_is_unpadded_base64),
        cmocka_unit_test(dns_name_is_lower_cased_and_cut),
        cmocka_unit_test(packet_text_is_escaped),
        cmocka_unit_test(tls_ja3_sni_ja3s),
        cmocka_unit_test(tls_hello_in_many_records_and_segments),
        cmocka_unit_test(tls_rejects_what_is_not_a_hello),
        cmocka_unit_test(collector_hello_over_segments_in_any_order),
        cmocka_unit_test(collector_gives_up_on_a_lost_segment),
        cmocka_unit_test(collector_dns_over_tcp),
        cmocka_unit_test(collector_stays_bounded),
        cmocka_unit_test(http_host_and_user_agent),
        cmocka_unit_test(ssh_banners),
        cmocka_unit_test(dhcp_parameter_list_and_vendor_class),
        cmocka_unit_test(quic_sni_is_cut_at_63),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
