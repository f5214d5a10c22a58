/*
 * stream_prefix.c - in-order collection of a TCP direction's first bytes
 * (see stream_prefix.h).
 */
#include "stream_prefix.h"

#include <stdlib.h>
#include <string.h>

void stream_prefix_expect(struct stream_prefix *s, uint32_t first_seq)
{
    if (s->started || s->len)
        return;
    s->next_seq = first_seq;
    s->started = true;
}

static bool reserve(struct stream_prefix *s, uint32_t need)
{
    if (need <= s->cap)
        return true;
    uint32_t cap = s->cap ? s->cap : 2048;
    while (cap < need)
        cap *= 2;
    if (cap > s->max)
        cap = s->max;
    uint8_t *b = realloc(s->buf, cap);
    if (!b)
        return false;
    s->buf = b;
    s->cap = cap;
    return true;
}

size_t stream_prefix_add(struct stream_prefix *s, uint32_t seq, const uint8_t *p, size_t n)
{
    if (s->failed || n == 0 || stream_prefix_full(s))
        return 0;
    if (!s->started) {
        s->next_seq = seq;
        s->started = true;
    }
    int32_t ahead = (int32_t)(seq - s->next_seq);
    if (ahead > 0) { /* bytes before this segment were not seen */
        s->failed = true;
        return 0;
    }
    size_t skip = (size_t)(-(int64_t)ahead); /* already held */
    if (skip >= n)
        return 0;
    p += skip;
    n -= skip;
    if (n > s->max - s->len)
        n = s->max - s->len;
    if (!reserve(s, s->len + (uint32_t)n)) {
        s->failed = true;
        return 0;
    }
    memcpy(s->buf + s->len, p, n);
    s->len += (uint32_t)n;
    s->next_seq += (uint32_t)n;
    return n;
}

void stream_prefix_free(struct stream_prefix *s)
{
    free(s->buf);
    memset(s, 0, sizeof *s);
}
