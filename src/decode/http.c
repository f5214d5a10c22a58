/*
 * http.c - HTTP/1.x message heads (see http.h).  Every read is bounded
 * by the length given.
 */
#define _GNU_SOURCE
#include "http.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "../util/text.h"

bool http_known_method(const char *p, size_t n)
{
    static const char *const methods[] = {"GET ",     "POST ",    "HEAD ",  "PUT ",  "DELETE ",
                                          "OPTIONS ", "CONNECT ", "PATCH ", "TRACE "};
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        size_t k = strlen(methods[i]);
        if (n >= k && memcmp(p, methods[i], k) == 0)
            return true;
    }
    return false;
}

static bool is_token_char(int ch)
{
    return isupper(ch) || ch == '-' || ch == '_';
}

int http_start_kind(const char *p, size_t n)
{
    if (n >= 5 && memcmp(p, "HTTP/", 5) == 0)
        return 2;
    if (n < 5 && memcmp(p, "HTTP/", n) == 0)
        return 0;
    size_t i = 0;
    while (i < n && i <= HTTP_METHOD_MAX && is_token_char((unsigned char)p[i]))
        i++;
    if (i == n && i <= HTTP_METHOD_MAX)
        return 0;
    return i >= 1 && i <= HTTP_METHOD_MAX && p[i] == ' ' ? 1 : -1;
}

bool http_version(const char *p, size_t n)
{
    return n == 8 && memcmp(p, "HTTP/", 5) == 0 && isdigit((unsigned char)p[5]) && p[6] == '.' &&
           isdigit((unsigned char)p[7]);
}

bool http_parse_request_line(const char *p, size_t len, struct http_request_line *out)
{
    const char *sp1 = memchr(p, ' ', len);
    const char *sp2 = sp1 ? memrchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - p)) : NULL;
    if (!sp1 || !sp2 || sp2 == sp1 + 1 || !http_version(sp2 + 1, len - (size_t)(sp2 + 1 - p)))
        return false;
    out->method = p;
    out->method_len = (size_t)(sp1 - p);
    out->uri = sp1 + 1;
    out->uri_len = (size_t)(sp2 - sp1 - 1);
    out->version = sp2 + 6;
    return true;
}

bool http_parse_status_line(const char *p, size_t len, struct http_status_line *out)
{
    if (len < 12 || !http_version(p, 8) || p[8] != ' ' || !isdigit((unsigned char)p[9]) ||
        !isdigit((unsigned char)p[10]) || !isdigit((unsigned char)p[11]) ||
        (len > 12 && p[12] != ' '))
        return false;
    out->status = (uint16_t)((p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0'));
    out->version = p + 5;
    out->reason = len > 13 ? p + 13 : p + len;
    out->reason_len = len > 13 ? len - 13 : 0;
    return true;
}

bool http_fields_begin(struct http_field_iter *it, const char *head, size_t n)
{
    size_t len, next;
    it->complete = false;
    it->end = head + n;
    if (!text_line(head, n, &len, &next)) {
        it->p = it->end;
        return false;
    }
    it->p = head + next;
    return true;
}

bool http_field_next(struct http_field_iter *it, struct http_field *f)
{
    size_t len, next;
    while (!it->complete && it->p < it->end &&
           text_line(it->p, (size_t)(it->end - it->p), &len, &next)) {
        const char *line = it->p;
        it->p += next;
        if (len == 0) {
            it->complete = true;
            break;
        }
        const char *colon = memchr(line, ':', len);
        if (!colon)
            continue;
        const char *v = colon + 1, *ve = line + len;
        while (v < ve && (*v == ' ' || *v == '\t'))
            v++;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        f->name = line;
        f->name_len = (size_t)(colon - line);
        f->value = v;
        f->value_len = (size_t)(ve - v);
        return true;
    }
    return false;
}

bool http_field_is(const struct http_field *f, const char *name)
{
    size_t k = strlen(name);
    return f->name_len == k && strncasecmp(f->name, name, k) == 0;
}

bool http_content_length(const char *v, size_t n, uint64_t *out)
{
    uint64_t x = 0;
    if (n == 0 || n > 19)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)v[i]))
            return false;
        x = x * 10 + (uint64_t)(v[i] - '0');
    }
    *out = x;
    return true;
}

bool http_chunked(const char *te, size_t n)
{
    if (!te)
        return false;
    while (n && (te[n - 1] == ' ' || te[n - 1] == ','))
        n--;
    return n >= 7 && strncasecmp(te + n - 7, "chunked", 7) == 0;
}
