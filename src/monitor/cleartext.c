/*
 * cleartext.c - HTTP request headers and SSH identification lines (see
 * cleartext.h).  HTTP heads are read by decode/http.h; every read is
 * bounded by the given length.
 */
#include "cleartext.h"

#include <string.h>
#include <strings.h>

#include "../decode/http.h"

static bool starts_with(const uint8_t *p, size_t n, const char *s)
{
    size_t k = strlen(s);
    return n >= k && memcmp(p, s, k) == 0;
}

bool http_is_request(const uint8_t *p, size_t n)
{
    return http_known_method((const char *)p, n);
}

/* The field's value, if it is `name`, as fingerprint text. */
static void field_text(const struct http_field *f, const char *name, bool lower_case,
                       char out[FP_TEXT_MAX + 1])
{
    if (http_field_is(f, name))
        text_field((const uint8_t *)f->value, f->value_len, FP_TEXT_MAX, lower_case, out);
}

enum ct_status http_parse_request(const uint8_t *p, size_t n, bool final,
                                  char host[FP_TEXT_MAX + 1], char user_agent[FP_TEXT_MAX + 1])
{
    host[0] = user_agent[0] = '\0';
    if (!http_is_request(p, n))
        return CT_BAD;
    if (n > FP_HTTP_HEAD_MAX)
        n = FP_HTTP_HEAD_MAX;
    struct http_field_iter it;
    struct http_field f;
    if (!http_fields_begin(&it, (const char *)p, n)) /* the request line */
        return final ? CT_DONE : CT_MORE;
    while (http_field_next(&it, &f)) {
        field_text(&f, "host", true, host);
        field_text(&f, "user-agent", false, user_agent);
    }
    if (it.complete)
        return CT_DONE; /* the empty line ending the headers */
    return final || n >= FP_HTTP_HEAD_MAX ? CT_DONE : CT_MORE;
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
    if (!text_line((const char *)p, n, &len, &next)) {
        if (!final && n < SSH_BANNER_MAX)
            return CT_MORE;
        len = n; /* no line end within the limit: take what is there */
    }
    if (len < 4)
        return CT_BAD;
    text_field(p, len, FP_TEXT_MAX, false, banner);
    return CT_DONE;
}
