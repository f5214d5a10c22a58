/*
 * json.c - the one JSON writer (see json.h).
 */
#include "json.h"

#include <stdlib.h>
#include <string.h>

#define DUMP_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 if none
 * (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF). */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    if (p[0] < 0x80)
        return 1;
    size_t len = (p[0] >> 5) == 6 ? 2 : (p[0] >> 4) == 14 ? 3 : (p[0] >> 3) == 30 ? 4 : 0;
    if (!len || len > n || p[0] < 0xc2 || p[0] > 0xf4)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) ||
        (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
        return 0;
    return len;
}

json_t *json_text_n(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) { /* the common case: valid already */
        size_t l = utf8_len(p + i, n - i);
        if (!l)
            break;
        i += l;
    }
    if (i == n)
        return json_stringn_nocheck(s, n);
    char *fixed = malloc(n * 3 + 1); /* each bad byte: 3 bytes of U+FFFD */
    if (!fixed)
        return NULL;
    memcpy(fixed, s, i);
    size_t o = i;
    while (i < n) {
        size_t l = utf8_len(p + i, n - i);
        if (l) {
            memcpy(fixed + o, p + i, l);
            o += l;
            i += l;
        } else {
            memcpy(fixed + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    json_t *v = json_stringn_nocheck(fixed, o);
    free(fixed);
    return v;
}

json_t *json_text(const char *s)
{
    return s ? json_text_n(s, strlen(s)) : json_string("");
}

int json_print(FILE *f, const json_t *v)
{
    /* into memory first: jansson writes to a FILE token by token */
    char small[16384], *buf = small;
    if (!v)
        return -1;
    size_t n = json_dumpb(v, small, sizeof small - 1, DUMP_FLAGS | JSON_ENCODE_ANY);
    if (n == 0)
        return -1;
    if (n > sizeof small - 1) {
        if (!(buf = malloc(n + 1)))
            return -1;
        n = json_dumpb(v, buf, n, DUMP_FLAGS | JSON_ENCODE_ANY);
    }
    buf[n] = '\n';
    int rc = fwrite(buf, 1, n + 1, f) == n + 1 ? 0 : -1;
    if (buf != small)
        free(buf);
    return rc;
}

char *json_format(const json_t *v)
{
    return v ? json_dumps(v, DUMP_FLAGS | JSON_ENCODE_ANY) : NULL;
}
