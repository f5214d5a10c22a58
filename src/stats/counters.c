/*
 * counters.c - the handlers' counter table (see counters.h).
 */
#include "counters.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define RING 64 /* per-second buckets kept (>= the longest window + 1) */

struct rate_ring {
    uint64_t last_sec; /* newest second with a bucket */
    uint32_t pk[RING];
    uint64_t by[RING];
};

struct counters {
    struct stats_entry *e;
    struct rate_ring *rings;
    uint32_t n, cap;
    uint32_t *index; /* open addressing: entry index + 1, 0 empty */
    uint32_t index_mask;
    uint64_t overflow;
    char ifname[16];
    uint8_t own_mac[6];
    bool have_own_mac;
};

struct counters *counters_new(uint32_t capacity)
{
    struct counters *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    uint32_t slots = 16;
    while (slots < capacity * 2u)
        slots <<= 1;
    c->cap = capacity;
    c->e = calloc(capacity, sizeof *c->e);
    c->rings = calloc(capacity, sizeof *c->rings);
    c->index = calloc(slots, sizeof *c->index);
    c->index_mask = slots - 1;
    if (!c->e || !c->rings || !c->index) {
        counters_free(c);
        return NULL;
    }
    return c;
}

void counters_free(struct counters *c)
{
    if (!c)
        return;
    free(c->e);
    free(c->rings);
    free(c->index);
    free(c);
}

void counters_set_source(struct counters *c, const char *ifname, const uint8_t *own_mac)
{
    snprintf(c->ifname, sizeof c->ifname, "%s", ifname);
    c->have_own_mac = own_mac != NULL;
    if (own_mac)
        memcpy(c->own_mac, own_mac, 6);
}

uint64_t counters_overflow(const struct counters *c)
{
    return c->overflow;
}

uint32_t counters_size(const struct counters *c)
{
    return c->n;
}

/* The entry of a key, created when new; NULL when the table is full. */
static struct stats_entry *lookup(struct counters *c, const struct stats_key *k, uint32_t *idx)
{
    uint32_t h = (uint32_t)XXH3_64bits(k, sizeof *k) & c->index_mask;
    for (;; h = (h + 1) & c->index_mask) {
        uint32_t v = c->index[h];
        if (v == 0)
            break;
        if (memcmp(&c->e[v - 1].key, k, sizeof *k) == 0) {
            *idx = v - 1;
            return &c->e[v - 1];
        }
    }
    if (c->n == c->cap) {
        c->overflow++;
        return NULL;
    }
    c->index[h] = c->n + 1;
    *idx = c->n;
    struct stats_entry *e = &c->e[c->n++];
    e->key = *k;
    return e;
}

static void count(struct counters *c, const struct stats_key *k, bool tx, bool rx,
                  const struct packet *pkt)
{
    uint32_t idx;
    struct stats_entry *e = lookup(c, k, &idx);
    if (!e)
        return;
    uint64_t len = pkt->length;
    if (tx) {
        e->tx_packets++;
        e->tx_bytes += len;
    }
    if (rx) {
        e->rx_packets++;
        e->rx_bytes += len;
    }
    if (!e->first_seen || pkt->timestamp < e->first_seen)
        e->first_seen = pkt->timestamp;
    if (pkt->timestamp > e->last_seen)
        e->last_seen = pkt->timestamp;
    /* per-second buckets, cleared lazily when the second moves on */
    struct rate_ring *r = &c->rings[idx];
    uint64_t sec = pkt->timestamp / 1000000u;
    if (sec > r->last_sec) {
        uint64_t gap = sec - r->last_sec;
        if (gap >= RING || r->last_sec == 0)
            memset(r->pk, 0, sizeof r->pk), memset(r->by, 0, sizeof r->by);
        else
            for (uint64_t s = r->last_sec + 1; s <= sec; s++)
                r->pk[s % RING] = 0, r->by[s % RING] = 0;
        r->last_sec = sec;
    } else if (r->last_sec - sec >= RING) {
        return; /* older than any window */
    }
    r->pk[sec % RING] += (uint32_t)(tx + rx);
    r->by[sec % RING] += len * (uint64_t)(tx + rx);
}

static void key_init(struct stats_key *k, enum stats_kind kind)
{
    memset(k, 0, sizeof *k);
    k->kind = (uint8_t)kind;
}

static void key_text(struct stats_key *k, const char *text)
{
    k->type_a = AT_TEXT;
    size_t n = strnlen(text, sizeof k->a);
    memcpy(k->a, text, n); /* NUL-padded by key_init; 16 bytes may fill it */
}

static const struct {
    int proto;
    const char *name;
} proto_names[] = {
    {1, "icmp"}, {2, "igmp"}, {6, "tcp"},    {17, "udp"},   {47, "gre"},
    {50, "esp"}, {51, "ah"},  {58, "icmp6"}, {132, "sctp"},
};

/* The protocol a packet is counted under: its IP protocol by name or
 * "ip:N", "arp", or "eth:0xTTTT" for other EtherTypes. */
