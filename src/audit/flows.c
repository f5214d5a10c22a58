/*
 * flows.c - flow tables of the custom encoders (see flows.h).
 *
 * One generic table (chained hash over a fixed array of entries) serves
 * all five kinds; a kind only decides the key a packet gives and the
 * message an entry becomes.
 */
#define _GNU_SOURCE
#include "flows.h"

#include <pcap/pcap.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "../decode/community_id.h"
#include "../decode/flow.h"
#include "../util/text.h"

enum kind { K_FLOW, K_CONNECTION, K_LINK, K_NETWORK, K_TRANSPORT, K_COUNT };

static const enum audit_rec kind_rec[K_COUNT] = {
    [K_FLOW] = REC_FLOW,         [K_CONNECTION] = REC_CONNECTION, [K_LINK] = REC_LINKFLOW,
    [K_NETWORK] = REC_NETWORKFLOW, [K_TRANSPORT] = REC_TRANSPORTFLOW,
};

#define STRIPES 16
#define KEY_MAX 48

/* What a packet says about its endpoints. */
struct endpoints {
    uint32_t linktype;
    bool has_mac;
    uint8_t smac[6], dmac[6];
    uint8_t ipver; /* 0: not IP */
    uint8_t proto;
    uint8_t sip[16], dip[16];
    uint16_t sport, dport;
    bool ports;    /* TCP or UDP */
};

struct flow_entry {
    int32_t next; /* chain, or free list; -1 ends */
    bool used;
    uint32_t hash;
    uint8_t keylen;
    uint8_t key[KEY_MAX];
    struct endpoints ep; /* of the first packet (the client's view) */
    uint64_t first, last;
    uint64_t expire; /* the record ends once the sweep time passes this */
    uint64_t packets, bytes, payload;
    uint64_t srv_packets, srv_bytes, srv_payload; /* Connection: server to client */
    uint64_t flags[6];                           /* SYN FIN RST ACK PSH URG */
    char community_id[COMMUNITY_ID_SIZE];        /* Flow, Connection: of the first packet */
};

struct flow_table {
    uint32_t cap, nbuckets, used;
    uint32_t fresh;    /* entries never used yet start here (untouched memory) */
    int32_t free_head; /* entries used before and freed */
    int32_t *buckets;
    struct flow_entry *e;
    pthread_mutex_t lock; /* shared tables only */
};

struct audit_flows {
    unsigned nworkers;
    uint32_t enabled; /* bits of kinds */
    uint64_t timeout;
    _Atomic uint64_t overflows;
    struct flow_table *own;                /* [worker * 2 + (kind)] for FLOW, CONNECTION */
    struct flow_table shared[3][STRIPES];  /* LINK, NETWORK, TRANSPORT */
    _Atomic uint64_t *worker_time;         /* latest packet time per worker */
};

static int table_init(struct flow_table *t, uint32_t cap)
{
    memset(t, 0, sizeof *t);
    uint32_t nb = 16;
    while (nb < cap * 2u && nb < (1u << 30))
        nb *= 2;
    t->cap = cap;
    t->nbuckets = nb;
    t->buckets = malloc(nb * sizeof *t->buckets);
    t->e = calloc(cap, sizeof *t->e);
    pthread_mutex_init(&t->lock, NULL);
    if (!t->buckets || !t->e)
        return -1;
    memset(t->buckets, 0xff, nb * sizeof *t->buckets);
    t->free_head = -1;
    return 0;
}

static void table_free(struct flow_table *t)
{
    free(t->buckets);
    free(t->e);
    pthread_mutex_destroy(&t->lock);
}

static struct flow_entry *table_find(struct flow_table *t, const uint8_t *key, uint8_t len,
                                     uint32_t hash)
{
    for (int32_t i = t->buckets[hash & (t->nbuckets - 1)]; i >= 0; i = t->e[i].next) {
        struct flow_entry *e = &t->e[i];
        if (e->hash == hash && e->keylen == len && memcmp(e->key, key, len) == 0)
            return e;
    }
    return NULL;
}

