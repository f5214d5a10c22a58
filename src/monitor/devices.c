/*
 * devices.c - device records, worker sets and the shared book (see
 * devices.h).
 */
#include "devices.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/text.h"

/* Slots of a set of cap devices: a power of two, at least twice cap. */
static uint32_t set_slots(uint32_t cap)
{
    uint32_t n = 64;
    while (n < 2 * cap && n < (1u << 24))
        n <<= 1;
    return n;
}

size_t device_set_bytes(uint32_t cap)
{
    uint32_t n = set_slots(cap);
    return n * sizeof(struct device) + n / 2 * sizeof(((struct device_set *)0)->used[0]);
}

int device_set_init(struct device_set *s, uint32_t cap)
{
    uint32_t n = set_slots(cap);
    s->slots = calloc(n, sizeof *s->slots);
    s->used = calloc(n / 2, sizeof *s->used);
    s->count = 0;
    if (!s->slots || !s->used) {
        device_set_free(s);
        return -1;
    }
    s->cap = n;
    return 0;
}

void device_set_free(struct device_set *s)
{
    free(s->slots);
    free(s->used);
    memset(s, 0, sizeof *s);
}

void device_set_clear(struct device_set *s)
{
    for (uint32_t i = 0; i < s->count; i++)
        s->slots[s->used[i]].used = false;
    s->count = 0;
}

static uint32_t mac_hash(const uint8_t mac[6])
{
    uint64_t v = 0;
    for (int i = 0; i < 6; i++)
        v = v << 8 | mac[i];
    return (uint32_t)((v * 0x9e3779b97f4a7c15ull) >> 32);
}

static bool mac_is_zero(const uint8_t mac[6])
{
    static const uint8_t zero[6];
    return memcmp(mac, zero, 6) == 0;
}

/* The slot of mac: its record, or the empty slot where it would go. */
static struct device *slot_of(const struct device_set *s, const uint8_t mac[6])
{
    uint32_t mask = s->cap - 1;
    for (uint32_t i = mac_hash(mac) & mask;; i = (i + 1) & mask) {
        struct device *d = &s->slots[i];
        if (!d->used || memcmp(d->mac, mac, 6) == 0)
            return d; /* the set is never more than half full: this ends */
    }
}

struct device *device_get(struct device_set *s, const uint8_t mac[6], uint64_t ts)
{
    if (mac_is_group(mac) || mac_is_zero(mac) || !s->cap)
        return NULL;
    struct device *d = slot_of(s, mac);
    if (d->used)
        return d;
    if (s->count >= s->cap / 2)
        return NULL; /* full: the caller merges and retries, or counts a drop */
    memset(d, 0, sizeof *d);
    memcpy(d->mac, mac, 6);
    d->used = true;
    d->first_seen = d->last_seen = ts;
    s->used[s->count++] = (uint32_t)(d - s->slots);
    return d;
}

void device_seen(struct device *d, uint64_t ts)
{
    if (ts < d->first_seen)
        d->first_seen = ts;
    if (ts > d->last_seen)
        d->last_seen = ts;
}

void device_add_ip(struct device *d, uint8_t family, const uint8_t *addr)
{
    static const uint8_t unspecified[16];
    size_t n = family == 4 ? 4 : 16;
    if (memcmp(addr, unspecified, n) == 0)
        return; /* 0.0.0.0 and ::, as a DHCP client before it has an address */
    for (uint8_t i = 0; i < d->nips; i++)
        if (d->ips[i].family == family && memcmp(d->ips[i].addr, addr, n) == 0)
            return;
    if (d->nips >= DEVICE_MAX_IPS)
        return;
    struct device_ip *ip = &d->ips[d->nips++];
    memset(ip, 0, sizeof *ip);
    ip->family = family;
    memcpy(ip->addr, addr, n);
}

/* Is name an item of the comma list? */
static bool list_has(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && memcmp(p, name, n) == 0)
            return true;
        if (!comma)
            break;
        p = comma + 1;
    }
    return false;
}

void device_add_protocol(struct device *d, const char *name)
{
    size_t used = strlen(d->protocols), n = strlen(name);
    if (n == 0 || strchr(name, ',') || strcmp(name, "Unknown") == 0 ||
        list_has(d->protocols, name))
        return;
    if (used + (used ? 1 : 0) + n > DEVICE_LIST_MAX)
        return; /* the list is full: later protocols are left out */
    snprintf(d->protocols + used, sizeof d->protocols - used, "%s%s", used ? "," : "", name);
}

void device_set_dhcp(struct device *d, const char *host_name, const char *vendor_class,
                     const char *client_id)
{
    if (client_id && client_id[0])
        snprintf(d->dhcp_client_id, sizeof d->dhcp_client_id, "%s", client_id);
    if (host_name && host_name[0])
        snprintf(d->dhcp_host_name, sizeof d->dhcp_host_name, "%s", host_name);
    if (vendor_class && vendor_class[0])
        snprintf(d->dhcp_vendor_class, sizeof d->dhcp_vendor_class, "%s", vendor_class);
}

/* Add every item of a comma list. */
static void add_protocols(struct device *d, const char *list)
{
    char item[DEVICE_LIST_MAX + 1];
    for (const char *p = list; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len < sizeof item) {
            memcpy(item, p, len);
            item[len] = '\0';
            device_add_protocol(d, item);
        }
        if (!comma)
            break;
        p = comma + 1;
    }
}

