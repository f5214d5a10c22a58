/*
 * devices.h - what is on the network: one record per MAC address.
 *
 * Each worker notes what its flows show about devices in a private
 * `device_set` (no lock on the packet path): first and last time seen,
 * the addresses a MAC sent from, DHCP host name and vendor class,
 * protocols, flow and fingerprint counts.  On tick a worker merges its
 * set into the shared `device_book` (one short mutex hold) and empties
 * it; the book marks merged devices dirty and hands them out as rows of
 * the devices table (devices_take_dirty()), which is written with INSERT
 * OR REPLACE: the book holds each device's whole state, loaded from the
 * table when the capture starts, so replacing never loses history.
 * Group (multicast, broadcast) addresses are not devices and are ignored,
 * and so are the unspecified IP addresses and the protocol "Unknown".
 * Everything is bounded: DEVICE_MAX_IPS addresses, DEVICE_LIST_MAX
 * bytes of protocol names, `max` devices in the book (more are counted
 * as dropped).
 */
#ifndef NETSIFT_DEVICES_H
#define NETSIFT_DEVICES_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DEVICE_MAX_IPS 8
#define DEVICE_LIST_MAX 255 /* protocols: comma list */
#define DEVICE_NAME_MAX 63  /* DHCP host name, vendor class */

struct device_ip {
    uint8_t family; /* 4 or 6 */
    uint8_t addr[16];
};

struct device {
    uint8_t mac[6];
    bool used, dirty;
    uint64_t first_seen, last_seen;
    uint64_t flows, fingerprints;
    uint8_t nips;
    struct device_ip ips[DEVICE_MAX_IPS];
    char dhcp_host_name[DEVICE_NAME_MAX + 1];
    char dhcp_vendor_class[DEVICE_NAME_MAX + 1];
    char dhcp_client_id[DEVICE_NAME_MAX + 1]; /* option 61, colon hex (first 16 bytes) */
    char protocols[DEVICE_LIST_MAX + 1];
};

/* An open-addressing map of devices (a worker's notes, or the book's),
 * never more than half full; `used` lists the occupied slots in order of
 * arrival, so walking and clearing cost what is held, not the capacity. */
struct device_set {
    struct device *slots;
    uint32_t *used;
    uint32_t cap, count;
};

struct device_book {
    pthread_mutex_t lock;
    struct device_set set;
    uint32_t max;
    uint64_t dropped; /* devices beyond max */
};

/* The row of the devices table (monitor_tables.h) built from a device. */
struct device_row;

/* cap: most devices held (the slots are a power of two, at least 2 cap). */
/* Bytes device_set_init(s, cap) allocates (all of them in use once the
 * set is full). */
size_t device_set_bytes(uint32_t cap);
int device_set_init(struct device_set *s, uint32_t cap);
void device_set_free(struct device_set *s);
void device_set_clear(struct device_set *s);

/* The record of mac, created if new (NULL when the set is full or mac is
 * a group address). */
struct device *device_get(struct device_set *s, const uint8_t mac[6], uint64_t ts);

/* Updates of one record.  Times extend [first_seen, last_seen]. */
void device_seen(struct device *d, uint64_t ts);
void device_add_ip(struct device *d, uint8_t family, const uint8_t *addr);
void device_add_protocol(struct device *d, const char *name);
void device_set_dhcp(struct device *d, const char *host_name, const char *vendor_class,
                     const char *client_id);
/* True when a MAC is locally administered (the 0x02 bit of its first byte):
 * randomized by the device (Android, iOS, Windows private addresses) or set
 * by software, not burnt in by its vendor. */
bool mac_locally_administered(const uint8_t mac[6]);
/* What ties a device's traffic together across randomized MACs: for a
 * locally administered MAC its DHCP client id ("dhcp-client-id:..."),
 * else its DHCP host name ("dhcp-host-name:..."); otherwise the MAC. */
void device_group(const struct device *d, char *out, size_t size);

/* Fold device `from` into `into` (same MAC). */
void device_merge(struct device *into, const struct device *from);

int device_book_init(struct device_book *b, uint32_t max);
void device_book_free(struct device_book *b);

/* Merge a worker's set into the book and clear the set. */
void device_book_merge(struct device_book *b, struct device_set *s);

/* Call emit for each dirty device and mark it clean (under the lock). */
void device_book_take_dirty(struct device_book *b, void (*emit)(void *arg, const struct device *d),
                            void *arg);

/* "a,b,c" of the device's addresses, sorted (IPv4 first, then IPv6, each
 * by value), whatever the order they were learned in (out: DEVICE_MAX_IPS
 * * 48 bytes). */
void device_format_ips(const struct device *d, char *out, size_t size);
/* Its protocol names, sorted, comma-separated. */
void device_format_protocols(const struct device *d, char out[DEVICE_LIST_MAX + 1]);
/* Parse such a list back (ignores what is not an address). */
void device_parse_ips(struct device *d, const char *list);

/* Lower-case colon hex "aa:bb:cc:dd:ee:ff" <-> 6 bytes. */
void mac_format(const uint8_t mac[6], char out[18]);
bool mac_parse(const char *text, uint8_t mac[6]);

static inline bool mac_is_group(const uint8_t mac[6])
{
    return mac[0] & 1; /* multicast and broadcast */
}

#endif
