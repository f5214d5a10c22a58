/*
 * cleartext.c - HTTP request headers and SSH identification lines (see
 * cleartext.h).  Every read is bounded by the given length.
 */
#include "cleartext.h"

#include <string.h>
#include <strings.h>

static const char *const http_methods[] = {"GET ",     "POST ",    "HEAD ",  "PUT ",  "DELETE ",
                                           "OPTIONS ", "CONNECT ", "PATCH ", "TRACE "};

static bool starts_with(const uint8_t *p, size_t n, const char *s)
{
    size_t k = strlen(s);
    return n >= k && memcmp(p, s, k) == 0;
}

bool http_is_request(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < sizeof http_methods / sizeof http_methods[0]; i++)
        if (starts_with(p, n, http_methods[i]))
            return true;
    return false;
}

/* The line at p[0..n): its length without CR LF in *len, the bytes up to
 * the next line in *next; false when no LF ends it. */
static bool next_line(const uint8_t *p, size_t n, size_t *len, size_t *next)
{
    const uint8_t *lf = memchr(p, '\n', n);
    if (!lf)
        return false;
    *next = (size_t)(lf - p) + 1;
    *len = (size_t)(lf - p);
    if (*len > 0 && p[*len - 1] == '\r')
        (*len)--;
    return true;
}

/* If the header line is "name: value", the value without surrounding
 * blanks as fingerprint text. */
static void header_value(const uint8_t *line, size_t len, const char *name, bool lower_case,
                         char out[FP_TEXT_MAX + 1])
{
    size_t k = strlen(name);
    if (len <= k || line[k] != ':' || strncasecmp((const char *)line, name, k) != 0)
        return;
    const uint8_t *v = line + k + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    text_field(v, (size_t)(end - v), FP_TEXT_MAX, lower_case, out);
}

enum ct_status http_parse_request(const uint8_t *p, size_t n, bool final,
                                  char host[FP_TEXT_MAX + 1], char user_agent[FP_TEXT_MAX + 1])
{
    size_t len, next, off = 0;
    host[0] = user_agent[0] = '\0';
    if (!http_is_request(p, n))
        return CT_BAD;
    if (n > HTTP_HEAD_MAX)
        n = HTTP_HEAD_MAX;
    if (!next_line(p, n, &len, &next)) /* the request line */
        return final ? CT_DONE : CT_MORE;
    for (off = next; off < n; off += next) {
        if (!next_line(p + off, n - off, &len, &next))
            break;
        if (len == 0)
            return CT_DONE; /* end of the headers */
        header_value(p + off, len, "host", true, host);
        header_value(p + off, len, "user-agent", false, user_agent);
    }
    return final || n >= HTTP_HEAD_MAX ? CT_DONE : CT_MORE;
}

bool ssh_is_banner(const uint8_t *p, size_t n)
{
    return starts_with(p, n, "SSH-");
}

enum ct_status ssh_parse_banner(const uint8_t *p, size_t n, bool final,
                                char banner[FP_TEXT_MAX + 1])
{
    size_t len, next;
    banner[0] = '\0';
    if (n >= 4 && !ssh_is_banner(p, n))
        return CT_BAD;
    if (n > SSH_BANNER_MAX)
        n = SSH_BANNER_MAX;
    if (!next_line(p, n, &len, &next)) {
        if (!final && n < SSH_BANNER_MAX)
            return CT_MORE;
        len = n; /* no line end within the limit: take what is there */
    }
    if (len < 4)
        return CT_BAD;
    text_field(p, len, FP_TEXT_MAX, false, banner);
    return CT_DONE;
}