static struct flow_entry *table_insert(struct flow_table *t, const uint8_t *key, uint8_t len,
                                       uint32_t hash)
{
    int32_t i;
    if (t->free_head >= 0) {
        i = t->free_head;
        t->free_head = t->e[i].next;
    } else if (t->fresh < t->cap) {
        i = (int32_t)t->fresh++;
    } else {
        return NULL;
    }
    struct flow_entry *e = &t->e[i];
    memset(e, 0, sizeof *e);
    e->used = true;
    e->hash = hash;
    e->keylen = len;
    memcpy(e->key, key, len);
    int32_t *b = &t->buckets[hash & (t->nbuckets - 1)];
    e->next = *b;
    *b = i;
    t->used++;
    return e;
}

static void table_remove(struct flow_table *t, struct flow_entry *e)
{
    int32_t idx = (int32_t)(e - t->e);
    int32_t *p = &t->buckets[e->hash & (t->nbuckets - 1)];
    while (*p >= 0 && *p != idx)
        p = &t->e[*p].next;
    if (*p == idx)
        *p = e->next;
    e->used = false;
    e->next = t->free_head;
    t->free_head = idx;
    t->used--;
}

static void endpoints_of(const struct packet *pkt, struct endpoints *ep)
{
    memset(ep, 0, sizeof *ep);
    ep->linktype = pkt->eth.linktype;
    if (packet_has(pkt, LAYER_ETH) && pkt->eth.src.len == 6 && pkt->eth.dst.len == 6) {
        ep->has_mac = true;
        memcpy(ep->smac, pkt->eth.src.p, 6);
        memcpy(ep->dmac, pkt->eth.dst.p, 6);
    }
    const struct flow_tuple *t = &pkt->flow;
    ep->ipver = t->family;
    ep->proto = t->proto;
    memcpy(ep->sip, t->src, 16);
    memcpy(ep->dip, t->dst, 16);
    ep->ports = t->ports;
    ep->sport = t->sport;
    ep->dport = t->dport;
}

/* The key of a kind for ep; 0 when the packet has no such flow. *reverse:
 * (Connection) the packet goes from the key's second endpoint. */
static uint8_t make_key_endpoints(enum kind k, const struct endpoints *ep, uint8_t *key,
                                  bool *reverse)
{
    uint8_t n = 0;
    *reverse = false;
    key[n++] = (uint8_t)k;
    switch (k) {
    case K_LINK:
        if (!ep->has_mac)
            return 0;
        memcpy(key + n, ep->smac, 6);
        memcpy(key + n + 6, ep->dmac, 6);
        return n + 12;
    case K_TRANSPORT:
        if (!ep->ports)
            return 0;
        key[n++] = ep->proto;
        memcpy(key + n, &ep->sport, 2);
        memcpy(key + n + 2, &ep->dport, 2);
        return n + 4;
    case K_NETWORK:
    case K_FLOW:
    case K_CONNECTION: {
        if (!ep->ipver)
            return 0;
        size_t alen = ep->ipver == 4 ? 4 : 16;
        const uint8_t *a = ep->sip, *b = ep->dip;
        uint16_t pa = ep->sport, pb = ep->dport;
        if (k == K_CONNECTION) /* the first endpoint in the endpoint order first */
            *reverse = flow_order_endpoints(&a, &pa, &b, &pb, alen);
        key[n++] = ep->ipver;
        memcpy(key + n, a, alen);
        memcpy(key + n + alen, b, alen);
        n += (uint8_t)(2 * alen);
        if (k == K_NETWORK)
            return n;
        key[n++] = ep->proto;
        memcpy(key + n, &pa, 2);
        memcpy(key + n + 2, &pb, 2);
        return n + 4;
    }
    default:
        return 0;
    }
}

