/*
 * collect.h - gathering one flow's fingerprint inputs from its packets.
 *
 * A flow gets a collector when one of its first packets shows something
 * that identifies a device (collect_candidate(): a DNS/mDNS question, a
 * DHCP client message, a TLS ClientHello, an HTTP request, an SSH
 * banner, any data of a TCP flow on port 53).  The collector then reads
 * the flow's packets until its inputs are complete (collect_complete());
 * the monitor asks for the fingerprint once nDPI has named the protocol
 * (collect_fingerprint()).  Directions are 0 (from the flow's source, the
 * side that opened it) and 1 (towards it).
 *
 * TCP inputs are read from each direction's bytes in sequence order,
 * through the stream layer of the reassembly engine
 * (src/capture/reasm_stream.h) on the monitor's own flow table: a hello,
 * request head or banner split over segments that arrive out of order or
 * retransmitted is read whole (first data wins).  When a direction's
 * first data arrives before the bytes preceding it (its start is known
 * from the SYN or an earlier segment), the collector holds it until they
 * come and decides its kind from the first bytes (pending).  The other
 * direction begins at the byte the starting packet acknowledges.  Memory per
 * direction stays under the prefix maximum of its kind (TLS_HANDSHAKE_MAX
 * + 64, FP_HTTP_HEAD_MAX, SSH_BANNER_MAX): bytes beyond it are never kept,
 * and at most COLLECT_OOO_SEGS segments are held out of order.  DNS over
 * TCP reads the client's direction (towards port 53) as 2-byte-length
 * prefixed messages, decodes each with the DNS decoder (decode/dns.c)
 * until one has a question, and keeps at most COLLECT_DNS_TCP_MAX bytes
 * of a message and as many out of order.
 * Everything is copied out of the packet at once: the collector keeps no
 * pointer into packet memory.
 */
#ifndef NETSIFT_COLLECT_H
#define NETSIFT_COLLECT_H

#include <stdbool.h>
#include <stdint.h>

#include "../decode/packet.h"
#include "../capture/reasm_stream.h"
#include "fingerprint.h"

#define COLLECT_OOO_SEGS 32       /* out-of-order segments a direction holds */
#define COLLECT_DNS_TCP_MAX 2048  /* DNS over TCP: bytes of a message read (its question comes first) */

/* One direction's first bytes, in order. */
struct collect_dir {
    struct reasm_stream rs;  /* ordering (next_seq, out-of-order segments) */
    uint32_t start;          /* sequence number of the direction's first byte (once rs.started) */
    uint8_t *buf;            /* the bytes in order (DNS over TCP: the message being read) */
    uint32_t len, cap, max;
    bool cut;                /* a gap (or out of memory): no byte after buf[len-1] will come */
    uint8_t nlen;            /* DNS over TCP: bytes of the message's length field read */
    uint16_t msg_len;        /* DNS over TCP: the message's length */
    uint32_t skip;           /* DNS over TCP: bytes of a long message after those read */
};

/* What the monitor knew of a TCP flow's sequence space before a packet:
 * per direction, the sequence number after the highest byte seen (after
 * the SYN, for a direction that has sent none). */
struct collect_seq {
    bool known[2];
    uint32_t next[2];
};

struct collector {
    enum fp_kind kind;
    bool complete;
    uint8_t client_dir;            /* TLS and HTTP: the side that sent the hello / request */
    char name[FP_TEXT_MAX + 1];    /* the query: DNS name, SNI, Host, client banner, DHCP host */
    char part_a[FP_TEXT_MAX + 1];  /* JA3, User-Agent, server banner, DHCP option 55 */
    char part_b[FP_TEXT_MAX + 1];  /* JA3S, DHCP option 60 */
    char ja4[FP_JA4_LEN];          /* TLS: the client's JA4 */
    bool have[2];                  /* the part from direction 0 / 1 was read (or given up) */
    bool primary;                  /* the identifying part was read (hello, request, ...) */
    bool pending;                  /* TCP: kind not known yet (first bytes out of order) */
    bool dns_tcp;                  /* DNS over TCP: messages of client_dir */
    struct reasm_stats *st;        /* the worker's stream counters */
    struct collect_dir dir[2];
};

/* The kind of collector a flow's packet calls for, or FP_NONE.  seq
 * (TCP; NULL when unknown) is what the flow knew before this packet,
 * which came in direction dir: a segment with data beyond the next
 * expected byte calls for a pending collector (FP_NONE, *pending set). */
enum fp_kind collect_candidate(const struct packet *pkt, const struct collect_seq *seq,
                               unsigned dir, bool *pending);

/* Start a collector of `kind` (FP_NONE: pending) on the packet that
 * called for it; st receives the stream counters. */
void collect_start(struct collector *c, enum fp_kind kind, const struct packet *pkt,
                   unsigned dir, const struct collect_seq *seq, struct reasm_stats *st);

/* Feed a later packet of the flow. */
void collect_packet(struct collector *c, const struct packet *pkt, unsigned dir);

static inline bool collect_complete(const struct collector *c)
{
    return c->complete;
}

/* The collector found nothing to collect (a pending one whose first
 * bytes identify nothing): the flow may look for a candidate again. */
static inline bool collect_abandoned(const struct collector *c)
{
    return c->complete && c->kind == FP_NONE;
}

/* The fingerprint from what was collected (no more packets will be fed);
 * false when the identifying part never came. */
bool collect_fingerprint(struct collector *c, struct fingerprint *fp);

/* Release the collector's buffers. */
void collect_free(struct collector *c);

/* A QUIC flow: its fingerprint is nDPI's server name (cut at
 * FP_QUIC_SNI_MAX); complete at once. */
void collect_start_quic(struct collector *c, const char *sni);

/* DHCP option 55 as "1,3,6,15" (at most FP_TEXT_MAX bytes, whole numbers only). */
void collect_dhcp_params(const uint8_t *p, size_t n, char out[FP_TEXT_MAX + 1]);

#endif
