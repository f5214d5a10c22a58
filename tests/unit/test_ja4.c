/*
 * test_ja4.c - JA4 (TLS client) from tls_parse_client_hello(), against
 * published fingerprints: ClientHellos rebuilt from the raw, original-order
 * form (JA4_ro: ciphers, extensions, signature algorithms) that
 * tls.browserleaks.com and tls fingerprinting services print beside the
 * JA4 they computed (Chrome 146 and an older Chrome, Safari 17.6, an
 * OpenSSL client with ALPN http/1.1), with GREASE added where browsers send
 * it; plus the corner cases of the definition: no SNI, no ALPN, TLS 1.2
 * without supported_versions, no signature algorithms, a non-alphanumeric
 * ALPN value.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decode/tls_hello.h"

struct hello {
    uint8_t b[8192];
    size_t n;
};

static void u8(struct hello *h, unsigned v) { h->b[h->n++] = (uint8_t)v; }
static void u16(struct hello *h, unsigned v) { u8(h, v >> 8); u8(h, v & 0xff); }
static void patch16(struct hello *h, size_t at, size_t v)
{
    h->b[at] = (uint8_t)(v >> 8);
    h->b[at + 1] = (uint8_t)v;
}

/* "1301,1302,..." (hex, comma-separated) as 2-byte values. */
static void put_hex_list(struct hello *h, const char *list)
{
    for (const char *p = list; *p;) {
        char *end;
        u16(h, (unsigned)strtoul(p, &end, 16));
        p = *end == ',' ? end + 1 : end;
    }
}

struct spec {
    uint16_t version;     /* legacy_version */
    const char *ciphers;  /* original order */
    const char *exts;     /* original order; 0000 SNI, 0010 ALPN, 002b, 000d get bodies */
    const char *sigalgs;  /* "" for none */
    const uint8_t *alpn;  /* first ALPN value */
    size_t alpn_len;
    bool grease;          /* a GREASE cipher, extension and version, as browsers send */
    bool tls13;           /* supported_versions lists 0x0304 */
    const char *want;
};

/* A ClientHello handshake message (type, 3-byte length, body). */
static void build(struct hello *h, const struct spec *s)
{
    h->n = 0;
    u8(h, 1);
    u8(h, 0), u16(h, 0); /* length, patched */
    u16(h, s->version);
    for (int i = 0; i < 32; i++)
        u8(h, i);
    u8(h, 0); /* session id */
    size_t at = h->n;
    u16(h, 0);
    if (s->grease)
        u16(h, 0x0a0a);
    put_hex_list(h, s->ciphers);
    patch16(h, at, h->n - at - 2);
    u8(h, 1), u8(h, 0); /* compression: null */
    size_t ext_at = h->n;
    u16(h, 0);
    if (s->grease)
        u16(h, 0x2a2a), u16(h, 0);
    for (const char *p = s->exts; *p;) {
        char *end;
        unsigned type = (unsigned)strtoul(p, &end, 16);
        p = *end == ',' ? end + 1 : end;
        u16(h, type);
        size_t len_at = h->n;
        u16(h, 0);
        if (type == 0x0000) { /* server_name: example.com */
            u16(h, 14), u8(h, 0), u16(h, 11);
            memcpy(h->b + h->n, "example.com", 11);
            h->n += 11;
        } else if (type == 0x0010) {
            u16(h, s->alpn_len + 1 + 9);
            u8(h, (unsigned)s->alpn_len);
            memcpy(h->b + h->n, s->alpn, s->alpn_len);
            h->n += s->alpn_len;
            u8(h, 8);
            memcpy(h->b + h->n, "http/1.1", 8); /* a second value: only the first counts */
            h->n += 8;
        } else if (type == 0x002b) {
            u8(h, (s->grease ? 2 : 0) + (s->tls13 ? 4 : 2));
            if (s->grease)
                u16(h, 0x1a1a);
            if (s->tls13)
                u16(h, 0x0304);
            u16(h, 0x0303);
        } else if (type == 0x000d) {
            size_t sl = h->n;
            u16(h, 0);
            put_hex_list(h, s->sigalgs);
            patch16(h, sl, h->n - sl - 2);
        }
        patch16(h, len_at, h->n - len_at - 2);
    }
    patch16(h, ext_at, h->n - ext_at - 2);
    size_t body = h->n - 4;
    h->b[1] = (uint8_t)(body >> 16), h->b[2] = (uint8_t)(body >> 8), h->b[3] = (uint8_t)body;
}

