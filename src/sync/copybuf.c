/*
 * copybuf.c - the growing buffer and the COPY text format (see copybuf.h).
 */
#include "copybuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void copybuf_init(struct copybuf *b)
{
    memset(b, 0, sizeof *b);
}

void copybuf_free(struct copybuf *b)
{
    free(b->data);
    copybuf_init(b);
}

void copybuf_reset(struct copybuf *b)
{
    b->len = 0;
    b->fields = 0;
    if (b->data)
        b->data[0] = '\0';
}

/* Room for `more` bytes and a NUL; false (and oom) when there is none. */
static bool reserve(struct copybuf *b, size_t more)
{
    if (b->oom)
        return false;
    if (b->len + more + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

void copybuf_add(struct copybuf *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void copybuf_printf(struct copybuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

size_t copy_escape(char *out, const char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        char esc = c == '\\' ? '\\' : c == '\t' ? 't' : c == '\n' ? 'n' : c == '\r' ? 'r' : 0;
        if (esc) {
            out[o++] = '\\';
            out[o++] = esc;
        } else {
            out[o++] = c;
        }
    }
    return o;
}

static void separate(struct copybuf *b)
{
    if (b->fields++)
        copybuf_add(b, "\t", 1);
}

void copy_field_text(struct copybuf *b, const char *s, size_t n)
{
    separate(b);
    if (n > (SIZE_MAX - 1) / 2 || !reserve(b, 2 * n)) {
        b->oom = true;
        return;
    }
    b->len += copy_escape(b->data + b->len, s, n);
    b->data[b->len] = '\0';
}

void copy_field_null(struct copybuf *b)
{
    separate(b);
    copybuf_add(b, "\\N", 2);
}

void copy_field_int(struct copybuf *b, int64_t v)
{
    char digits[24], *p = digits + sizeof digits;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do /* by hand: this runs for most fields of every row */
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *--p = '-';
    separate(b);
    copybuf_add(b, p, (size_t)(digits + sizeof digits - p));
}

void copy_end_row(struct copybuf *b)
{
    copybuf_add(b, "\n", 1);
    b->fields = 0;
}
