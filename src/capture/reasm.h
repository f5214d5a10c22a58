/*
 * reasm.h - TCP stream reassembly: the reusable layer under HTTP (and any
 * other analyzer that needs a connection's bytes in order).
 *
 * One struct reasm per worker thread holds that worker's connections (the
 * dispatcher sends both directions of a flow to one worker, so no lock is
 * needed).  Each TCP segment is fed with reasm_packet() (from a decoded
 * packet) or reasm_segment() (already split into a struct reasm_seg).
 * The engine calls back, per connection and direction:
 *
 *   open(conn)               a new connection (the analyzer may attach
 *                            its state to conn->app);
 *   data(conn, dir, p, n, ts) the next n bytes of the direction, in
 *                            sequence order, each byte exactly once;
 *   gap(conn, dir, n)        n bytes of the direction will never come
 *                            (lost, or given up on for memory); data
 *                            goes on after them;
 *   close(conn, reason)      the connection ended (FIN both ways, RST,
 *                            idle timeout, eviction, end of capture);
 *                            every buffered byte was delivered (with
 *                            gaps) before this call.
 *
 * Direction 0 is the client (the side that sent the SYN; for a
 * connection picked up mid-stream, the side with the higher port, or
 * the first sender on a tie), direction 1 the server.
 *
 * The ordering of each direction (out-of-order buffer, overlaps, gaps,
 * the per-direction cap) is the stream layer of reasm_stream.h, which
 * the device monitor also uses on its own flow table; this engine adds
 * the connection table, TCP flags, the engine-wide memcap and expiry.
 *
 * Policy on overlaps: first data wins.  A byte already delivered or
 * already buffered is never replaced by a later segment covering the
 * same sequence number; differing later bytes are counted as
 * overlap_conflicts (an evasion attempt or a broken sender).  Sequence
 * numbers are compared modulo 2^32 (serial arithmetic), so streams wrap
 * around freely.
 *
 * Memory: out-of-order data is buffered per direction up to
 * conn_memcap bytes, and all connections' structures plus buffered data
 * of one engine stay under memcap.  When a direction's buffer would go
 * over its cap, the hole before the first buffered segment is declared a
 * gap (gap callback) and the buffered data delivered; when the engine is
 * full, the least recently seen connection is ended (reason EVICTED).
 * Idle connections (no segment for idle_us of packet time) end with
 * reason IDLE.  Everything dropped or given up on is counted in struct
 * reasm_stats.
 */
#ifndef NETSIFT_REASM_H
#define NETSIFT_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reasm_stream.h"

struct packet;

const char *reasm_end_name(enum reasm_end r);

/* The endpoints of a connection as stored: side 0 is the client. */
struct reasm_key {
    uint8_t family;          /* 4 or 6 */
    uint8_t addr[2][16];     /* IPv4 in the first 4 bytes */
    uint16_t port[2];
};

/* One TCP segment. */
struct reasm_seg {
    uint8_t family;
    const uint8_t *src, *dst; /* 4 or 16 bytes */
    uint16_t sport, dport;
    uint32_t seq;
    uint8_t flags;           /* TCP flags byte (FIN 0x01 SYN 0x02 RST 0x04 ACK 0x10) */
    const uint8_t *payload;
    uint32_t len;            /* payload bytes captured */
    uint32_t missing;        /* payload bytes on the wire after those, not captured */
    uint64_t ts;             /* microseconds */
    const uint8_t *src_mac, *dst_mac; /* 6 bytes each, or NULL */
};

/* One direction: its bytes in order (the stream layer, reasm_stream.h)
 * and the TCP state around them. */
struct reasm_dir {
    struct reasm_stream s;   /* next_seq, out-of-order segments, delivered, gap_bytes */
    bool fin;                /* FIN seen; fin_seq is the sequence number after the last byte */
    bool done;               /* every byte up to the FIN delivered */
    bool syn;                /* a SYN was seen; isn is its sequence number */
    uint32_t isn;
    uint32_t fin_seq;
};

struct reasm_conn {
    struct reasm_key key;
    uint8_t mac[2][6];       /* source MAC of each side as first seen (zero when none) */
    bool has_mac[2];
    uint64_t first_ts, last_ts;
    uint64_t id;             /* 1, 2, ...: order of creation in this engine */
    bool syn_seen;           /* the connection began with a SYN */
    struct reasm_dir dir[2];
    void *app;               /* the analyzer's state */
    /* engine bookkeeping */
    struct reasm_conn *hnext;          /* hash chain */
    struct reasm_conn *lru_prev, *lru_next;
    uint32_t hash;
};

struct reasm_callbacks {
    void (*open)(void *user, struct reasm_conn *c);
    void (*data)(void *user, struct reasm_conn *c, int dir, const uint8_t *p, size_t n,
                 uint64_t ts);
    void (*gap)(void *user, struct reasm_conn *c, int dir, uint64_t n);
    void (*close)(void *user, struct reasm_conn *c, enum reasm_end reason);
};

struct reasm_conf {
    uint64_t memcap;         /* bytes: connections + buffered data of this engine */
    uint32_t conn_memcap;    /* bytes of out-of-order data buffered per direction */
    uint64_t idle_us;        /* end a connection after this much packet time without a segment */
};

struct reasm;

/* NULL when out of memory. */
struct reasm *reasm_new(const struct reasm_conf *conf, const struct reasm_callbacks *cb,
                        void *user);
/* Ends every connection (REASM_END_FLUSH) and frees the engine. */
void reasm_free(struct reasm *r);

/* Feed the TCP segment of a decoded packet (other packets are ignored). */
void reasm_packet(struct reasm *r, const struct packet *pkt);
void reasm_segment(struct reasm *r, const struct reasm_seg *s);

/* The TCP segment of a decoded packet (pointers into it); false for
 * packets without a well-formed, whole TCP header. */
bool reasm_seg_of(const struct packet *pkt, struct reasm_seg *seg);

/* End connections idle since before now_us - idle_us (packet time); also
 * done from reasm_segment() as packet time advances. */
void reasm_expire(struct reasm *r, uint64_t now_us);

/* End every connection (REASM_END_FLUSH). */
void reasm_flush(struct reasm *r);

/* The analyzer needs no more bytes of this direction: buffered data is
 * dropped and later segments only advance sequence tracking. */
void reasm_ignore(struct reasm *r, struct reasm_conn *c, int dir);

const struct reasm_stats *reasm_stats(const struct reasm *r);

#endif
