/*
 * flow_table.h - one worker's table of bidirectional flows.
 *
 * A flow is keyed by its two endpoints (address and port, in a fixed
 * order so both directions find it), the IP protocol and the outer VLAN
 * id.  The table holds at most `max` flows in one preallocated array,
 * found through a chained hash, and keeps them on three lists ordered by
 * last packet: UDP and other protocols, open TCP, closed TCP (FIN both
 * ways or RST).  Each list has its own idle timeout, so expiring is
 * popping list heads: O(1) per packet when nothing is due.  Time is
 * packet time.  A flow is moved to its list's tail at most once per
 * FLOW_TOUCH_US of its packets (moving touches two other flows' memory);
 * a head that saw packets since it was moved is moved on when expiry
 * reaches it, so nothing expires early.  When the table is full, the flow seen least recently is
 * evicted.  The table knows nothing of nDPI or fingerprints: the owner
 * ends flows (flow_table_remove()) after reading them.
 */
#ifndef NETSIFT_FLOW_TABLE_H
#define NETSIFT_FLOW_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../decode/packet.h"
#include "classify.h"

struct collector;
struct flow_fp;
struct ndpi_flow_struct;

struct flow_key {
    uint8_t addr[2][16]; /* endpoint 0 first in the endpoint order (decode/flow.h) */
    uint16_t port[2];
    uint16_t vlan;
    uint8_t proto;       /* IP protocol */
    uint8_t family;      /* 4 or 6 */
    uint32_t hash;       /* the packet's flow hash (decode/flow.h): the same both ways */
};

enum flow_list { FLOW_LIST_OTHER, FLOW_LIST_TCP, FLOW_LIST_CLOSED, FLOW_LISTS };

#define FLOW_TOUCH_US 1000000

enum flow_end {
    FLOW_END_IDLE,      /* no packet for the idle timeout */
    FLOW_END_CLOSED,    /* TCP FIN both ways or RST, then quiet */
    FLOW_END_EVICTED,   /* the table was full */
    FLOW_END_REUSED,    /* a new TCP SYN on a closed flow's endpoints */
    FLOW_END_CAPTURE,   /* the capture ended */
};

struct flow {
    struct flow_key key;
    uint32_t hash;          /* of key */
    uint32_t hnext;         /* next in the hash chain (index + 1; 0 ends) */
    uint32_t prev, next;    /* neighbours on its list (index + 1; 0 ends) */
    uint8_t list;           /* enum flow_list */
    uint8_t init_side;      /* key endpoint that sent the first packet */
    uint8_t fin_dirs;       /* bit per direction: FIN seen */
    bool detected;          /* classification is final */
    bool named;             /* nDPI named a protocol, maybe before detection completed */
    bool fingerprinted;     /* its fingerprint was emitted (or there is none) */
    bool seen_dir[2];       /* a packet went this way (0: from the first sender) */
    bool has_mac[2];        /* [0] source (first sender), [1] destination */
    uint8_t mac[2][6];
    uint32_t ndpi_packets;  /* packets given to nDPI (its packet limits count these) */
    bool seq_known[2];      /* TCP: next_seq[dir] is set */
    uint8_t seq_sure;       /* TCP: bit per direction: next_seq[dir] came from a SYN, FIN or
                               data (a pure ACK may be a keep-alive one byte behind) */
    uint32_t next_seq[2];   /* TCP: sequence number after the highest byte seen, per direction */
    uint32_t tcp_gaps;      /* TCP: segments that began beyond next_seq (lost or reordered) */
    uint64_t tcp_gap_bytes; /* TCP: bytes skipped by those segments */
    uint64_t packets, bytes;
    uint64_t first_seen, last_seen; /* packet time, microseconds */
    uint64_t moved;         /* last_seen when it was last moved to its list's tail */
    uint64_t detected_at;   /* time of the packet that completed detection */
    uint64_t named_at;      /* time of the packet on which nDPI first named a protocol */
    uint64_t device_touch;  /* last time its devices' last_seen was refreshed */
    struct classification cls;       /* final once detected */
    struct classification named_cls; /* what nDPI named first */
    struct ndpi_flow_struct *ndpi;  /* while classifying */
    struct collector *collector;    /* while gathering fingerprint inputs */
    struct flow_fp *fp;             /* its fingerprint once emitted, for its flows row */
};

struct flow_table;

/* A table of at most max flows; timeouts in microseconds per list. */
struct flow_table *flow_table_new(uint32_t max, const uint64_t timeout_us[FLOW_LISTS]);
void flow_table_free(struct flow_table *t);

/* The key of an IP packet and the endpoint (0/1) its source is; false
 * for packets that belong to no flow (not IP, later fragments). */
bool flow_key_of(const struct packet *pkt, struct flow_key *key, unsigned *src_side);

/* The flow of key, or NULL. */
struct flow *flow_table_find(struct flow_table *t, const struct flow_key *key);

/* Insert a new flow (the caller made sure there is room: flow_table_full());
 * zeroed but for key. */
struct flow *flow_table_insert(struct flow_table *t, const struct flow_key *key);

bool flow_table_full(const struct flow_table *t);

/* The flow just saw a packet (last_seen is set): move it to the tail of
 * `list` when it changes list or FLOW_TOUCH_US passed since its last move. */
void flow_table_touch(struct flow_table *t, struct flow *f, enum flow_list list);

/* The flow whose idle time is over at `now`, oldest first, or NULL. */
struct flow *flow_table_expired(struct flow_table *t, uint64_t now_us, enum flow_end *why);

/* The least recently seen flow (to evict), or NULL when empty. */
struct flow *flow_table_oldest(struct flow_table *t);

/* Unlink and free a flow's slot (the owner released its state first). */
void flow_table_remove(struct flow_table *t, struct flow *f);

uint32_t flow_table_count(const struct flow_table *t);

/* Visit up to max flows, most recently seen first. */
void flow_table_recent(struct flow_table *t, uint32_t max,
                       void (*visit)(void *arg, const struct flow *f), void *arg);

#endif