static void proto_key(struct stats_key *k, const struct packet *pkt)
{
    char buf[17];
    int p = -1;
    if (packet_has(pkt, LAYER_IP4))
        p = pkt->ip4.p;
    else if (packet_has(pkt, LAYER_IP6))
        p = pkt->ip6.upper;
    if (p >= 0) {
        snprintf(buf, sizeof buf, "ip:%d", p);
        for (size_t i = 0; i < sizeof proto_names / sizeof proto_names[0]; i++)
            if (proto_names[i].proto == p)
                snprintf(buf, sizeof buf, "%s", proto_names[i].name);
    } else if (packet_has(pkt, LAYER_ARP)) {
        snprintf(buf, sizeof buf, "arp");
    } else if (packet_has(pkt, LAYER_ETH)) {
        snprintf(buf, sizeof buf, "eth:0x%04x", pkt->eth.payload_type);
    } else {
        snprintf(buf, sizeof buf, "other");
    }
    key_text(k, buf);
}

/* Set one side of a key to an IP address; returns false when absent. */
static void ip_side(uint8_t *type, uint8_t *dst, int family, const uint8_t *addr)
{
    *type = family == 4 ? AT_IP4 : AT_IP6;
    memcpy(dst, addr, family == 4 ? 4 : 16);
}

void counters_add(struct counters *c, uint32_t handlers, const struct packet *pkt)
{
    struct stats_key k;
    bool eth = packet_has(pkt, LAYER_ETH) && pkt->eth.src.len == 6 && pkt->eth.dst.len == 6;
    int family = packet_has(pkt, LAYER_IP4) ? 4 : packet_has(pkt, LAYER_IP6) ? 6 : 0;
    const uint8_t *src = family == 4 ? pkt->ip4.src : pkt->ip6.src;
    const uint8_t *dst = family == 4 ? pkt->ip4.dst : pkt->ip6.dst;
    size_t alen = family == 4 ? 4 : 16;
    /* sent by this host: for the aggregate handlers' direction */
    bool tx_here = eth && c->have_own_mac && memcmp(pkt->eth.src.p, c->own_mac, 6) == 0;

    if ((handlers & (1u << SK_MAC)) && eth) {
        key_init(&k, SK_MAC);
        k.type_a = AT_MAC;
        memcpy(k.a, pkt->eth.src.p, 6);
        count(c, &k, true, false, pkt);
        memcpy(k.a, pkt->eth.dst.p, 6);
        count(c, &k, false, true, pkt);
    }
    if ((handlers & (1u << SK_IP)) && family) {
        key_init(&k, SK_IP);
        ip_side(&k.type_a, k.a, family, src);
        count(c, &k, true, false, pkt);
        memset(k.a, 0, sizeof k.a);
        ip_side(&k.type_a, k.a, family, dst);
        count(c, &k, false, true, pkt);
    }
    if (handlers & (1u << SK_IFACE)) {
        key_init(&k, SK_IFACE);
        key_text(&k, c->ifname);
        count(c, &k, tx_here, !tx_here, pkt);
    }
    if (handlers & (1u << SK_PROTO)) {
        key_init(&k, SK_PROTO);
        proto_key(&k, pkt);
        count(c, &k, tx_here, !tx_here, pkt);
    }
    if ((handlers & (1u << SK_CONV)) && family) {
        key_init(&k, SK_CONV);
        bool fwd = memcmp(src, dst, alen) <= 0; /* a is the lower address */
        ip_side(&k.type_a, k.a, family, fwd ? src : dst);
        ip_side(&k.type_b, k.b, family, fwd ? dst : src);
        count(c, &k, fwd, !fwd, pkt);
    }
    if ((handlers & (1u << SK_HOST)) && eth) {
        key_init(&k, SK_HOST);
        k.type_a = AT_MAC;
        memcpy(k.a, pkt->eth.src.p, 6);
        static const uint8_t zero[16];
        if (family && memcmp(src, zero, alen) != 0)
            ip_side(&k.type_b, k.b, family, src);
        else if (packet_has(pkt, LAYER_ARP) && pkt->arp.spa.len == 4 &&
                 memcmp(pkt->arp.spa.p, zero, 4) != 0)
            ip_side(&k.type_b, k.b, 4, pkt->arp.spa.p);
        count(c, &k, true, false, pkt);
    }
}

uint64_t counters_publish(struct counters *c, struct stats_entry *out, uint64_t cap, uint64_t now_s)
{
    uint64_t n = c->n < cap ? c->n : cap;
    for (uint64_t i = 0; i < n; i++) {
        struct stats_entry *e = &c->e[i];
        const struct rate_ring *r = &c->rings[i];
        for (int w = 0; w < STATS_WINDOWS; w++) {
            uint64_t pk = 0, by = 0;
            /* complete seconds now_s - N .. now_s - 1 that the ring still holds */
            for (uint64_t s = now_s > stats_window_seconds[w] ? now_s - stats_window_seconds[w] : 0;
                 s < now_s; s++)
                if (s <= r->last_sec && r->last_sec - s < RING && r->last_sec) {
                    pk += r->pk[s % RING];
                    by += r->by[s % RING];
                }
            e->win_packets[w] = pk;
            e->win_bytes[w] = by;
        }
        out[i] = *e;
    }
    return n;
}
