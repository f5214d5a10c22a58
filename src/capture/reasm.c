/*
 * reasm.c - TCP stream reassembly engine (see reasm.h): connection
 * table, TCP flags, the engine-wide memory cap, idle expiry.  Each
 * direction's ordering (out-of-order buffer, first data wins, gaps) is
 * reasm_stream.c.
 */
#include "reasm.h"

#include <stdlib.h>
#include <string.h>

#include "../decode/flow.h"
#include "../decode/packet.h"

struct reasm {
    struct reasm_conf conf;
    struct reasm_callbacks cb;
    void *user;
    struct reasm_stream_env env; /* how connections' streams deliver (trampolines below) */
    struct reasm_conn **buckets;
    uint32_t nbuckets; /* power of two */
    struct reasm_conn *lru_head, *lru_tail; /* least recently seen first */
    uint64_t now, last_sweep;
    uint64_t next_id;
    struct reasm_stats st;
};

static void on_stream_data(void *user, const uint8_t *p, size_t n, uint64_t ts);
static void on_stream_gap(void *user, uint64_t n);
static bool on_stream_room(void *user, uint64_t need);

#define SWEEP_EVERY_US 1000000ull
#define CONN_COST (sizeof(struct reasm_conn))

static const char *const end_names[REASM_END_COUNT] = {
    [REASM_END_FIN] = "fin",         [REASM_END_RST] = "rst",
    [REASM_END_IDLE] = "idle",       [REASM_END_EVICTED] = "evicted",
    [REASM_END_REUSED] = "reused",   [REASM_END_FLUSH] = "capture_end",
};

const char *reasm_end_name(enum reasm_end r)
{
    return (unsigned)r < REASM_END_COUNT ? end_names[r] : "?";
}

struct reasm *reasm_new(const struct reasm_conf *conf, const struct reasm_callbacks *cb,
                        void *user)
{
    struct reasm *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->conf = *conf;
    r->cb = *cb;
    r->user = user;
    r->env = (struct reasm_stream_env){.cap = conf->conn_memcap, .st = &r->st,
                                       .data = on_stream_data, .gap = on_stream_gap,
                                       .room = on_stream_room};
    r->nbuckets = 1024;
    r->buckets = calloc(r->nbuckets, sizeof *r->buckets);
    if (!r->buckets) {
        free(r);
        return NULL;
    }
    return r;
}

const struct reasm_stats *reasm_stats(const struct reasm *r)
{
    return &r->st;
}

static void mem_add(struct reasm *r, uint64_t n)
{
    r->st.memory += n;
    if (r->st.memory > r->st.peak_memory)
        r->st.peak_memory = r->st.memory;
}

/* ---- connection table ---- */

/* Symmetric hash of the endpoints (both directions alike): the one flow
 * hash (decode/flow.h), without the VLAN, which segments do not carry. */
static uint32_t endpoint_hash(uint8_t family, const uint8_t *a, uint16_t pa, const uint8_t *b,
                              uint16_t pb)
{
    return flow_hash(family, 6, 0, a, pa, b, pb);
}

/* The side of c that sent s (0 or 1), or -1 when s is not of c. */
static int side_of(const struct reasm_conn *c, const struct reasm_seg *s)
{
    size_t alen = s->family == 6 ? 16 : 4;
    if (c->key.family != s->family)
        return -1;
    for (int d = 0; d < 2; d++)
        if (c->key.port[d] == s->sport && c->key.port[!d] == s->dport &&
            memcmp(c->key.addr[d], s->src, alen) == 0 &&
            memcmp(c->key.addr[!d], s->dst, alen) == 0)
            return d;
    return -1;
}

static void lru_unlink(struct reasm *r, struct reasm_conn *c)
{
    if (c->lru_prev)
        c->lru_prev->lru_next = c->lru_next;
    else
        r->lru_head = c->lru_next;
    if (c->lru_next)
        c->lru_next->lru_prev = c->lru_prev;
    else
        r->lru_tail = c->lru_prev;
    c->lru_prev = c->lru_next = NULL;
}

static void lru_append(struct reasm *r, struct reasm_conn *c)
{
    c->lru_prev = r->lru_tail;
    c->lru_next = NULL;
    if (r->lru_tail)
        r->lru_tail->lru_next = c;
    else
        r->lru_head = c;
    r->lru_tail = c;
}

static void grow_table(struct reasm *r)
{
    uint32_t n = r->nbuckets * 2;
    struct reasm_conn **b = calloc(n, sizeof *b);
    if (!b)
        return; /* longer chains, still correct */
    for (uint32_t i = 0; i < r->nbuckets; i++) {
        struct reasm_conn *c = r->buckets[i], *next;
        for (; c; c = next) {
            next = c->hnext;
            c->hnext = b[c->hash & (n - 1)];
            b[c->hash & (n - 1)] = c;
        }
    }
    free(r->buckets);
    r->buckets = b;
    r->nbuckets = n;
}

/* ---- delivery ---- */

/* A stream call on one connection's direction: the `user` of the
 * stream callbacks, which pass it on as the engine's callbacks. */
