/*
 * stream_prefix.h - the first bytes one side of a TCP connection sent,
 * in order: just enough reassembly to read a TLS hello, an HTTP request
 * head or an SSH banner that spans segments.
 *
 * Segments are appended by sequence number: an exact continuation is
 * appended, a retransmission contributes only its new bytes, and a gap
 * (a segment from beyond what was seen) ends the prefix as failed: no
 * guessing.  The buffer grows on demand up to `max` bytes and is freed by
 * stream_prefix_free().
 */
#ifndef NETSIFT_STREAM_PREFIX_H
#define NETSIFT_STREAM_PREFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct stream_prefix {
    uint8_t *buf;
    uint32_t len, cap, max;
    uint32_t next_seq;  /* sequence number of the byte after buf[len-1] */
    bool started;       /* next_seq is known */
    bool failed;        /* a gap, or out of memory */
};

/* Set the expected sequence number of the first byte (SYN's + 1). */
void stream_prefix_expect(struct stream_prefix *s, uint32_t first_seq);

/* Append one segment's payload.  Returns the bytes added (0 for a pure
 * retransmission, a gap, or when full). */
size_t stream_prefix_add(struct stream_prefix *s, uint32_t seq, const uint8_t *p, size_t n);

/* True once max bytes are held. */
static inline bool stream_prefix_full(const struct stream_prefix *s)
{
    return s->len >= s->max;
}

void stream_prefix_free(struct stream_prefix *s);

#endif
