/*
 * defrag.c - IPv4 fragment reassembly (see defrag.h).
 *
 * Each datagram in flight keeps its payload in a buffer grown on demand
 * and a bitmap of the 8-byte blocks received (fragment offsets are in
 * 8-byte units, and every fragment but the last is a whole number of
 * blocks), so "first data wins" is a bit test per block.  Datagrams are
 * found by a hash of their key and kept on a list in order of their first
 * fragment, oldest first, for timeouts and eviction.
 */
#include "defrag.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define BUCKETS 4096u
#define HEAD_MAX 256u            /* link header + IPv4 header of the first fragment */
#define PAYLOAD_MAX 65535u       /* bytes of a datagram's payload, at most */
#define BLOCKS ((PAYLOAD_MAX + 7) / 8)
#define IP4_MF 0x2000u
#define IP4_DF 0x4000u
#define IP4_OFFSET 0x1fffu

struct dgram_key {
    uint8_t src[4], dst[4];
    uint16_t id;
    uint8_t proto;
    uint8_t zero; /* padding, kept 0 for hashing */
};

struct dgram {
    struct dgram_key key;
    uint32_t hash;
    struct dgram *hnext;       /* bucket chain */
    struct dgram *older, *newer; /* age list */
    uint64_t first_ts;
    uint8_t *buf;              /* payload bytes */
    uint32_t cap;              /* bytes allocated in buf */
    uint32_t total;            /* payload length, known once the last fragment came */
    uint32_t max_end;          /* highest payload end seen */
    uint32_t blocks;           /* blocks received */
    bool have_last, poisoned;
    uint32_t head_len, link_len; /* head: link header, then the IPv4 header */
    uint8_t head[HEAD_MAX];
    uint8_t map[(BLOCKS + 7) / 8];
};

struct defrag {
    uint64_t memcap, memory, timeout_us;
    struct dgram *buckets[BUCKETS];
    struct dgram *oldest, *newest;
    struct defrag_stats stats;
    uint8_t out[HEAD_MAX + PAYLOAD_MAX];
};

struct defrag *defrag_new(uint64_t memcap, uint64_t timeout_us)
{
    struct defrag *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->memcap = memcap;
    d->timeout_us = timeout_us;
    return d;
}

static uint64_t dgram_memory(const struct dgram *g)
{
    return sizeof *g + g->cap;
}

static struct dgram **bucket_of(struct defrag *d, const struct dgram *g)
{
    return &d->buckets[g->hash % BUCKETS];
}

static void drop(struct defrag *d, struct dgram *g)
{
    struct dgram **pp = bucket_of(d, g);
    while (*pp != g)
        pp = &(*pp)->hnext;
    *pp = g->hnext;
    if (g->older)
        g->older->newer = g->newer;
    else
        d->oldest = g->newer;
    if (g->newer)
        g->newer->older = g->older;
    else
        d->newest = g->older;
    d->memory -= dgram_memory(g);
    free(g->buf);
    free(g);
}

static void expire(struct defrag *d, uint64_t now)
{
    while (d->oldest && d->oldest->first_ts + d->timeout_us < now) {
        if (!d->oldest->poisoned)
            d->stats.timed_out++;
        drop(d, d->oldest);
    }
}

/* Make room for `need` more bytes by dropping the oldest datagrams other
 * than keep.  False when even that is not enough. */
static bool make_room(struct defrag *d, uint64_t need, const struct dgram *keep)
{
    while (d->memory + need > d->memcap) {
        struct dgram *g = d->oldest;
        if (g == keep)
            g = g->newer;
        if (!g)
            return false;
        if (!g->poisoned)
            d->stats.evicted++;
        drop(d, g);
    }
    return true;
}

static void note_memory(struct defrag *d)
{
    if (d->memory > d->stats.peak_memory)
        d->stats.peak_memory = d->memory;
}

static struct dgram *find_or_add(struct defrag *d, const struct dgram_key *key, uint64_t ts)
{
    uint32_t hash = XXH32(key, sizeof *key, 0);
    for (struct dgram *g = d->buckets[hash % BUCKETS]; g; g = g->hnext)
        if (g->hash == hash && memcmp(&g->key, key, sizeof *key) == 0)
            return g;
    if (!make_room(d, sizeof(struct dgram), NULL))
        return NULL;
    struct dgram *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->key = *key;
    g->hash = hash;
    g->first_ts = ts;
    struct dgram **b = bucket_of(d, g);
    g->hnext = *b;
    *b = g;
    g->older = d->newest;
    if (d->newest)
        d->newest->newer = g;
    else
        d->oldest = g;
    d->newest = g;
    d->memory += dgram_memory(g);
    note_memory(d);
    return g;
}

static void poison(struct defrag *d, struct dgram *g)
{
    d->stats.bad_fragments++;
    g->poisoned = true;
    d->memory -= g->cap;
    free(g->buf);
    g->buf = NULL;
    g->cap = 0;
}

