/*
 * test_fingerprint.c - fingerprint inputs, one test per kind: the
 * specification's DNS example, TLS (SNI, JA3, JA3S from hand-built
 * hellos, GREASE left out, records split), HTTP, SSH, DHCP, QUIC, and
 * the normalisation every input goes through (escaping, lower case,
 * cutting at fixed lengths without splitting a character or escape).
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

#include "monitor/cleartext.h"
#include "monitor/collect.h"
#include "monitor/fingerprint.h"
#include "monitor/stream_prefix.h"
#include "monitor/tls_hello.h"
#include "pktbuild.h"

#define JA3_EXAMPLE "46bdf94c81b6051631c094dcdd4cfc23"  /* 771,4865-4866-49195,0-10-11-16,29-23,0 */
#define JA3S_EXAMPLE "f4febc55ea12b31ae17cfb7e614afda8" /* 771,4865,43-51 */

static void spec_dns_example(void **state)
{
    (void)state;
    struct fingerprint fp;
    char hash[FP_HASH_LEN];
    fp_sha256_b64("1.0.0.10.in-addr.arpa", 21, hash);
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
    fp_sha256_b64("", 0, hash); /* SHA-256 of nothing */
    assert_string_equal(hash, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU");
    assert_int_equal(strlen(hash), 43);
}

static void dns_name_is_lower_cased_and_cut(void **state)
{
    (void)state;
    char out[FP_TEXT_MAX + 1], in[600];
    assert_string_equal(fp_cut("WWW.Example.COM", FP_TEXT_MAX, true, out), "www.example.com");
    /* a name of 300 bytes is cut at 255 */
    memset(in, 'a', 300);
    in[300] = '\0';
    assert_int_equal(strlen(fp_cut(in, FP_TEXT_MAX, true, out)), 255);
    /* an escape at the cut is left out whole, never split */
    memset(in, 'a', 253);
    memcpy(in + 253, "\\200b", 6);
    assert_string_equal(fp_cut(in, FP_TEXT_MAX, false, out) + 250, "aaa");
    memcpy(in + 253, "\\.b", 4);
    assert_string_equal(fp_cut(in, FP_TEXT_MAX, false, out) + 250, "aaa\\.");
}

static void packet_text_is_escaped(void **state)
{
    (void)state;
    char out[FP_TEXT_MAX + 1];
    const uint8_t raw[] = {'A', 'b', '\n', 0xff, '\\', 0xc3, 0xa9};
    assert_string_equal(fp_text(raw, sizeof raw, FP_TEXT_MAX, false, out), "Ab\\010\\255\\\\\xc3\xa9");
    assert_string_equal(fp_text(raw, sizeof raw, FP_TEXT_MAX, true, out), "ab\\010\\255\\\\\xc3\xa9");
    /* a UTF-8 character is not split at the limit */
    uint8_t long_utf8[300];
    memset(long_utf8, 'x', 254);
    long_utf8[254] = 0xc3;
    long_utf8[255] = 0xa9;
    assert_int_equal(strlen(fp_text(long_utf8, 256, FP_TEXT_MAX, false, out)), 254);
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
    fp_sha256_b64(want, strlen(want), hash);
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

    /* the same bytes through a stream prefix, out of order: a gap fails */
    struct stream_prefix sp = {.max = 64};
    assert_int_equal(stream_prefix_add(&sp, 1000, rec.d, 10), 10);
    assert_int_equal(stream_prefix_add(&sp, 1005, rec.d + 5, 10), 5); /* overlap */
    assert_int_equal(stream_prefix_add(&sp, 1030, rec.d + 30, 10), 0); /* gap */
    assert_true(sp.failed);
    stream_prefix_free(&sp);
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
        cmocka_unit_test(http_host_and_user_agent),
        cmocka_unit_test(ssh_banners),
        cmocka_unit_test(dhcp_parameter_list_and_vendor_class),
        cmocka_unit_test(quic_sni_is_cut_at_63),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
