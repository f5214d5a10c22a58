/*
 * collect.h - gathering one flow's fingerprint inputs from its packets.
 *
 * A flow gets a collector when one of its first packets shows something
 * that identifies a device (collect_candidate(): a DNS/mDNS question, a
 * DHCP client message, a TLS ClientHello, an HTTP request, an SSH
 * banner).  The collector then reads the flow's packets until its inputs
 * are complete (collect_complete()); the monitor asks for the
 * fingerprint once nDPI has named the protocol (collect_fingerprint()).
 * Directions are 0 (from the flow's source, the side that opened it) and
 * 1 (towards it).
 * Everything is copied out of the packet at once: the collector keeps no
 * pointer into packet memory.
 */
#ifndef NETSIFT_COLLECT_H
#define NETSIFT_COLLECT_H

#include <stdbool.h>
#include <stdint.h>

#include "../decode/packet.h"
#include "fingerprint.h"
#include "stream_prefix.h"

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
    struct stream_prefix dir[2];
};

/* The kind of collector a flow's packet calls for, or FP_NONE. */
enum fp_kind collect_candidate(const struct packet *pkt);

/* Start a collector of `kind` on the packet that called for it. */
void collect_start(struct collector *c, enum fp_kind kind, const struct packet *pkt,
                   unsigned dir);

/* Feed a later packet of the flow. */
void collect_packet(struct collector *c, const struct packet *pkt, unsigned dir);

static inline bool collect_complete(const struct collector *c)
{
    return c->complete;
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
