/*
 * shm.h - one watcher's statistics in a POSIX shared-memory segment, laid
 * out for lock-free readers in other processes.
 *
 * Segment "/PREFIX.WATCHER" (a file /dev/shm/PREFIX.WATCHER on Linux):
 * a fixed-size header (struct stats_shm_header, versioned by magic,
 * version, header_size and entry_size) followed by `capacity` entries
 * (struct stats_entry).  Exactly one writer (the watcher's thread)
 * publishes a whole new picture at a time under a sequence lock: `seq` is
 * odd while it writes, and a reader copies header and entries between two
 * reads of an equal, even `seq`, retrying otherwise.  Every entry and the
 * header carry a check value (stats_entry_check, stats_header_check)
 * computed from their other fields, so any reader can verify that what it
 * copied is not torn.  Counters are never reset while a watcher lives
 * (SIGHUP keeps them); a removed watcher's segment is unlinked.
 *
 * Any program can read a segment: map it read-only, check magic and
 * version, then follow the protocol of stats_shm_read().
 */
#ifndef NETSIFT_STATS_SHM_H
#define NETSIFT_STATS_SHM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STATS_SHM_MAGIC 0x315453534e54454eull /* "NETNSST1" little-endian */
#define STATS_SHM_VERSION 1
#define STATS_NAME_MAX 64

/* What an entry counts: one kind per handler. */
enum stats_kind {
    SK_MAC,   /* per hardware address: tx = sent by it, rx = sent to it */
    SK_IP,    /* per IPv4/IPv6 address, same directions */
    SK_IFACE, /* per interface: tx = sent by this host (source MAC is the interface's) */
    SK_PROTO, /* per protocol (tcp, udp, icmp, arp, ...): directions as SK_IFACE */
    SK_CONV,  /* per IP pair a < b: tx = a to b, rx = b to a */
    SK_HOST,  /* inventory: one (source MAC, source IP) pair seen; tx only */
    SK_COUNT
};

/* Address types inside a key. */
enum { AT_NONE = 0, AT_MAC = 1, AT_TEXT = 2, AT_IP4 = 4, AT_IP6 = 6 };

struct stats_key {
    uint8_t kind;   /* enum stats_kind */
    uint8_t type_a; /* AT_* of a */
    uint8_t type_b; /* AT_* of b */
    uint8_t pad[5];
    uint8_t a[16]; /* MAC (6 bytes), IP, or NUL-padded text */
    uint8_t b[16]; /* second IP of a conversation, IP of a host */
};

/* Rate windows: the last 1, 10 and 60 complete seconds. */
#define STATS_WINDOWS 3
extern const unsigned stats_window_seconds[STATS_WINDOWS];

struct stats_entry {
    struct stats_key key;
    uint64_t tx_packets, tx_bytes, rx_packets, rx_bytes;
    uint64_t first_seen, last_seen;      /* packet times, microseconds */
    uint64_t win_packets[STATS_WINDOWS]; /* both directions, per window */
    uint64_t win_bytes[STATS_WINDOWS];
    uint64_t check; /* stats_entry_check() */
};

enum stats_state {
    WS_STARTING,
    WS_RUNNING,
    WS_WAITING, /* the interface is missing or went away: retrying */
    WS_DONE,    /* read_file watcher: end of file reached */
    WS_STOPPED,
};

struct stats_shm_header {
    uint64_t magic;
    uint32_t version, header_size, entry_size, capacity;
    _Atomic uint64_t seq; /* sequence lock: odd while being written */
    /* everything below is written under the lock */
    uint64_t nentries;
    uint64_t publishes;              /* pictures published so far */
    uint64_t started_us, updated_us; /* wall clock */
    uint64_t packets_seen;           /* packets the watcher read (after the kernel filter) */
    uint64_t packets_matched, bytes_matched;                     /* passed the user-space filter */
    uint64_t kernel_received, kernel_dropped, interface_dropped; /* pcap_stats */
    uint64_t overflow; /* packets whose new key found the table full */
    uint64_t reopens;  /* times the source was opened again after a failure */
    uint32_t state;    /* enum stats_state */
    uint32_t handlers; /* bit (1 << SK_*) per enabled handler */
    int32_t pid;       /* of the daemon */
    uint32_t pad;
    char watcher[STATS_NAME_MAX];
    char source[STATS_NAME_MAX * 4]; /* interface or file */
    char error[256];                 /* last source error, "" when none */
    uint64_t check;                  /* stats_header_check() */
};

#define STATS_HEADER_SIZE 1024
_Static_assert(sizeof(struct stats_shm_header) <= STATS_HEADER_SIZE, "header too big");

uint64_t stats_entry_check(const struct stats_entry *e);
uint64_t stats_header_check(const struct stats_shm_header *h);

/* Handler names ("mac", "ip", "interface", "protocol", "conversation",
 * "host"), indexed by enum stats_kind; -1 from the lookup when unknown. */
extern const char *const stats_kind_names[SK_COUNT];
int stats_kind_lookup(const char *name);

/* The key as text: "aa:bb:..", "10.0.0.1", "eth0", "tcp",
 * "10.0.0.1,10.0.0.2" (conversation), "aa:bb:..,10.0.0.1" (host).
 * out needs STATS_KEY_TEXT bytes. */
#define STATS_KEY_TEXT 112
void stats_key_format(const struct stats_key *k, char *out);
/* One side of a key (a or b) alone; "" when absent. */
void stats_key_side(const struct stats_key *k, int side, char *out);

/* Writer side. */
struct stats_shm {
    char name[STATS_NAME_MAX * 2 + 2];
    struct stats_shm_header *hdr;
    struct stats_entry *entries;
    size_t size;
};

/* Segment name "/PREFIX.WATCHER" into out (size STATS_NAME_MAX*2+2). */
void stats_shm_name(const char *prefix, const char *watcher, char *out);

/* Create (replacing any stale one) and map a segment for capacity
 * entries.  0, or -1 with a reason in err. */
int stats_shm_create(struct stats_shm *s, const char *prefix, const char *watcher,
                     uint32_t capacity, char *err, size_t errlen);
/* Begin and end one published picture (the writer fills hdr/entries in
 * between); end computes every check value. */
void stats_shm_begin(struct stats_shm *s);
void stats_shm_end(struct stats_shm *s);
/* Unmap; with unlink, remove the name too. */
void stats_shm_close(struct stats_shm *s, bool unlink_it);

/* Reader side: a consistent copy of one segment. */
struct stats_snapshot {
    struct stats_shm_header hdr;
    struct stats_entry *entries; /* hdr.nentries of them (malloc'd) */
    uint64_t retries;            /* copies thrown away because a write overlapped */
};

/*
 * Copy the segment mapped at base (size bytes) consistently into out.
 * 0; -1 with a reason in err when the segment is not a netsift statistics
 * segment of this version, or stayed busy; -2 when a copy passed the
 * sequence lock but a check value did not match (a torn read: a bug).
 */
int stats_shm_read(const void *base, size_t size, struct stats_snapshot *out, char *err,
                   size_t errlen);

/* Open, map, read and unmap the segment of one watcher. */
int stats_shm_read_named(const char *prefix, const char *watcher, struct stats_snapshot *out,
                         char *err, size_t errlen);

void stats_snapshot_free(struct stats_snapshot *s);

/* The watchers with a segment under this prefix (names malloc'd, sorted);
 * returns how many, -1 on error. */
int stats_shm_list(const char *prefix, char ***names);

#endif
