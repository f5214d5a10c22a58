/*
 * tls_hello.c - ClientHello / ServerHello parsing, JA3 and JA3S (see
 * tls_hello.h).
 */
#include "tls_hello.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "cursor.h"

#define TLS_RECORD_MAX (16384 + 2048) /* TLSCiphertext limit */

enum tls_status tls_first_handshake(const uint8_t *stream, size_t n, uint8_t *msg,
                                    size_t msg_max, size_t *msg_len)
{
    struct cursor c = cursor_make(stream, n);
    size_t have = 0;
    for (;;) {
        uint8_t type, major;
        uint16_t rec_len;
        if (!cursor_has(&c, 5))
            return TLS_MORE;
        cursor_peek_u8(&c, 0, &type);
        cursor_peek_u8(&c, 1, &major);
        cursor_peek_be16(&c, 3, &rec_len);
        if (type != 22 || major != 3 || rec_len == 0 || rec_len > TLS_RECORD_MAX)
            return TLS_BAD;
        cursor_skip(&c, 5);
        struct cursor body = cursor_sub(&c, rec_len);
        size_t take = body.left;
        if (have + take > msg_max)
            take = msg_max - have;
        cursor_get_bytes(&body, msg + have, take);
        have += take;
        if (have >= 4) {
            size_t need = 4 + ((size_t)msg[1] << 16 | (size_t)msg[2] << 8 | msg[3]);
            if (need > msg_max)
                return TLS_BAD;
            if (have >= need) {
                *msg_len = need;
                return TLS_DONE;
            }
        }
        if (!cursor_skip(&c, rec_len))
            return TLS_MORE; /* the record continues past what was captured */
    }
}