/* The key: endpoints, and for the shared kinds the time window. */
static uint8_t make_key(enum kind k, const struct endpoints *ep, uint64_t window, uint8_t *key,
                        bool *reverse)
{
    uint8_t n = make_key_endpoints(k, ep, key, reverse);
    if (n && k >= K_LINK) {
        memcpy(key + n, &window, 8);
        n += 8;
    }
    return n;
}

static const char *proto_name(uint8_t proto, char buf[8])
{
    switch (proto) {
    case 6: return "TCP";
    case 17: return "UDP";
    case 1: return "ICMPv4";
    case 58: return "ICMPv6";
    default:
        snprintf(buf, 8, "%u", proto);
        return buf;
    }
}

static const char *link_name(uint32_t linktype)
{
    const char *n = pcap_datalink_val_to_name((int)linktype);
    return n ? n : "unknown";
}

static void ip_text(const struct endpoints *ep, const uint8_t *a, char out[ADDR_TEXT_MAX])
{
    if (ep->ipver == 4)
        format_ip4(a, out);
    else if (ep->ipver == 6)
        format_ip6(a, out);
    else
        out[0] = '\0';
}

/* Build and emit the record of an entry. */
static int emit_entry(enum kind k, const struct flow_entry *e, audit_emit_fn emit, void *ctx)
{
    const struct endpoints *ep = &e->ep;
    char smac[ADDR_TEXT_MAX] = "", dmac[ADDR_TEXT_MAX] = "", sip[ADDR_TEXT_MAX], dip[ADDR_TEXT_MAX];
    char pbuf[8];
    if (ep->has_mac) {
        format_hex_colon(ep->smac, 6, smac);
        format_hex_colon(ep->dmac, 6, dmac);
    }
    ip_text(ep, ep->sip, sip);
    ip_text(ep, ep->dip, dip);
    const char *net = ep->ipver == 4 ? "IPv4" : ep->ipver == 6 ? "IPv6" : "";
    int64_t dur = (int64_t)(e->last - e->first);
    switch (k) {
    case K_FLOW: {
        Netsift__Flow m = NETSIFT__FLOW__INIT;
        m.timestampfirst = (int64_t)e->first, m.timestamplast = (int64_t)e->last;
        m.linkproto = (char *)link_name(ep->linktype), m.networkproto = (char *)net;
        m.transportproto = (char *)proto_name(ep->proto, pbuf);
        m.srcmac = smac, m.dstmac = dmac, m.srcip = sip, m.dstip = dip;
        m.srcport = ep->sport, m.dstport = ep->dport;
        m.numpackets = (int64_t)e->packets, m.totalsize = (int64_t)e->bytes;
        m.apppayloadsize = (int64_t)e->payload, m.duration = dur;
        m.communityid = (char *)e->community_id;
        return emit(ctx, REC_FLOW, &m.base);
    }
    case K_CONNECTION: {
        Netsift__Connection m = NETSIFT__CONNECTION__INIT;
        m.timestampfirst = (int64_t)e->first, m.timestamplast = (int64_t)e->last;
        m.linkproto = (char *)link_name(ep->linktype), m.networkproto = (char *)net;
        m.transportproto = (char *)proto_name(ep->proto, pbuf);
        m.srcmac = smac, m.dstmac = dmac, m.srcip = sip, m.dstip = dip;
        m.srcport = ep->sport, m.dstport = ep->dport;
        m.numpackets = (int64_t)(e->packets + e->srv_packets);
        m.totalsize = (int64_t)(e->bytes + e->srv_bytes);
        m.apppayloadsize = (int64_t)(e->payload + e->srv_payload), m.duration = dur;
        m.clientpackets = (int64_t)e->packets, m.serverpackets = (int64_t)e->srv_packets;
        m.clientbytes = (int64_t)e->bytes, m.serverbytes = (int64_t)e->srv_bytes;
        m.clientpayloadbytes = (int64_t)e->payload, m.serverpayloadbytes = (int64_t)e->srv_payload;
        m.syncount = (int64_t)e->flags[0], m.fincount = (int64_t)e->flags[1];
        m.rstcount = (int64_t)e->flags[2], m.ackcount = (int64_t)e->flags[3];
        m.pshcount = (int64_t)e->flags[4], m.urgcount = (int64_t)e->flags[5];
        m.communityid = (char *)e->community_id;
        return emit(ctx, REC_CONNECTION, &m.base);
    }
    case K_LINK: {
        Netsift__LinkFlow m = NETSIFT__LINK_FLOW__INIT;
        m.timestampfirst = (int64_t)e->first, m.timestamplast = (int64_t)e->last;
        m.proto = (char *)link_name(ep->linktype), m.srcmac = smac, m.dstmac = dmac;
        m.numpackets = (int64_t)e->packets, m.totalsize = (int64_t)e->bytes, m.duration = dur;
        return emit(ctx, REC_LINKFLOW, &m.base);
    }
    case K_NETWORK: {
        Netsift__NetworkFlow m = NETSIFT__NETWORK_FLOW__INIT;
        m.timestampfirst = (int64_t)e->first, m.timestamplast = (int64_t)e->last;
        m.proto = (char *)net, m.srcip = sip, m.dstip = dip;
        m.numpackets = (int64_t)e->packets, m.totalsize = (int64_t)e->bytes, m.duration = dur;
        return emit(ctx, REC_NETWORKFLOW, &m.base);
    }
    case K_TRANSPORT: {
        Netsift__TransportFlow m = NETSIFT__TRANSPORT_FLOW__INIT;
        m.timestampfirst = (int64_t)e->first, m.timestamplast = (int64_t)e->last;
        m.proto = (char *)proto_name(ep->proto, pbuf), m.srcport = ep->sport, m.dstport = ep->dport;
        m.numpackets = (int64_t)e->packets, m.totalsize = (int64_t)e->bytes, m.duration = dur;
        return emit(ctx, REC_TRANSPORTFLOW, &m.base);
    }
    default:
        return 0;
    }
}