struct dir_ref {
    struct reasm *r;
    struct reasm_conn *c;
    int dir;
};

static void on_stream_data(void *user, const uint8_t *p, size_t n, uint64_t ts)
{
    struct dir_ref *x = user;
    if (x->r->cb.data)
        x->r->cb.data(x->r->user, x->c, x->dir, p, n, ts);
}

static void on_stream_gap(void *user, uint64_t n)
{
    struct dir_ref *x = user;
    if (x->r->cb.gap)
        x->r->cb.gap(x->r->user, x->c, x->dir, n);
}

static bool make_room(struct reasm *r, uint64_t need, const struct reasm_conn *keep);

static bool on_stream_room(void *user, uint64_t need)
{
    struct dir_ref *x = user;
    return make_room(x->r, need, x->c);
}

static void check_done(struct reasm_conn *c, int dir)
{
    struct reasm_dir *d = &c->dir[dir];
    if (d->fin && !d->done && seq_diff(d->s.next_seq, d->fin_seq) >= 0)
        d->done = true;
}

/* Deliver everything buffered (with gaps) and the gap up to the FIN. */
static void flush_dir(struct reasm *r, struct reasm_conn *c, int dir)
{
    struct reasm_dir *d = &c->dir[dir];
    struct dir_ref x = {r, c, dir};
    reasm_stream_flush(&r->env, &x, &d->s);
    if (d->fin && seq_diff(d->fin_seq, d->s.next_seq) > 0)
        reasm_stream_gap(&r->env, &x, &d->s, (uint32_t)seq_diff(d->fin_seq, d->s.next_seq));
    check_done(c, dir);
}

static void end_conn(struct reasm *r, struct reasm_conn *c, enum reasm_end why)
{
    flush_dir(r, c, 0);
    flush_dir(r, c, 1);
    if (r->cb.close)
        r->cb.close(r->user, c, why);
    r->st.ended[why]++;
    struct reasm_conn **pp = &r->buckets[c->hash & (r->nbuckets - 1)];
    while (*pp && *pp != c)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = c->hnext;
    lru_unlink(r, c);
    reasm_stream_free(&r->env, &c->dir[0].s);
    reasm_stream_free(&r->env, &c->dir[1].s);
    r->st.memory -= CONN_COST;
    r->st.active--;
    free(c);
}

/* Make room for `need` more bytes by ending least recently seen
 * connections other than `keep`.  True when it fits. */
static bool make_room(struct reasm *r, uint64_t need, const struct reasm_conn *keep)
{
    while (r->st.memory + need > r->conf.memcap) {
        struct reasm_conn *victim = r->lru_head;
        if (victim == keep)
            victim = victim ? victim->lru_next : NULL;
        if (!victim)
            return false;
        end_conn(r, victim, REASM_END_EVICTED);
    }
    return true;
}

/* ---- segments ---- */

static struct reasm_conn *new_conn(struct reasm *r, const struct reasm_seg *s, bool sender_client,
                                   uint32_t hash)
{
    if (!make_room(r, CONN_COST, NULL))
        return NULL;
    struct reasm_conn *c = calloc(1, sizeof *c);
    if (!c) {
        r->st.alloc_failures++;
        return NULL;
    }
    size_t alen = s->family == 6 ? 16 : 4;
    int cs = sender_client ? 0 : 1; /* the sender's side */
    c->key.family = s->family;
    memcpy(c->key.addr[cs], s->src, alen);
    memcpy(c->key.addr[!cs], s->dst, alen);
    c->key.port[cs] = s->sport;
    c->key.port[!cs] = s->dport;
    c->first_ts = c->last_ts = s->ts;
    c->id = ++r->next_id;
    c->hash = hash;
    c->hnext = r->buckets[hash & (r->nbuckets - 1)];
    r->buckets[hash & (r->nbuckets - 1)] = c;
    lru_append(r, c);
    mem_add(r, CONN_COST);
    r->st.active++;
    r->st.connections++;
    if (r->st.active > 2ull * r->nbuckets)
        grow_table(r);
    if (r->cb.open)
        r->cb.open(r->user, c);
    return c;
}