static bool is_grease(uint16_t v)
{
    return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* A growing text buffer for JA3 strings (sized by the caller to fit). */
struct text {
    char *s;
    size_t used, cap;
};

/* Append a character (the buffer is sized by the caller to fit). */
static void put_char(struct text *t, char c)
{
    if (t->used < t->cap)
        t->s[t->used++] = c;
}

/* Append v in decimal, after a '-' unless it is the first of a list. */
static void put_num(struct text *t, bool first, unsigned v)
{
    char d[10];
    int n = 0;
    do {
        d[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (!first)
        put_char(t, '-');
    while (n)
        put_char(t, d[--n]);
}

/* Append the n-byte-wide values of c (u16 when wide, else u8) joined by
 * '-', GREASE left out. */
static void put_list(struct text *t, struct cursor c, bool wide)
{
    bool first = true;
    for (;;) {
        unsigned v;
        if (wide) {
            uint16_t x;
            if (!cursor_get_be16(&c, &x))
                return;
            if (is_grease(x))
                continue;
            v = x;
        } else {
            uint8_t x;
            if (!cursor_get_u8(&c, &x))
                return;
            v = x;
        }
        put_num(t, first, v);
        first = false;
    }
}

/* A length-prefixed field: its body as a cursor (the field skipped in c). */
static bool get_vector(struct cursor *c, int len_bytes, struct cursor *body)
{
    uint16_t n16 = 0;
    uint8_t n8 = 0;
    size_t n;
    if (len_bytes == 2 ? !cursor_get_be16(c, &n16) : !cursor_get_u8(c, &n8))
        return false;
    n = len_bytes == 2 ? n16 : n8;
    if (!cursor_has(c, n))
        return false;
    *body = cursor_sub(c, n);
    cursor_skip(c, n);
    return true;
}

/* The handshake body after type and length, checked against msg. */
static bool handshake_body(const uint8_t *msg, size_t len, uint8_t want, struct cursor *body)
{
    struct cursor c = cursor_make(msg, len);
    uint8_t type, l[3];
    if (!cursor_get_u8(&c, &type) || type != want || !cursor_get_bytes(&c, l, 3))
        return false;
    size_t n = (size_t)l[0] << 16 | (size_t)l[1] << 8 | l[2];
    if (!cursor_has(&c, n))
        return false;
    *body = cursor_sub(&c, n);
    return true;
}

static void server_name(struct cursor ext, char sni[TEXT_FIELD_MAX + 1])
{
    struct cursor list, name;
    uint8_t type;
    if (!get_vector(&ext, 2, &list))
        return;
    while (cursor_get_u8(&list, &type) && get_vector(&list, 2, &name)) {
        if (type == 0) {
            text_field(name.p, name.left, TEXT_FIELD_MAX, true, sni);
            return;
        }
    }
}

/* ---- JA4 ----------------------------------------------------------- */

/* At most this many ciphers / extensions / signature algorithms are kept
 * for JA4 (a ClientHello of TLS_HANDSHAKE_MAX bytes could list more; the
 * counts in JA4 stop at 99 anyway). */
#define JA4_MAX_LIST 512

struct u16_list {
    uint16_t v[JA4_MAX_LIST];
    size_t n;
};

static void list_add(struct u16_list *l, uint16_t v)
{
    if (l->n < JA4_MAX_LIST)
        l->v[l->n++] = v;
}

/* The 2-byte values of c, GREASE left out. */
static void list_read(struct u16_list *l, struct cursor c)
{
    uint16_t v;
    while (cursor_get_be16(&c, &v))
        if (!is_grease(v))
            list_add(l, v);
}

static int cmp_u16(const void *a, const void *b)
{
    uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
    return (x > y) - (x < y);
}

/* "xxxx,xxxx,..." of the list into t. */
static void put_hex_list(struct text *t, const struct u16_list *l)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < l->n; i++) {
        if (i)
            put_char(t, ',');
        for (int s = 12; s >= 0; s -= 4)
            put_char(t, hex[(l->v[i] >> s) & 15]);
    }
}

/* First 12 hex digits of SHA-256 of t, or twelve zeros for empty input. */
static void sha12(const struct text *t, char out[13])
{
    static const char hex[] = "0123456789abcdef";
    uint8_t d[SHA256_DIGEST_LENGTH];
    if (t->used == 0) {
        memcpy(out, "000000000000", 13);
        return;
    }
    SHA256((const unsigned char *)t->s, t->used, d);
    for (int i = 0; i < 6; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[12] = '\0';
}

static const char *ja4_version(uint16_t v)
{
    static const struct {
        uint16_t v;
        const char *s;
    } names[] = {{0x0304, "13"}, {0x0303, "12"}, {0x0302, "11"}, {0x0301, "10"},
                 {0x0300, "s3"}, {0x0200, "s2"}, {0x0100, "s1"}, {0xfeff, "d1"},
                 {0xfefd, "d2"}, {0xfefc, "d3"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].v == v)
            return names[i].s;
    return "00";
}

static bool alnum(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The two ALPN characters: first and last of the first protocol name. */
static void ja4_alpn(struct cursor ext, char out[3])
{
    static const char hex[] = "0123456789abcdef";
    struct cursor list, name;
    memcpy(out, "00", 3);
    if (!get_vector(&ext, 2, &list) || !get_vector(&list, 1, &name) || name.left == 0)
        return;
    uint8_t first = name.p[0], last = name.p[name.left - 1];
    if (alnum(first) && alnum(last)) {
        out[0] = (char)first;
        out[1] = (char)last;
    } else {
        out[0] = hex[first >> 4];
        out[1] = hex[last & 15];
    }
}

struct ja4_parts {
    struct u16_list ciphers, exts, sigalgs;
    uint16_t version;    /* highest supported_versions value, else the hello's */
    unsigned ext_count;  /* extensions without GREASE, SNI and ALPN included */
    bool sni;
    char alpn[3];
};

static void ja4_format(struct ja4_parts *j, char out[TLS_JA4_LEN])
{
    char buf[8 * JA4_MAX_LIST], b[13], c[13];
    struct text t = {buf, 0, sizeof buf};
    qsort(j->ciphers.v, j->ciphers.n, sizeof j->ciphers.v[0], cmp_u16);
    put_hex_list(&t, &j->ciphers);
    sha12(&t, b);
    t.used = 0;
    qsort(j->exts.v, j->exts.n, sizeof j->exts.v[0], cmp_u16);
    put_hex_list(&t, &j->exts);
    if (j->sigalgs.n) {
        put_char(&t, '_');
        put_hex_list(&t, &j->sigalgs);
    }
    sha12(&t, c);
    size_t nc = j->ciphers.n > 99 ? 99 : j->ciphers.n;
    unsigned ne = j->ext_count > 99 ? 99 : j->ext_count;
    snprintf(out, TLS_JA4_LEN, "t%s%c%02zu%02u%s_%s_%s", ja4_version(j->version), j->sni ? 'd' : 'i',
             nc, ne, j->alpn, b, c);
}

/* One extension of the ClientHello, for JA4. */
static void ja4_extension(struct ja4_parts *j, uint16_t type, struct cursor body)
{
    struct cursor list;
    uint16_t v;
    if (is_grease(type))
        return;
    j->ext_count++;
    if (type == 0) {
        j->sni = true;
    } else if (type == 16) {
        ja4_alpn(body, j->alpn);
    } else {
        list_add(&j->exts, type);
        if (type == 13 && get_vector(&body, 2, &list)) {
            list_read(&j->sigalgs, list);
        } else if (type == 43 && get_vector(&body, 1, &list)) {
            while (cursor_get_be16(&list, &v))
                if (!is_grease(v) && v > j->version)
                    j->version = v;
        }
    }
}

int tls_parse_client_hello(const uint8_t *msg, size_t len, struct tls_client_hello *out)
{
    struct cursor c, session, ciphers, compression;
    struct cursor exts = {NULL, 0}, groups = {NULL, 0}, formats = {NULL, 0};
    uint16_t version;
    memset(out, 0, sizeof *out);
    if (!handshake_body(msg, len, 1, &c) || !cursor_get_be16(&c, &version) ||
        !cursor_skip(&c, 32) || !get_vector(&c, 1, &session) || !get_vector(&c, 2, &ciphers) ||
        !get_vector(&c, 1, &compression))
        return -1;
    if (c.left > 0 && !get_vector(&c, 2, &exts))
        return -1;
    /* each input byte becomes at most 3 characters ("65535-" per 2 bytes) */
    struct text t = {NULL, 0, 3 * len + 64};
    struct ja4_parts *j = calloc(1, sizeof *j);
    if (!j || !(t.s = malloc(t.cap))) {
        free(j);
        return -1;
    }
    memcpy(j->alpn, "00", 3);
    list_read(&j->ciphers, ciphers);
    bool supported_versions = false;
    t.s[0] = '\0';
    put_num(&t, true, version);
    put_char(&t, ',');
    put_list(&t, ciphers, true);
    put_char(&t, ',');
    bool first = true;
    for (struct cursor e = exts; e.left > 0;) {
        uint16_t type;
        struct cursor body;
        if (!cursor_get_be16(&e, &type) || !get_vector(&e, 2, &body))
            break;
        ja4_extension(j, type, body);
        supported_versions |= type == 43;
        if (type == 0)
            server_name(body, out->sni);
        else if (type == 10)
            get_vector(&body, 2, &groups);
        else if (type == 11)
            get_vector(&body, 1, &formats);
        if (is_grease(type))
            continue;
        put_num(&t, first, type);
        first = false;
    }
    put_char(&t, ',');
    put_list(&t, groups, true);
    put_char(&t, ',');
    put_list(&t, formats, false);
    digest_md5_hex(t.s, t.used, out->ja3);
    free(t.s);
    if (!supported_versions || j->version == 0)
        j->version = version;
    ja4_format(j, out->ja4);
    free(j);
    return 0;
}

int tls_parse_server_hello(const uint8_t *msg, size_t len, struct tls_server_hello *out)
{
    struct cursor c, session, exts = {NULL, 0};
    uint16_t version, cipher;
    uint8_t compression;
    char buf[64 + 6 * 1024];
    memset(out, 0, sizeof *out);
    if (!handshake_body(msg, len, 2, &c) || !cursor_get_be16(&c, &version) ||
        !cursor_skip(&c, 32) || !get_vector(&c, 1, &session) || !cursor_get_be16(&c, &cipher) ||
        !cursor_get_u8(&c, &compression))
        return -1;
    if (c.left > 0 && !get_vector(&c, 2, &exts))
        return -1;
    struct text t = {buf, 0, sizeof buf};
    buf[0] = '\0';
    put_num(&t, true, version);
    put_char(&t, ',');
    put_num(&t, true, cipher);
    put_char(&t, ',');
    bool first = true;
    for (int i = 0; exts.left > 0 && i < 1024; i++) {
        uint16_t type;
        struct cursor body;
        if (!cursor_get_be16(&exts, &type) || !get_vector(&exts, 2, &body))
            break;
        if (is_grease(type))
            continue;
        put_num(&t, first, type);
        first = false;
    }
    digest_md5_hex(t.s, t.used, out->ja3s);
    return 0;
}
