/*
 * ring.c - single-producer, single-consumer packet ring (see ring.h).
 */
#define _GNU_SOURCE
#include "ring.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RECORD_ALIGN 8
#define WRAP_MARKER UINT32_MAX

struct record_header {
    uint64_t number;
    uint64_t timestamp_us;
    uint32_t caplen, length;
};

static size_t record_size(uint32_t caplen)
{
    size_t n = sizeof(struct record_header) + caplen;
    return (n + RECORD_ALIGN - 1) & ~(size_t)(RECORD_ALIGN - 1);
}

int ring_init(struct ring *r, size_t size)
{
    memset(r, 0, sizeof *r);
    r->buf = malloc(size);
    if (!r->buf)
        return -1;
    r->size = size;
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    atomic_init(&r->closed, false);
    return 0;
}

void ring_free(struct ring *r)
{
    free(r->buf);
    r->buf = NULL;
}

/* Wait a little: spin first, then sleep, so an idle peer costs nothing. */
static void backoff(unsigned *spins)
{
    if (++*spins < 64) {
        sched_yield();
        return;
    }
    struct timespec ts = {0, 50000};
    nanosleep(&ts, NULL);
}

/* Bytes in use between tail and head (positions are offsets in buf). */
static size_t used(const struct ring *r, size_t head, size_t tail)
{
    return head >= tail ? head - tail : r->size - tail + head;
}

/* Copy one packet in; waits while the ring is full when block, else
 * returns false with *full set. */
static bool push(struct ring *r, uint64_t number, uint64_t timestamp_us, uint32_t caplen,
                 uint32_t length, const uint8_t *data, bool block, bool *full)
{
    size_t need = record_size(caplen);
    *full = false;
    /* one record, a wrap marker, and a gap so that head never meets tail */
    if (need + 2 * sizeof(struct record_header) + RECORD_ALIGN >= r->size / 2)
        return false;
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    bool wrap = head + need + sizeof(struct record_header) > r->size;
    size_t total = need + (wrap ? r->size - head : 0);
    unsigned spins = 0;
    for (;;) {
        /* the tail only moves forward: room seen is room there */
        if (used(r, head, r->tail_seen) + total + RECORD_ALIGN < r->size)
            break;
        r->tail_seen = atomic_load_explicit(&r->tail, memory_order_acquire);
        if (used(r, head, r->tail_seen) + total + RECORD_ALIGN < r->size)
            break;
        if (!block) {
            *full = true;
            return false;
        }
        if (spins == 0)
            r->full_waits++;
        backoff(&spins);
    }
    if (wrap) {
        struct record_header marker = {0, 0, WRAP_MARKER, 0};
        memcpy(r->buf + head, &marker, sizeof marker);
        head = 0;
    }
    struct record_header h = {number, timestamp_us, caplen, length};
    memcpy(r->buf + head, &h, sizeof h);
    memcpy(r->buf + head + sizeof h, data, caplen);
    atomic_store_explicit(&r->head, head + need, memory_order_release);
    return true;
}

bool ring_push(struct ring *r, uint64_t number, uint64_t timestamp_us, uint32_t caplen,
               uint32_t length, const uint8_t *data)
{
    bool full;
    return push(r, number, timestamp_us, caplen, length, data, true, &full);
}

bool ring_try_push(struct ring *r, uint64_t number, uint64_t timestamp_us, uint32_t caplen,
                   uint32_t length, const uint8_t *data, bool *full)
{
    return push(r, number, timestamp_us, caplen, length, data, false, full);
}

void ring_close(struct ring *r)
{
    atomic_store_explicit(&r->closed, true, memory_order_release);
}

bool ring_peek(struct ring *r, struct ring_packet *p, bool *done)
{
    *done = false;
    for (;;) {
        size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
        if (r->head_seen == tail) { /* everything seen is consumed: look again */
            bool closed = atomic_load_explicit(&r->closed, memory_order_acquire);
            r->head_seen = atomic_load_explicit(&r->head, memory_order_acquire);
            if (r->head_seen == tail) {
                *done = closed;
                return false;
            }
        }
        struct record_header h;
        memcpy(&h, r->buf + tail, sizeof h);
        if (h.caplen == WRAP_MARKER) {
            atomic_store_explicit(&r->tail, 0, memory_order_release);
            continue;
        }
        p->number = h.number;
        p->timestamp_us = h.timestamp_us;
        p->caplen = h.caplen;
        p->length = h.length;
        p->data = r->buf + tail + sizeof h;
        r->pending = record_size(h.caplen);
        return true;
    }
}

void ring_release(struct ring *r)
{
    size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    atomic_store_explicit(&r->tail, tail + r->pending, memory_order_release);
    r->pending = 0;
}
