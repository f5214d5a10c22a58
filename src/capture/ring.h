/*
 * ring.h - a single-producer, single-consumer ring of captured packets.
 *
 * The reader thread copies each packet (pcap header fields and bytes)
 * into the ring of the worker that owns its flow; the worker reads it
 * back in order.  Lock-free: the producer publishes its head and the
 * consumer its tail with release stores, each reads the other's with an
 * acquire load; each side keeps its last view of the other's position and
 * reloads it only when that view says the ring is full (producer) or empty
 * (consumer), and the two positions live on separate cache lines, so the
 * cores do not trade a line per packet.  Records are contiguous: a record that does not fit
 * before the end of the buffer is preceded by a wrap marker.  A full
 * ring makes the producer wait (back-pressure), never drops.
 */
#ifndef NETSIFT_RING_H
#define NETSIFT_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ring_packet {
    uint64_t number; /* position in the capture, from 1 */
    uint64_t timestamp_us;
    uint32_t caplen, length;
    const uint8_t *data; /* valid until ring_release() */
};

#define RING_LINE 64 /* bytes of a cache line */

struct ring {
    uint8_t *buf;
    size_t size; /* power of two not required; bytes */
    _Atomic bool closed; /* producer is done */
    char pad0[RING_LINE];
    /* producer's line */
    _Atomic size_t head; /* next write position */
    size_t tail_seen;    /* the consumer's tail as last loaded */
    uint64_t full_waits; /* pushes that found the ring full and waited */
    char pad1[RING_LINE];
    /* consumer's line */
    _Atomic size_t tail; /* next read position */
    size_t head_seen;    /* the producer's head as last loaded */
    size_t pending;      /* bytes of the record being read */
    char pad2[RING_LINE];
};

int ring_init(struct ring *r, size_t size);
void ring_free(struct ring *r);

/* Producer: copy one packet in; waits while the ring is full.  Returns
 * false when the packet can never fit (larger than the ring). */
bool ring_push(struct ring *r, uint64_t number, uint64_t timestamp_us, uint32_t caplen, uint32_t length,
               const uint8_t *data);
/* Producer: as ring_push, but returns false at once when the ring is full
 * (*full set) instead of waiting; *full is false when the packet can never
 * fit. */
bool ring_try_push(struct ring *r, uint64_t number, uint64_t timestamp_us, uint32_t caplen,
                   uint32_t length, const uint8_t *data, bool *full);
/* Producer: no more packets. */
void ring_close(struct ring *r);

/* Consumer: the next packet, or false when the ring is empty (*done is
 * set when it is also closed).  The packet stays valid until
 * ring_release(). */
bool ring_peek(struct ring *r, struct ring_packet *p, bool *done);
void ring_release(struct ring *r);

#endif