void reasm_segment(struct reasm *r, const struct reasm_seg *s)
{
    enum { FIN = 0x01, SYN = 0x02, RST = 0x04, ACK = 0x10 };
    r->st.segments++;
    if (s->ts > r->now)
        r->now = s->ts;
    if (r->now - r->last_sweep >= SWEEP_EVERY_US) {
        r->last_sweep = r->now;
        reasm_expire(r, r->now);
    }
    bool syn = s->flags & SYN, fin = s->flags & FIN, rst = s->flags & RST, ack = s->flags & ACK;
    uint32_t hash = endpoint_hash(s->family, s->src, s->sport, s->dst, s->dport);
    struct reasm_conn *c = r->buckets[hash & (r->nbuckets - 1)];
    int dir = -1;
    for (; c; c = c->hnext)
        if (c->hash == hash && (dir = side_of(c, s)) >= 0)
            break;
    if (c && syn && !ack && c->dir[dir].s.started &&
        !(c->dir[dir].syn && c->dir[dir].isn == s->seq)) {
        end_conn(r, c, REASM_END_REUSED); /* a new connection on the same ports */
        c = NULL;
    }
    if (!c) {
        if (rst || (!syn && s->len == 0))
            return; /* nothing to reassemble yet */
        bool sender_client;
        if (syn)
            sender_client = !ack;
        else
            sender_client = s->sport != s->dport ? s->sport > s->dport : true;
        c = new_conn(r, s, sender_client, hash);
        if (!c)
            return;
        c->syn_seen = syn;
        if (!syn)
            r->st.midstream++;
        dir = sender_client ? 0 : 1;
    } else {
        c->last_ts = s->ts;
        lru_unlink(r, c);
        lru_append(r, c);
    }
    if (!c->has_mac[dir] && s->src_mac) {
        memcpy(c->mac[dir], s->src_mac, 6);
        c->has_mac[dir] = true;
    }
    if (!c->has_mac[!dir] && s->dst_mac) {
        memcpy(c->mac[!dir], s->dst_mac, 6);
        c->has_mac[!dir] = true;
    }
    if (rst) {
        end_conn(r, c, REASM_END_RST);
        return;
    }
    struct reasm_dir *d = &c->dir[dir];
    uint32_t seq = s->seq;
    if (syn) {
        reasm_stream_start(&d->s, seq + 1);
        if (!d->syn) {
            d->syn = true;
            d->isn = seq;
        }
        seq++;
    }
    reasm_stream_start(&d->s, seq); /* picked up mid-stream */
    if (s->len || s->missing) {
        struct dir_ref x = {r, c, dir};
        reasm_stream_add(&r->env, &x, &d->s, seq, s->payload, s->len, s->missing, s->ts);
    }
    if (fin && !d->fin) {
        d->fin = true;
        d->fin_seq = seq + s->len + s->missing;
    }
    check_done(c, dir);
    if (c->dir[0].done && c->dir[1].done)
        end_conn(r, c, REASM_END_FIN);
    else if (d->done && !c->dir[!dir].s.started)
        end_conn(r, c, REASM_END_FIN); /* one side only ever seen */
}

bool reasm_seg_of(const struct packet *pkt, struct reasm_seg *seg)
{
    if (!packet_has(pkt, LAYER_TCP) || (pkt->malformed & (1u << LAYER_TCP)) ||
        (pkt->truncated & (1u << LAYER_TCP)))
        return false;
    struct reasm_seg s = {0};
    if (packet_has(pkt, LAYER_IP4)) {
        s.family = 4;
        s.src = pkt->ip4.src;
        s.dst = pkt->ip4.dst;
    } else if (packet_has(pkt, LAYER_IP6)) {
        s.family = 6;
        s.src = pkt->ip6.src;
        s.dst = pkt->ip6.dst;
    } else {
        return false;
    }
    s.sport = pkt->tcp.source;
    s.dport = pkt->tcp.dest;
    s.seq = pkt->tcp.seq;
    s.flags = pkt->tcp.flags;
    s.payload = pkt->tcp.payload.p;
    s.len = pkt->tcp.payload.len;
    /* payload on the wire, from the IP lengths (0 in IPv4: TSO, "as captured") */
    int64_t wire = -1;
    if (s.family == 4 && pkt->ip4.len)
        wire = (int64_t)pkt->ip4.len - pkt->ip4.hl * 4 - pkt->tcp.doff * 4;
    else if (s.family == 6 && pkt->ip6.plen)
        wire = (int64_t)pkt->ip6.plen - (pkt->ref[LAYER_IP6].len - 40) - pkt->tcp.doff * 4;
    if (wire > (int64_t)s.len && !(pkt->truncated & (1u << LAYER_IP6)))
        s.missing = (uint32_t)(wire - s.len);
    s.ts = pkt->timestamp;
    if (packet_has(pkt, LAYER_ETH) && pkt->eth.src.len == 6 && pkt->eth.dst.len == 6) {
        s.src_mac = pkt->eth.src.p;
        s.dst_mac = pkt->eth.dst.p;
    }
    *seg = s;
    return true;
}

void reasm_packet(struct reasm *r, const struct packet *pkt)
{
    struct reasm_seg s;
    if (reasm_seg_of(pkt, &s))
        reasm_segment(r, &s);
}

void reasm_expire(struct reasm *r, uint64_t now_us)
{
    while (r->lru_head && r->lru_head->last_ts + r->conf.idle_us < now_us)
        end_conn(r, r->lru_head, REASM_END_IDLE);
}

void reasm_flush(struct reasm *r)
{
    while (r->lru_head)
        end_conn(r, r->lru_head, REASM_END_FLUSH);
}

void reasm_ignore(struct reasm *r, struct reasm_conn *c, int dir)
{
    (void)r;
    c->dir[dir].s.ignore = true; /* the buffer is freed at the next segment or the end */
}

void reasm_free(struct reasm *r)
{
    if (!r)
        return;
    reasm_flush(r);
    free(r->buckets);
    free(r);
}