#define CHROME_CIPHERS "1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035"
#define CHROME_SIGALGS "0403,0804,0401,0503,0805,0501,0806,0601"
static const uint8_t H2[] = "h2", HTTP11[] = "http/1.1", ODD[] = {0xab, 0xcd};

static const struct spec published[] = {
    {0x0303, CHROME_CIPHERS, "fe0d,002b,0012,44cd,000a,ff01,0033,0005,0023,0000,000d,0010,000b,001b,0017,002d",
     CHROME_SIGALGS, H2, 2, true, true, "t13d1516h2_8daaf6152771_d8a2da3f94cd"},
    {0x0303, CHROME_CIPHERS, "4469,002b,001b,0010,000b,000d,000a,0012,0023,0000,0005,0033,ff01,002d,0017,0015",
     CHROME_SIGALGS, H2, 2, true, true, "t13d1516h2_8daaf6152771_e5627efa2ab1"},
    {0x0303, "1301,1302,1303,c02c,c02b,cca9,c030,c02f,cca8,c00a,c009,c014,c013,009d,009c,0035,002f,c008,c012,000a",
     "0000,0017,ff01,000a,000b,0010,0005,000d,0012,0033,002d,002b,001b,0015",
     "0403,0804,0401,0503,0203,0805,0805,0501,0806,0601,0201", H2, 2, false, true,
     "t13d2014h2_a09f3c656075_14788d8d241b"},
    {0x0303, "1302,1303,1301,1304,c02c,c030,cca9,cca8,c0ad,c02b,c02f,c0ac,c023,c027,c00a,c014,c009,c013,"
             "009d,c09d,009c,c09c,003d,003c,0035,002f,00a3,009f,ccaa,c09f,00a2,009e,c09e,006b,006a,0067,"
             "0040,0039,0038,0033,0032,00ff",
     "0000,000b,000a,0010,0016,0017,0031,000d,002b,002d,0033,001b,0015",
     "0403,0503,0603,0807,0808,0809,080a,080b,0804,0805,0806,0401,0501,0601,0303,0301,0402,0502,0602,"
     "0302,0203,0201,0202", HTTP11, 8, false, true, "t13d4213h1_171bc101b036_5f0018e59d20"},
    /* TLS 1.2, no SNI, no signature algorithms, a non-alphanumeric ALPN: hex digits
     * (first of the first byte, last of the last); hashes: SHA-256 of "c02f,c030"
     * and of "000a,000b" */
    {0x0303, "c02f,c030", "000a,0010,000b", "", ODD, 2, false, false, "t12i0203ad_04659ec43a24_33a13ba74d1c"},
    /* no extensions at all: twelve zeros, ALPN 00 */
    {0x0301, "0035", "", "", NULL, 0, false, false, "t10i010000_692296a295db_000000000000"},
};

static void test_published(void **state)
{
    (void)state;
    struct hello *h = malloc(sizeof *h);
    assert_non_null(h);
    for (size_t i = 0; i < sizeof published / sizeof published[0]; i++) {
        struct tls_client_hello ch;
        build(h, &published[i]);
        assert_int_equal(tls_parse_client_hello(h->b, h->n, &ch), 0);
        assert_string_equal(ch.ja4, published[i].want);
    }
    free(h);
}

/* The JA3 of a shuffled extension order changes, JA4 does not. */
static void test_shuffle_stable(void **state)
{
    (void)state;
    struct hello *h = malloc(sizeof *h);
    assert_non_null(h);
    struct spec a = published[0], b = published[0];
    b.exts = "0000,000d,0010,000b,001b,0017,002d,fe0d,002b,0012,44cd,000a,ff01,0033,0005,0023";
    struct tls_client_hello x, y;
    build(h, &a);
    assert_int_equal(tls_parse_client_hello(h->b, h->n, &x), 0);
    build(h, &b);
    assert_int_equal(tls_parse_client_hello(h->b, h->n, &y), 0);
    assert_string_equal(x.ja4, y.ja4);
    assert_string_not_equal(x.ja3, y.ja3);
    free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_published),
        cmocka_unit_test(test_shuffle_stable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