void device_merge(struct device *into, const struct device *from)
{
    device_seen(into, from->first_seen);
    device_seen(into, from->last_seen);
    into->flows += from->flows;
    into->fingerprints += from->fingerprints;
    for (uint8_t i = 0; i < from->nips; i++)
        device_add_ip(into, from->ips[i].family, from->ips[i].addr);
    device_set_dhcp(into, from->dhcp_host_name, from->dhcp_vendor_class, from->dhcp_client_id);
    add_protocols(into, from->protocols);
}

int device_book_init(struct device_book *b, uint32_t max)
{
    memset(b, 0, sizeof *b);
    b->max = max;
    pthread_mutex_init(&b->lock, NULL);
    return device_set_init(&b->set, max);
}

void device_book_free(struct device_book *b)
{
    device_set_free(&b->set);
    pthread_mutex_destroy(&b->lock);
}

void device_book_merge(struct device_book *b, struct device_set *s)
{
    if (s->count == 0)
        return;
    pthread_mutex_lock(&b->lock);
    for (uint32_t i = 0; i < s->count; i++) {
        const struct device *from = &s->slots[s->used[i]];
        struct device *d = slot_of(&b->set, from->mac);
        if (!d->used && b->set.count >= b->max) {
            b->dropped++; /* the book is full: only devices it holds are updated */
            continue;
        }
        if (!d->used)
            d = device_get(&b->set, from->mac, from->first_seen);
        if (!d)
            continue;
        device_merge(d, from);
        d->dirty = true;
    }
    pthread_mutex_unlock(&b->lock);
    device_set_clear(s);
}

void device_book_take_dirty(struct device_book *b, void (*emit)(void *arg, const struct device *d),
                            void *arg)
{
    pthread_mutex_lock(&b->lock);
    for (uint32_t i = 0; i < b->set.count; i++) {
        struct device *d = &b->set.slots[b->set.used[i]];
        if (d->dirty) {
            emit(arg, d);
            d->dirty = false;
        }
    }
    pthread_mutex_unlock(&b->lock);
}

static int ip_cmp(const void *a, const void *b)
{
    const struct device_ip *x = a, *y = b;
    if (x->family != y->family)
        return x->family < y->family ? -1 : 1;
    return memcmp(x->addr, y->addr, sizeof x->addr);
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void device_format_ips(const struct device *d, char *out, size_t size)
{
    struct device_ip ips[DEVICE_MAX_IPS];
    size_t used = 0;
    out[0] = '\0';
    memcpy(ips, d->ips, d->nips * sizeof ips[0]);
    qsort(ips, d->nips, sizeof ips[0], ip_cmp); /* the same text whatever the order learned */
    for (uint8_t i = 0; i < d->nips; i++) {
        char a[ADDR_TEXT_MAX];
        format_addr(ips[i].addr, ips[i].family == 4 ? 4 : 16, a);
        int w = snprintf(out + used, size - used, "%s%s", i ? "," : "", a);
        if (w < 0 || (size_t)w >= size - used)
            return;
        used += (size_t)w;
    }
}

void device_format_protocols(const struct device *d, char out[DEVICE_LIST_MAX + 1])
{
    char copy[DEVICE_LIST_MAX + 1];
    const char *items[DEVICE_LIST_MAX / 2 + 1];
    size_t n = 0, used = 0;
    snprintf(copy, sizeof copy, "%s", d->protocols);
    for (char *p = copy, *save = NULL; (p = strtok_r(p, ",", &save)); p = NULL)
        items[n++] = p;
    qsort(items, n, sizeof items[0], str_cmp);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(out + used, DEVICE_LIST_MAX + 1 - used, "%s%s", i ? "," : "",
                                 items[i]);
}

void device_parse_ips(struct device *d, const char *list)
{
    char item[64];
    for (const char *p = list; p && *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        uint8_t addr[16];
        if (len < sizeof item) {
            memcpy(item, p, len);
            item[len] = '\0';
            if (inet_pton(AF_INET, item, addr) == 1)
                device_add_ip(d, 4, addr);
            else if (inet_pton(AF_INET6, item, addr) == 1)
                device_add_ip(d, 6, addr);
        }
        if (!comma)
            break;
        p = comma + 1;
    }
}

void mac_format(const uint8_t mac[6], char out[18])
{
    format_hex_colon(mac, 6, out);
}

bool mac_parse(const char *text, uint8_t mac[6])
{
    static const char hex[] = "0123456789abcdef";
    if (strlen(text) != 17)
        return false;
    for (int i = 0; i < 6; i++) {
        const char *s = text + 3 * i;
        if (i < 5 && s[2] != ':')
            return false;
        int v = 0;
        for (int k = 0; k < 2; k++) {
            char c = s[k] >= 'A' && s[k] <= 'F' ? (char)(s[k] - 'A' + 'a') : s[k];
            const char *h = c ? strchr(hex, c) : NULL;
            if (!h)
                return false;
            v = v << 4 | (int)(h - hex);
        }
        mac[i] = (uint8_t)v;
    }
    return true;
}

bool mac_locally_administered(const uint8_t mac[6])
{
    return (mac[0] & 0x02) != 0;
}

void device_group(const struct device *d, char *out, size_t size)
{
    char mac[18];
    mac_format(d->mac, mac);
    if (mac_locally_administered(d->mac) && d->dhcp_client_id[0])
        snprintf(out, size, "dhcp-client-id:%s", d->dhcp_client_id);
    else if (mac_locally_administered(d->mac) && d->dhcp_host_name[0])
        snprintf(out, size, "dhcp-host-name:%s", d->dhcp_host_name);
    else
        snprintf(out, size, "%s", mac);
}
