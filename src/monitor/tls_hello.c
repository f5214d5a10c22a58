/*
 * tls_hello.c - ClientHello / ServerHello parsing, JA3 and JA3S (see
 * tls_hello.h).
 */
#include "tls_hello.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../decode/cursor.h"

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

static void server_name(struct cursor ext, char sni[FP_TEXT_MAX + 1])
{
    struct cursor list, name;
    uint8_t type;
    if (!get_vector(&ext, 2, &list))
        return;
    while (cursor_get_u8(&list, &type) && get_vector(&list, 2, &name)) {
        if (type == 0) {
            fp_text(name.p, name.left, FP_TEXT_MAX, true, sni);
            return;
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
    if (!(t.s = malloc(t.cap)))
        return -1;
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
    fp_md5_hex(t.s, t.used, out->ja3);
    free(t.s);
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
    fp_md5_hex(t.s, t.used, out->ja3s);
    return 0;
}