/* Emit every entry of t that was last seen before `before` (all when
 * before is UINT64_MAX) and remove it. */
static int table_drain(struct flow_table *t, enum kind k, uint64_t before, audit_emit_fn emit,
                       void *ctx)
{
    int rc = 0;
    for (uint32_t i = 0; i < t->fresh && t->used; i++) {
        struct flow_entry *e = &t->e[i];
        if (!e->used || (before != UINT64_MAX && e->expire >= before))
            continue;
        if (!rc)
            rc = emit_entry(k, e, emit, ctx);
        table_remove(t, e);
    }
    return rc;
}

static void account(struct flow_entry *e, const struct packet *pkt, bool reverse)
{
    uint64_t payload = packet_has(pkt, LAYER_TCP)   ? pkt->tcp.payload.len
                       : packet_has(pkt, LAYER_UDP) ? pkt->udp.payload.len
                                                    : 0;
    if (pkt->timestamp < e->first)
        e->first = pkt->timestamp;
    if (pkt->timestamp > e->last)
        e->last = pkt->timestamp;
    if (reverse) {
        e->srv_packets++;
        e->srv_bytes += pkt->length;
        e->srv_payload += payload;
    } else {
        e->packets++;
        e->bytes += pkt->length;
        e->payload += payload;
    }
    if (packet_has(pkt, LAYER_TCP)) {
        static const uint8_t bits[6] = {0x02, 0x01, 0x04, 0x10, 0x08, 0x20};
        for (int i = 0; i < 6; i++)
            e->flags[i] += (pkt->tcp.flags & bits[i]) != 0;
    }
}

/* One packet into one table.  Called with the table's lock held when
 * shared. */