static bool reserve(struct defrag *d, struct dgram *g, uint32_t end)
{
    if (end <= g->cap)
        return true;
    uint32_t cap = g->cap ? g->cap : 2048;
    while (cap < end)
        cap *= 2;
    if (cap > PAYLOAD_MAX)
        cap = PAYLOAD_MAX;
    if (!make_room(d, cap - g->cap, g))
        return false;
    uint8_t *b = realloc(g->buf, cap);
    if (!b)
        return false;
    d->memory += cap - g->cap;
    note_memory(d);
    g->buf = b;
    g->cap = cap;
    return true;
}

/* Copy the blocks of [off, end) not received yet; count the others. */
static void fill(struct defrag *d, struct dgram *g, uint32_t off, uint32_t end,
                 const uint8_t *p)
{
    for (uint32_t b = off / 8; b * 8 < end; b++) {
        uint32_t from = b * 8, to = from + 8 < end ? from + 8 : end;
        const uint8_t *src = p + (from - off);
        if (g->map[b / 8] & (1u << (b % 8))) {
            d->stats.overlap_bytes += to - from;
            for (uint32_t i = from; i < to; i++)
                d->stats.overlap_conflicts += g->buf[i] != src[i - from];
            continue;
        }
        memcpy(g->buf + from, src, to - from);
        g->map[b / 8] |= (uint8_t)(1u << (b % 8));
        g->blocks++;
    }
}

static uint16_t ip4_checksum(const uint8_t *h, size_t n)
{
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)h[i] << 8 | h[i + 1];
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* The rebuilt frame of a complete datagram, in d->out. */
static uint32_t rebuild(struct defrag *d, const struct dgram *g)
{
    uint8_t *o = d->out;
    memcpy(o, g->head, g->head_len);
    uint8_t *ip = o + g->link_len;
    uint32_t ip_hlen = g->head_len - g->link_len;
    uint32_t tot = ip_hlen + g->total;
    ip[2] = (uint8_t)(tot >> 8);
    ip[3] = (uint8_t)tot;
    uint16_t off = (uint16_t)((ip[6] << 8 | ip[7]) & IP4_DF);
    ip[6] = (uint8_t)(off >> 8);
    ip[7] = (uint8_t)off;
    ip[10] = ip[11] = 0;
    uint16_t sum = ip4_checksum(ip, ip_hlen);
    ip[10] = (uint8_t)(sum >> 8);
    ip[11] = (uint8_t)sum;
    memcpy(o + g->head_len, g->buf, g->total);
    return g->head_len + g->total;
}

bool defrag_packet(struct defrag *d, const struct packet *pkt, const uint8_t **frame,
                   uint32_t *len)
{
    d->stats.fragments++;
    expire(d, pkt->timestamp);
    const struct ip4_fields *ip = &pkt->ip4;
    const struct layer_ref *ref = &pkt->ref[LAYER_IP4];
    struct dgram_key key = {.id = ip->id, .proto = ip->p};
    memcpy(key.src, ip->src, 4);
    memcpy(key.dst, ip->dst, 4);
    struct dgram *g = find_or_add(d, &key, pkt->timestamp);
    if (!g) {
        d->stats.evicted++;
        return false;
    }
    if (g->poisoned)
        return false;

    uint32_t off = (uint32_t)(ip->off & IP4_OFFSET) * 8;
    bool more = (ip->off & IP4_MF) != 0;
    const uint8_t *payload = ref->hdr + ref->len;
    const uint8_t *captured_end = pkt->data + pkt->caplen;
    uint32_t hlen = (uint32_t)ip->hl * 4;
    bool whole_header = !(pkt->malformed & (1u << LAYER_IP4)) && ref->len == hlen &&
                        ip->len >= hlen;
    uint32_t plen = whole_header ? ip->len - hlen : 0;
    uint32_t end = off + plen;
    uint32_t link_len = (uint32_t)(ref->hdr - pkt->data);
    if (!whole_header || plen == 0 || (size_t)(captured_end - payload) < plen ||
        (more && plen % 8) || end > PAYLOAD_MAX - 20 ||
        (off == 0 && link_len + hlen > HEAD_MAX) || (g->have_last && end > g->total) ||
        (!more && (g->have_last ? end != g->total : end < g->max_end))) {
        poison(d, g);
        return false;
    }
    if (!reserve(d, g, end)) {
        poison(d, g);
        return false;
    }
    fill(d, g, off, end, payload);
    if (end > g->max_end)
        g->max_end = end;
    if (!more) {
        g->have_last = true;
        g->total = end;
    }
    if (off == 0 && g->head_len == 0) {
        memcpy(g->head, pkt->data, link_len + hlen);
        g->link_len = link_len;
        g->head_len = link_len + hlen;
    }
    if (!g->have_last || g->head_len == 0 || g->blocks != (g->total + 7) / 8)
        return false;
    if (g->head_len - g->link_len + g->total > PAYLOAD_MAX) {
        poison(d, g);
        return false;
    }
    *len = rebuild(d, g);
    *frame = d->out;
    d->stats.datagrams++;
    drop(d, g);
    return true;
}

void defrag_free(struct defrag *d, struct defrag_stats *out)
{
    if (!d)
        return;
    while (d->oldest) {
        if (!d->oldest->poisoned)
            d->stats.incomplete++;
        drop(d, d->oldest);
    }
    if (out)
        *out = d->stats;
    free(d);
}
