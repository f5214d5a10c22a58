/*
 * index.c - the alert index of index.h: four arrays of (key hash, time,
 * alert) sorted for binary search; XXH64 over the direction-free key.
 */
#include "index.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

enum kind { K_TUPLE, K_ADDRS, K_PORTS, K_TIME, K_COUNT };

struct entry {
    uint64_t h;
    int64_t ts;
    uint32_t idx;
};

struct label_index {
    const struct alert *v;
    size_t n;
    struct entry *e[K_COUNT];
};

static bool is_icmp(int proto)
{
    return proto == 1 || proto == 58;
}

/* Hash of the key's endpoints in a fixed order, so both directions agree. */
static uint64_t key_hash(enum kind kind, uint8_t alen, const uint8_t *a, uint16_t pa,
                         const uint8_t *b, uint16_t pb)
{
    uint8_t buf[1 + 2 * 18], e1[18], e2[18];
    size_t el = 0;
    if (kind != K_PORTS) {
        memcpy(e1, a, alen);
        memcpy(e2, b, alen);
        el = alen;
    }
    if (kind != K_ADDRS) {
        e1[el] = (uint8_t)(pa >> 8), e1[el + 1] = (uint8_t)pa;
        e2[el] = (uint8_t)(pb >> 8), e2[el + 1] = (uint8_t)pb;
        el += 2;
    }
    bool swap = memcmp(e1, e2, el) > 0;
    buf[0] = (uint8_t)kind;
    memcpy(buf + 1, swap ? e2 : e1, el);
    memcpy(buf + 1 + el, swap ? e1 : e2, el);
    return XXH64(buf, 1 + 2 * el, 0);
}

static int entry_cmp(const void *x, const void *y)
{
    const struct entry *a = x, *b = y;
    if (a->h != b->h)
        return a->h < b->h ? -1 : 1;
    if (a->ts != b->ts)
        return a->ts < b->ts ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

struct label_index *label_index_build(const struct alert *v, size_t n)
{
    struct label_index *ix = calloc(1, sizeof *ix);
    if (!ix)
        return NULL;
    ix->v = v;
    ix->n = n;
    for (int k = 0; k < K_COUNT; k++) {
        ix->e[k] = malloc((n ? n : 1) * sizeof(struct entry));
        if (!ix->e[k]) {
            label_index_free(ix);
            return NULL;
        }
        for (size_t i = 0; i < n; i++) {
            const struct alert *a = &v[i];
            uint16_t sp = is_icmp(a->proto) ? 0 : a->sport, dp = is_icmp(a->proto) ? 0 : a->dport;
            ix->e[k][i].h = k == K_TIME ? 0 : key_hash(k, a->addr_len, a->src, sp, a->dst, dp);
            ix->e[k][i].ts = a->ts;
            ix->e[k][i].idx = (uint32_t)i;
        }
        qsort(ix->e[k], n, sizeof(struct entry), entry_cmp);
    }
    return ix;
}

void label_index_free(struct label_index *ix)
{
    if (!ix)
        return;
    for (int k = 0; k < K_COUNT; k++)
        free(ix->e[k]);
    free(ix);
}

static bool endpoints_match(const struct label_key *k, const struct alert *a, bool rev)
{
    const uint8_t *x = rev ? k->b : k->a, *y = rev ? k->a : k->b;
    uint16_t px = rev ? k->pb : k->pa, py = rev ? k->pa : k->pb;
    if (k->addr_len && (a->addr_len != k->addr_len || memcmp(a->src, x, k->addr_len) != 0 ||
                        memcmp(a->dst, y, k->addr_len) != 0))
        return false;
    if (k->has_ports) {
        bool icmp = is_icmp(a->proto) || is_icmp(k->proto);
        uint16_t sp = icmp ? 0 : a->sport, dp = icmp ? 0 : a->dport;
        if (icmp)
            px = py = 0;
        if (sp != px || dp != py)
            return false;
    }
    return true;
}

bool label_key_matches(const struct label_key *k, const struct alert *a)
{
    if (a->ts < k->t0 || a->ts > k->t1)
        return false;
    if (k->no_ip)
        return a->addr_len == 0;
    if (k->proto >= 0 && k->proto != a->proto)
        return false;
    return endpoints_match(k, a, false) || endpoints_match(k, a, true);
}

bool label_index_has_time(const struct label_index *ix, int64_t ts)
{
    const struct entry *e = ix->e[K_TIME];
    size_t lo = 0, hi = ix->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e[mid].ts < ts)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < ix->n && e[lo].ts == ts;
}

uint64_t label_key_tuple_hash(const struct label_key *k)
{
    return key_hash(K_TUPLE, k->addr_len, k->a, k->pa, k->b, k->pb);
}

static int idx_cmp(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return a < b ? -1 : a > b;
}

size_t label_index_match(const struct label_index *ix, const struct label_key *k, uint32_t **out,
                         size_t *cap)
{
    enum kind kind = k->addr_len && k->has_ports ? K_TUPLE
                     : k->addr_len               ? K_ADDRS
                     : k->has_ports              ? K_PORTS
                                                 : K_TIME;
    uint64_t h = 0;
    if (kind != K_TIME) {
        bool icmp = is_icmp(k->proto);
        h = key_hash(kind, k->addr_len, k->a, icmp ? 0 : k->pa, k->b, icmp ? 0 : k->pb);
    }
    const struct entry *e = ix->e[kind];
    /* first entry >= (h, t0) */
    size_t lo = 0, hi = ix->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e[mid].h < h || (e[mid].h == h && e[mid].ts < k->t0))
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t n = 0;
    for (size_t i = lo; i < ix->n && e[i].h == h && e[i].ts <= k->t1; i++) {
        const struct alert *a = &ix->v[e[i].idx];
        if (!label_key_matches(k, a))
            continue;
        if (n == *cap) {
            size_t ncap = *cap ? *cap * 2 : 16;
            uint32_t *p = realloc(*out, ncap * sizeof *p);
            if (!p)
                abort();
            *out = p;
            *cap = ncap;
        }
        (*out)[n++] = e[i].idx;
    }
    if (n > 1)
        qsort(*out, n, sizeof **out, idx_cmp);
    return n;
}
