/*
 * ring.h - a single-producer, single-consumer ring of captured packets.
 *
 * The reader thread copies each packet (pcap header fields and bytes)
 * into the ring of the worker that owns its flow; the worker reads it
 * back in order.  Lock-free: the producer publishes its head and the
 * consumer its tail with release stores, each reads the other's with an
 * acquire load.  Records are contiguous: a record that does not fit
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

struct ring {
    uint8_t *buf;
    size_t size; /* power of two not required; bytes */
    _Atomic size_t head; /* next write position (producer) */
    _Atomic size_t tail; /* next read position (consumer) */
    _Atomic bool closed; /* producer is done */
    size_t pending;      /* consumer: bytes of the record being read */
    uint64_t full_waits; /* producer: pushes that found the ring full and waited */
};

int ring_init(struct ring *r, size_t size);
void ring_free(struct ring *r);

/* Producer: copy one packet in; waits while the ring is full.  Returns
 * false when the packet can never fit (larger than the ring). */
bool ring_push(struct ring *r, uint64_t number, uint64_t timestamp_us, uint32_t caplen, uint32_t length,
               const uint8_t *data);
/* Producer: no more packets. */
void ring_close(struct ring *r);

/* Consumer: the next packet, or false when the ring is empty (*done is
 * set when it is also closed).  The packet stays valid until
 * ring_release(). */
bool ring_peek(struct ring *r, struct ring_packet *p, bool *done);
void ring_release(struct ring *r);

#endif