static int table_packet(struct audit_flows *f, struct flow_table *t, enum kind k,
                        const struct packet *pkt, const struct endpoints *ep, audit_emit_fn emit,
                        void *ctx)
{
    uint8_t key[KEY_MAX];
    bool reverse;
    uint64_t window = f->timeout ? pkt->timestamp / f->timeout : 0;
    uint8_t len = make_key(k, ep, window, key, &reverse);
    if (!len)
        return 0;
    uint32_t hash = XXH32(key, len, 0);
    int rc = 0;
    struct flow_entry *e = table_find(t, key, len, hash);
    if (e && k < K_LINK && pkt->timestamp > e->last + f->timeout) { /* idle: a new record */
        rc = emit_entry(k, e, emit, ctx);
        table_remove(t, e);
        e = NULL;
    }
    if (!e) {
        e = table_insert(t, key, len, hash);
        if (!e) { /* full: write everything out, start empty */
            atomic_fetch_add(&f->overflows, 1);
            int r = table_drain(t, k, UINT64_MAX, emit, ctx);
            rc = rc ? rc : r;
            e = table_insert(t, key, len, hash);
            if (!e)
                return rc ? rc : -1;
        }
        e->ep = *ep;
        e->first = e->last = pkt->timestamp;
        if (k == K_FLOW || k == K_CONNECTION) {
            const char *cid = packet_community_id(pkt);
            snprintf(e->community_id, sizeof e->community_id, "%s", cid ? cid : "");
        }
        reverse = false; /* the first packet's source is the client */
    } else if (k == K_CONNECTION) {
        /* client is the source of the first packet: same direction? */
        reverse = !(memcmp(e->ep.sip, ep->sip, 16) == 0 && e->ep.sport == ep->sport &&
                    memcmp(e->ep.dip, ep->dip, 16) == 0 && e->ep.dport == ep->dport);
    }
    account(e, pkt, reverse);
    e->expire = k < K_LINK ? e->last + f->timeout : (window + 1) * f->timeout;
    return rc;
}

struct audit_flows *audit_flows_new(unsigned nworkers, uint32_t enabled, uint32_t max_flows,
                                    uint64_t timeout_us)
{
    struct audit_flows *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->nworkers = nworkers;
    f->timeout = timeout_us;
    for (int k = 0; k < K_COUNT; k++)
        if (enabled & (1u << kind_rec[k]))
            f->enabled |= 1u << k;
    f->own = calloc((size_t)nworkers * 2, sizeof *f->own);
    f->worker_time = calloc(nworkers, sizeof *f->worker_time);
    if (!f->own || !f->worker_time) {
        audit_flows_free(f);
        return NULL;
    }
    int rc = 0;
    for (unsigned w = 0; w < nworkers; w++)
        for (int k = K_FLOW; k <= K_CONNECTION; k++)
            if (f->enabled & (1u << k))
                rc |= table_init(&f->own[w * 2 + k], max_flows);
    uint32_t stripe_cap = max_flows / STRIPES ? max_flows / STRIPES : 1;
    for (int k = K_LINK; k < K_COUNT; k++)
        if (f->enabled & (1u << k))
            for (int s = 0; s < STRIPES; s++)
                rc |= table_init(&f->shared[k - K_LINK][s], stripe_cap);
    if (rc) {
        audit_flows_free(f);
        return NULL;
    }
    return f;
}

uint64_t audit_flows_entry_bytes(unsigned nworkers, uint32_t enabled)
{
    uint64_t tables = 0;
    for (int k = 0; k < K_COUNT; k++)
        if (enabled & (1u << kind_rec[k]))
            tables += k <= K_CONNECTION ? nworkers : 1;
    /* table_init: between 2 and 4 buckets per entry */
    return tables * (sizeof(struct flow_entry) + 4 * sizeof(int32_t));
}

