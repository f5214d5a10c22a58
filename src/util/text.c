/*
 * text.c - safe text and address formatting (see text.h).
 */
#include "text.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

/* Length of the valid UTF-8 sequence starting at in[0], or 0 if none. */
static size_t utf8_sequence_length(const uint8_t *in, size_t n)
{
    uint8_t b = in[0];
    size_t len;
    uint32_t min;
    if (b >= 0xc2 && b <= 0xdf) {
        len = 2;
        min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
        len = 3;
        min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
        len = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    uint32_t cp = b & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((in[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (in[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

size_t text_escape(const uint8_t *in, size_t n, char *out, size_t out_size,
                   bool escape_dot)
{
    size_t o = 0;
    if (out_size == 0)
        return (size_t)-1;
    for (size_t i = 0; i < n;) {
        char piece[5];
        size_t piece_len, consumed = 1;
        uint8_t b = in[i];
        if (b == '\\' || (escape_dot && b == '.')) {
            piece[0] = '\\';
            piece[1] = (char)b;
            piece_len = 2;
        } else if (b >= 0x20 && b < 0x7f) {
            piece[0] = (char)b;
            piece_len = 1;
        } else if (b >= 0x80 && (consumed = utf8_sequence_length(in + i, n - i)) > 0) {
            memcpy(piece, in + i, consumed);
            piece_len = consumed;
        } else {
            consumed = 1;
            snprintf(piece, sizeof piece, "\\%03u", b);
            piece_len = 4;
        }
        if (o + piece_len >= out_size) {
            out[o] = '\0';
            return (size_t)-1;
        }
        memcpy(out + o, piece, piece_len);
        o += piece_len;
        i += consumed;
    }
    out[o] = '\0';
    return o;
}

void format_hex_colon(const uint8_t *in, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (i)
            out[o++] = ':';
        out[o++] = hex[in[i] >> 4];
        out[o++] = hex[in[i] & 15];
    }
    out[o] = '\0';
}

void format_ip4(const uint8_t addr[4], char out[16])
{
    /* hot path: glibc's inet_ntop formats IPv4 through sprintf */
    char *o = out;
    for (int i = 0; i < 4; i++) {
        unsigned v = addr[i];
        if (i)
            *o++ = '.';
        if (v >= 100)
            *o++ = (char)('0' + v / 100);
        if (v >= 10)
            *o++ = (char)('0' + v / 10 % 10);
        *o++ = (char)('0' + v % 10);
    }
    *o = '\0';
}

void format_ip6(const uint8_t addr[16], char out[ADDR_TEXT_MAX])
{
    inet_ntop(AF_INET6, addr, out, ADDR_TEXT_MAX);
}

void format_addr(const uint8_t *in, size_t n, char out[ADDR_TEXT_MAX])
{
    if (n == 4)
        format_ip4(in, out);
    else if (n == 16)
        format_ip6(in, out);
    else
        format_hex_colon(in, n > 16 ? 16 : n, out);
}

void copy_str(char *dst, size_t size, const char *src)
{
    if (size == 0)
        return;
    size_t n = strnlen(src, size - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Bytes of the escaped-text piece starting at s: "\DDD", "\x", one UTF-8
 * character, or one byte. */
static size_t piece_len(const char *s)
{
    unsigned char b = (unsigned char)s[0];
    if (b == '\\')
        return s[1] >= '0' && s[1] <= '9' ? 4 : 2;
    if (b >= 0xf0)
        return 4;
    if (b >= 0xe0)
        return 3;
    if (b >= 0xc0)
        return 2;
    return 1;
}

char *text_cut(const char *in, size_t max, bool lower_case, char out[TEXT_FIELD_MAX + 1])
{
    size_t n = strlen(in), o = 0;
    if (max > TEXT_FIELD_MAX)
        max = TEXT_FIELD_MAX;
    while (o < n) {
        size_t p = piece_len(in + o);
        if (o + p > n || o + p > max)
            break;
        o += p;
    }
    for (size_t i = 0; i < o; i++) {
        char c = in[i];
        out[i] = lower_case && c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    out[o] = '\0';
    return out;
}

char *text_field(const uint8_t *in, size_t n, size_t max, bool lower_case,
                 char out[TEXT_FIELD_MAX + 1])
{
    char escaped[TEXT_FIELD_MAX + 8];
    if (max > TEXT_FIELD_MAX)
        max = TEXT_FIELD_MAX;
    /* text_escape stops before a piece that does not fit: never split */
    text_escape(in, n, escaped, max + 1, false);
    return text_cut(escaped, max, lower_case, out);
}

bool text_line(const char *p, size_t n, size_t *len, size_t *next)
{
    const char *lf = memchr(p, '\n', n);
    if (!lf)
        return false;
    *next = (size_t)(lf - p) + 1;
    *len = (size_t)(lf - p);
    if (*len > 0 && p[*len - 1] == '\r')
        (*len)--;
    return true;
}
