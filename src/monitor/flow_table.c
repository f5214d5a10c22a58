/*
 * flow_table.c - per-worker flow table: hash chains over a fixed array,
 * three idle lists (see flow_table.h).
 */
#include "flow_table.h"

#include <stdlib.h>
#include <string.h>

struct flow_list_head {
    uint32_t head, tail; /* index + 1; 0: empty */
};

struct flow_table {
    struct flow *flows;     /* max slots */
    uint32_t max, count;
    uint32_t *buckets;      /* nbuckets chain heads (index + 1) */
    uint32_t mask;
    uint32_t free_head;     /* free slots chained through hnext (index + 1) */
    uint32_t unused;        /* slots [unused, max) were never handed out */
    struct flow_list_head lists[FLOW_LISTS];
    uint64_t timeout[FLOW_LISTS];
};

struct flow_table *flow_table_new(uint32_t max, const uint64_t timeout_us[FLOW_LISTS])
{
    struct flow_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    uint32_t n = 16;
    while (n < max && n < (1u << 30))
        n <<= 1;
    t->max = max ? max : 1;
    t->mask = n - 1;
    t->flows = calloc(t->max, sizeof *t->flows); /* pages are touched as flows arrive */
    t->buckets = calloc(n, sizeof *t->buckets);
    if (!t->flows || !t->buckets) {
        flow_table_free(t);
        return NULL;
    }
    memcpy(t->timeout, timeout_us, sizeof t->timeout);
    return t;
}

void flow_table_free(struct flow_table *t)
{
    if (!t)
        return;
    free(t->flows);
    free(t->buckets);
    free(t);
}

bool flow_key_of(const struct packet *pkt, struct flow_key *key, unsigned *src_side)
{
    const struct flow_tuple *t = &pkt->flow;
    if (!t->family || t->later_fragment)
        return false; /* not IP, or a later fragment: no ports, as ndpiReader skips it */
    memset(key, 0, sizeof *key);
    size_t alen = t->family == 4 ? 4 : 16;
    unsigned s = t->lo_side;
    memcpy(key->addr[s], t->src, alen);
    memcpy(key->addr[s ^ 1], t->dst, alen);
    key->port[s] = t->sport;
    key->port[s ^ 1] = t->dport;
    key->vlan = t->vlan;
    key->proto = t->proto;
    key->family = t->family;
    key->hash = t->hash;
    *src_side = s;
    return true;
}

static uint32_t hash_of(const struct flow_key *key)
{
    return key->hash;
}

static struct flow *at(const struct flow_table *t, uint32_t ref)
{
    return ref ? &t->flows[ref - 1] : NULL;
}

static uint32_t ref_of(const struct flow_table *t, const struct flow *f)
{
    return (uint32_t)(f - t->flows) + 1;
}

struct flow *flow_table_find(struct flow_table *t, const struct flow_key *key)
{
    uint32_t h = hash_of(key);
    for (uint32_t r = t->buckets[h & t->mask]; r; r = t->flows[r - 1].hnext) {
        const struct flow *f = &t->flows[r - 1];
        if (f->hash == h && memcmp(&f->key, key, sizeof *key) == 0)
            return &t->flows[r - 1];
    }
    return NULL;
}

bool flow_table_full(const struct flow_table *t)
{
    return t->count >= t->max;
}

static void list_unlink(struct flow_table *t, struct flow *f)
{
    struct flow_list_head *l = &t->lists[f->list];
    if (f->prev)
        at(t, f->prev)->next = f->next;
    else
        l->head = f->next;
    if (f->next)
        at(t, f->next)->prev = f->prev;
    else
        l->tail = f->prev;
    f->prev = f->next = 0;
}

static void list_append(struct flow_table *t, struct flow *f, enum flow_list list)
{
    struct flow_list_head *l = &t->lists[list];
    uint32_t r = ref_of(t, f);
    f->list = (uint8_t)list;
    f->prev = l->tail;
    f->next = 0;
    if (l->tail)
        at(t, l->tail)->next = r;
    else
        l->head = r;
    l->tail = r;
}

struct flow *flow_table_insert(struct flow_table *t, const struct flow_key *key)
{
    uint32_t r;
    if (t->free_head) {
        r = t->free_head;
        t->free_head = t->flows[r - 1].hnext;
    } else if (t->unused < t->max) {
        r = ++t->unused;
    } else {
        return NULL;
    }
    struct flow *f = &t->flows[r - 1];
    memset(f, 0, sizeof *f);
    f->key = *key;
    f->hash = hash_of(key);
    uint32_t b = f->hash & t->mask;
    f->hnext = t->buckets[b];
    t->buckets[b] = r;
    list_append(t, f, key->proto == 6 ? FLOW_LIST_TCP : FLOW_LIST_OTHER);
    t->count++; /* moved = last_seen = 0 until the owner sets them */
    return f;
}

static void move_to_tail(struct flow_table *t, struct flow *f, enum flow_list list)
{
    f->moved = f->last_seen;
    if (t->lists[f->list].tail == ref_of(t, f) && f->list == list)
        return; /* already the most recent */
    list_unlink(t, f);
    list_append(t, f, list);
}

void flow_table_touch(struct flow_table *t, struct flow *f, enum flow_list list)
{
    if (f->list != list || f->last_seen - f->moved >= FLOW_TOUCH_US)
        move_to_tail(t, f, list);
}

struct flow *flow_table_expired(struct flow_table *t, uint64_t now_us, enum flow_end *why)
{
    for (int l = 0; l < FLOW_LISTS; l++) {
        struct flow *f;
        while ((f = at(t, t->lists[l].head))) {
            if (f->last_seen + t->timeout[l] <= now_us) {
                *why = l == FLOW_LIST_CLOSED ? FLOW_END_CLOSED : FLOW_END_IDLE;
                return f;
            }
            if (f->moved == f->last_seen)
                break; /* the head is in its place: nothing behind it is due */
            move_to_tail(t, f, (enum flow_list)l); /* it had packets since its last move */
        }
    }
    return NULL;
}

struct flow *flow_table_oldest(struct flow_table *t)
{
    struct flow *best = NULL;
    for (int l = 0; l < FLOW_LISTS; l++) {
        struct flow *f = at(t, t->lists[l].head);
        if (f && (!best || f->last_seen < best->last_seen))
            best = f;
    }
    return best;
}

void flow_table_remove(struct flow_table *t, struct flow *f)
{
    uint32_t r = ref_of(t, f);
    uint32_t *link = &t->buckets[f->hash & t->mask];
    while (*link && *link != r)
        link = &t->flows[*link - 1].hnext;
    if (*link)
        *link = f->hnext;
    list_unlink(t, f);
    f->hnext = t->free_head;
    t->free_head = r;
    t->count--;
}

uint32_t flow_table_count(const struct flow_table *t)
{
    return t->count;
}

void flow_table_recent(struct flow_table *t, uint32_t max,
                       void (*visit)(void *arg, const struct flow *f), void *arg)
{
    /* merge the three lists from their tails, newest first */
    struct flow *cur[FLOW_LISTS];
    for (int l = 0; l < FLOW_LISTS; l++)
        cur[l] = at(t, t->lists[l].tail);
    for (uint32_t n = 0; n < max; n++) {
        int pick = -1;
        for (int l = 0; l < FLOW_LISTS; l++)
            if (cur[l] && (pick < 0 || cur[l]->last_seen > cur[pick]->last_seen))
                pick = l;
        if (pick < 0)
            return;
        visit(arg, cur[pick]);
        cur[pick] = at(t, cur[pick]->prev);
    }
}