int audit_flows_packet(struct audit_flows *f, unsigned worker, const struct packet *pkt,
                       audit_emit_fn emit, void *ctx)
{
    if (!f->enabled)
        return 0;
    struct endpoints ep;
    endpoints_of(pkt, &ep);
    int rc = 0;
    if (pkt->timestamp > atomic_load_explicit(&f->worker_time[worker], memory_order_relaxed))
        atomic_store_explicit(&f->worker_time[worker], pkt->timestamp, memory_order_relaxed);
    for (int k = K_FLOW; k <= K_CONNECTION; k++)
        if (f->enabled & (1u << k)) {
            int r = table_packet(f, &f->own[worker * 2 + k], (enum kind)k, pkt, &ep, emit, ctx);
            rc = rc ? rc : r;
        }
    for (int k = K_LINK; k < K_COUNT; k++) {
        if (!(f->enabled & (1u << k)))
            continue;
        uint8_t key[KEY_MAX];
        bool reverse;
        uint8_t len = make_key_endpoints((enum kind)k, &ep, key, &reverse);
        if (!len)
            continue;
        struct flow_table *t = &f->shared[k - K_LINK][XXH32(key, len, 1) % STRIPES];
        pthread_mutex_lock(&t->lock);
        int r = table_packet(f, t, (enum kind)k, pkt, &ep, emit, ctx);
        pthread_mutex_unlock(&t->lock);
        rc = rc ? rc : r;
    }
    return rc;
}

int audit_flows_sweep(struct audit_flows *f, unsigned worker, audit_emit_fn emit, void *ctx)
{
    int rc = 0;
    uint64_t now = atomic_load_explicit(&f->worker_time[worker], memory_order_relaxed);
    if (now)
        for (int k = K_FLOW; k <= K_CONNECTION; k++)
            if (f->enabled & (1u << k)) {
                int r = table_drain(&f->own[worker * 2 + k], (enum kind)k, now, emit, ctx);
                rc = rc ? rc : r;
            }
    if (worker != 0)
        return rc; /* the shared tables are swept by worker 0 */
    /* the earliest time a worker that has seen packets has reached */
    uint64_t horizon = UINT64_MAX;
    for (unsigned w = 0; w < f->nworkers; w++) {
        uint64_t t = atomic_load_explicit(&f->worker_time[w], memory_order_relaxed);
        if (t && t < horizon)
            horizon = t;
    }
    if (horizon == UINT64_MAX)
        return rc;
    for (int k = K_LINK; k < K_COUNT; k++)
        if (f->enabled & (1u << k))
            for (int s = 0; s < STRIPES; s++) {
                struct flow_table *t = &f->shared[k - K_LINK][s];
                pthread_mutex_lock(&t->lock);
                int r = table_drain(t, (enum kind)k, horizon, emit, ctx);
                pthread_mutex_unlock(&t->lock);
                rc = rc ? rc : r;
            }
    return rc;
}

int audit_flows_flush(struct audit_flows *f, unsigned worker, audit_emit_fn emit, void *ctx)
{
    int rc = 0;
    for (int k = 0; k < K_COUNT; k++) {
        if (!(f->enabled & (1u << k)))
            continue;
        bool own = k <= K_CONNECTION;
        if (own != (worker != -1u))
            continue;
        for (int s = 0; s < (own ? 1 : STRIPES); s++) {
            struct flow_table *t = own ? &f->own[worker * 2 + k] : &f->shared[k - K_LINK][s];
            int r = table_drain(t, (enum kind)k, UINT64_MAX, emit, ctx);
            rc = rc ? rc : r;
        }
    }
    return rc;
}

uint64_t audit_flows_overflows(const struct audit_flows *f)
{
    return atomic_load(&((struct audit_flows *)f)->overflows);
}

void audit_flows_free(struct audit_flows *f)
{
    if (!f)
        return;
    for (unsigned w = 0; f->own && w < f->nworkers; w++)
        for (int k = K_FLOW; k <= K_CONNECTION; k++)
            if (f->own[w * 2 + k].e)
                table_free(&f->own[w * 2 + k]);
    for (int k = 0; k < 3; k++)
        for (int s = 0; s < STRIPES; s++)
            if (f->shared[k][s].e)
                table_free(&f->shared[k][s]);
    free(f->own);
    free(f->worker_time);
    free(f);
}
