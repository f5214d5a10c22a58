/*
 * defrag.h - IPv4 fragment reassembly on the reader thread.
 *
 * Later fragments of a datagram carry no TCP/UDP header, so they cannot be
 * sent to the worker that owns the datagram's flow; the reader therefore
 * collects the fragments itself, in whatever order they come, and when a
 * datagram is complete hands back one rebuilt frame: the link header and
 * IPv4 header of the first fragment (offset 0), its total length set to the
 * whole datagram and its flags/offset cleared (DF kept), followed by the
 * whole payload.  The pipeline dispatches that frame like a captured one,
 * to the sinks that want datagrams (sink_ops.datagrams: stream reassembly);
 * the fragments themselves still reach every sink as captured.
 *
 * Datagrams are keyed by (source, destination, protocol, identification),
 * as RFC 791 says.  Overlapping fragments: first data wins, as in the TCP
 * stream engine (reasm.h); differing bytes are counted.  A fragment that is
 * cut by the snapshot length, or whose length is not a multiple of 8 while
 * more fragments follow, or that would make the datagram longer than 65,535
 * bytes, poisons its datagram (counted, never delivered).  Memory is capped
 * (fragment bytes and bookkeeping of all datagrams in flight); when a new
 * datagram would go over the cap, the oldest ones are dropped.  A datagram
 * not complete timeout_us of packet time after its first fragment is
 * dropped.  Everything dropped is counted in struct defrag_stats.
 */
#ifndef NETSIFT_DEFRAG_H
#define NETSIFT_DEFRAG_H

#include <stdbool.h>
#include <stdint.h>

#include "../decode/packet.h"

struct defrag_stats {
    uint64_t fragments;       /* IPv4 fragments seen */
    uint64_t datagrams;       /* datagrams rebuilt and handed on */
    uint64_t overlap_bytes;   /* bytes received twice (first copy kept) */
    uint64_t overlap_conflicts; /* of those, bytes that differed from the first copy */
    uint64_t bad_fragments;   /* cut by the snapshot length, misaligned, or too long */
    uint64_t timed_out;       /* datagrams dropped incomplete: timeout */
    uint64_t evicted;         /* datagrams dropped incomplete: memory cap */
    uint64_t incomplete;      /* datagrams still incomplete when the capture ended */
    uint64_t peak_memory;     /* bytes */
    uint64_t queue_dropped;   /* rebuilt, then dropped at a full worker queue (--queue-drop;
                                 counted by the pipeline) */
};

struct defrag;

/* memcap: bytes for all datagrams in flight; timeout_us: packet time.
 * NULL when out of memory. */
struct defrag *defrag_new(uint64_t memcap, uint64_t timeout_us);

/*
 * Take one decoded fragment (packet_is_ip4_fragment(pkt)).  When it completes
 * a datagram, returns true with *frame / *len the rebuilt frame, valid
 * until the next call.
 */
bool defrag_packet(struct defrag *d, const struct packet *pkt, const uint8_t **frame,
                   uint32_t *len);

/* Counts datagrams still incomplete and frees everything. */
void defrag_free(struct defrag *d, struct defrag_stats *out);

#endif
