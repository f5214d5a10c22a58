/*
 * pipeline.c - reader-to-worker dispatch and the worker threads (see
 * pipeline.h).
 */
#define _GNU_SOURCE
#include "pipeline.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/progress.h"
#include "../util/thread_name.h"
#include "ring.h"

#define RING_BYTES (4u << 20)
#define TICK_EVERY_PACKETS 4096
/* Set in a ring record's number: a datagram rebuilt from fragments, for
 * the sinks that want datagrams only (frame numbers stay below 2^63). */
#define DATAGRAM_BIT (1ull << 63)

struct worker {
    struct pipeline *pl;
    unsigned index;
    struct ring ring;
    pthread_t thread;
    bool started;
    struct packet pkt;
    struct decode_counters counters;
    uint64_t last_tick_us;
    uint64_t shown_truncated, shown_malformed; /* already added to the live figures */
};

struct pipeline {
    unsigned nworkers;
    bool inline_worker; /* one worker, run by the reader thread itself */
    int linktype;
    struct sink *sinks;
    size_t nsinks;
    uint64_t tick_interval_us;
    uint64_t packets;  /* reader side */
    uint64_t oversize; /* frames too large for a ring (never, with libpcap's limits) */
    bool queue_drop;   /* drop a frame when its ring is full instead of waiting */
    uint64_t queue_dropped;
    struct defrag *defrag; /* NULL when no sink wants datagrams */
    uint64_t datagrams_dropped; /* rebuilt datagrams a full ring refused (--queue-drop) */
    bool reader_decodes;   /* the reader decodes each frame (flow hash, fragments) */
    struct packet scratch; /* reader: decoded for the flow hash and fragments */
    struct worker workers[];
};

static void count(struct decode_counters *c, const struct packet *pkt)
{
    c->packets++;
    c->bytes += pkt->length;
    for (uint32_t bits = pkt->layers; bits; bits &= bits - 1)
        c->decoded[__builtin_ctz(bits)]++;
    if (pkt->truncated) {
        c->truncated_packets++;
        for (uint32_t bits = pkt->truncated; bits; bits &= bits - 1)
            c->truncated[__builtin_ctz(bits)]++;
    }
    if (pkt->malformed) {
        c->malformed_packets++;
        for (uint32_t bits = pkt->malformed; bits; bits &= bits - 1)
            c->malformed[__builtin_ctz(bits)]++;
    }
    c->unknown_linktype += pkt->unknown_linktype;
    c->not_decoded += pkt->not_decoded;
}

/* Decode one frame on worker w and give it to every sink, or, for a
 * rebuilt datagram (number has DATAGRAM_BIT), to the sinks that want
 * datagrams; a datagram is not a captured frame and is not counted. */
static void process(struct worker *w, uint64_t number, uint64_t ts, uint32_t caplen,
                    uint32_t length, const uint8_t *data)
{
    struct pipeline *pl = w->pl;
    bool datagram = (number & DATAGRAM_BIT) != 0;
    decode_packet(&w->pkt, pl->linktype, data, caplen, length, ts);
    w->pkt.number = number & ~DATAGRAM_BIT;
    if (!datagram)
        count(&w->counters, &w->pkt);
    for (size_t i = 0; i < pl->nsinks; i++)
        if (!datagram || pl->sinks[i].ops->datagrams)
            pl->sinks[i].ops->packet(&pl->sinks[i], w->index, &w->pkt);
}

static _Atomic uint64_t live_truncated, live_malformed, live_queue_waits, live_queue_dropped;

void pipeline_live(struct pipeline_live *out)
{
    out->truncated_packets = atomic_load_explicit(&live_truncated, memory_order_relaxed);
    out->malformed_packets = atomic_load_explicit(&live_malformed, memory_order_relaxed);
    out->queue_full_waits = atomic_load_explicit(&live_queue_waits, memory_order_relaxed);
    out->queue_dropped = atomic_load_explicit(&live_queue_dropped, memory_order_relaxed);
}

static void tick(struct worker *w, uint64_t now_us)
{
    struct pipeline *pl = w->pl;
    w->last_tick_us = now_us;
    atomic_fetch_add_explicit(&live_truncated, w->counters.truncated_packets - w->shown_truncated,
                              memory_order_relaxed);
    atomic_fetch_add_explicit(&live_malformed, w->counters.malformed_packets - w->shown_malformed,
                              memory_order_relaxed);
    w->shown_truncated = w->counters.truncated_packets;
    w->shown_malformed = w->counters.malformed_packets;
    for (size_t i = 0; i < pl->nsinks; i++)
        if (pl->sinks[i].ops->tick)
            pl->sinks[i].ops->tick(&pl->sinks[i], w->index, now_us);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    unsigned since_tick = 0, idle = 0;
    char name[16];
    snprintf(name, sizeof name, "%u", w->index);
    thread_name("worker", name);
    for (;;) {
        struct ring_packet p;
        bool done;
        if (ring_peek(&w->ring, &p, &done)) {
            process(w, p.number, p.timestamp_us, p.caplen, p.length, p.data);
            ring_release(&w->ring);
            idle = 0;
            if (++since_tick < TICK_EVERY_PACKETS)
                continue;
        } else if (done) {
            break;
        } else if (++idle < 64) {
            continue;
        } else {
            struct timespec ts = {0, 200000}; /* idle: 0.2 ms naps */
            nanosleep(&ts, NULL);
        }
        since_tick = 0;
        uint64_t now = monotonic_us();
        if (now - w->last_tick_us >= w->pl->tick_interval_us / 4)
            tick(w, now);
    }
    tick(w, monotonic_us());
    return NULL;
}

struct pipeline *pipeline_start(const struct pipeline_conf *pc, struct sink *sinks, size_t nsinks,
                                char *err, size_t errlen)
{
    unsigned nworkers = pc->nworkers ? pc->nworkers : 1;
    struct pipeline *pl = calloc(1, sizeof *pl + nworkers * sizeof(struct worker));
    if (!pl) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pl->nworkers = nworkers;
    pl->queue_drop = pc->queue_drop;
    /* a reader that may wait inside libpcap (a pipe) cannot also tick */
    pl->inline_worker = nworkers == 1 && !pc->reader_may_block;
    pl->linktype = pc->linktype;
    pl->sinks = sinks;
    pl->nsinks = nsinks;
    pl->tick_interval_us = (uint64_t)(pc->tick_interval_ms ? pc->tick_interval_ms : 1000) * 1000;
    for (size_t i = 0; i < nsinks; i++) {
        if (!sinks[i].ops->datagrams || pl->defrag)
            continue;
        pl->defrag = defrag_new(pc->defrag_memcap, pc->defrag_timeout_us);
        if (!pl->defrag) {
            snprintf(err, errlen, "out of memory");
            free(pl);
            return NULL;
        }
    }
    pl->reader_decodes = !pl->inline_worker && (nworkers > 1 || pl->defrag);
    uint64_t now = monotonic_us();
    for (unsigned i = 0; i < nworkers; i++) {
        struct worker *w = &pl->workers[i];
        w->pl = pl;
        w->index = i;
        w->last_tick_us = now;
    }
    if (pl->inline_worker)
        return pl; /* the reader thread does the work */
    for (unsigned i = 0; i < nworkers; i++) {
        struct worker *w = &pl->workers[i];
        if (ring_init(&w->ring, pc->queue_bytes ? pc->queue_bytes : RING_BYTES) != 0 ||
            pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            snprintf(err, errlen, "cannot start worker %u", i);
            pipeline_stop(pl, NULL);
            return NULL;
        }
        w->started = true;
    }
    return pl;
}

/* Reader: copy a frame into the ring of the worker owning its flow (the
 * flow of pl->scratch, when the reader decodes).  False when the frame was
 * dropped: its ring was full (--queue-drop), or it can never fit. */
static bool dispatch(struct pipeline *pl, uint64_t number, uint64_t ts, uint32_t caplen,
                     uint32_t length, const uint8_t *data, bool *full)
{
    struct worker *w = &pl->workers[0];
    if (pl->nworkers > 1)
        w = &pl->workers[packet_flow_hash(&pl->scratch) % pl->nworkers];
    *full = false;
    return pl->queue_drop ? ring_try_push(&w->ring, number, ts, caplen, length, data, full)
                          : ring_push(&w->ring, number, ts, caplen, length, data);
}

void pipeline_packet(struct pipeline *pl, uint64_t ts, uint32_t caplen, uint32_t length,
                     const uint8_t *data)
{
    pl->packets++;
    const struct packet *decoded = &pl->scratch;
    if (pl->inline_worker) {
        process(&pl->workers[0], pl->packets, ts, caplen, length, data);
        decoded = &pl->workers[0].pkt;
    } else {
        if (pl->reader_decodes)
            decode_packet_flow(&pl->scratch, pl->linktype, data, caplen, length, ts);
        bool full;
        if (!dispatch(pl, pl->packets, ts, caplen, length, data, &full)) {
            if (full)
                pl->queue_dropped++;
            else
                pl->oversize++; /* cannot happen below RING_BYTES / 2 = 2 MiB per frame */
        }
    }
    const uint8_t *frame;
    uint32_t len;
    if (!pl->defrag || !packet_is_ip4_fragment(decoded) ||
        !defrag_packet(pl->defrag, decoded, &frame, &len))
        return;
    /* the datagram's last fragment completed it: it follows that fragment */
    if (pl->inline_worker) {
        process(&pl->workers[0], pl->packets | DATAGRAM_BIT, ts, len, len, frame);
        return;
    }
    if (pl->nworkers > 1)
        decode_packet_flow(&pl->scratch, pl->linktype, frame, len, len, ts);
    bool full;
    if (!dispatch(pl, pl->packets | DATAGRAM_BIT, ts, len, len, frame, &full))
        pl->datagrams_dropped++; /* not a captured frame: not a queue drop */
}

void pipeline_tick(struct pipeline *pl, uint64_t now_us)
{
    if (pl->inline_worker) {
        tick(&pl->workers[0], now_us);
        return;
    }
    uint64_t waits = 0;
    for (unsigned i = 0; i < pl->nworkers; i++)
        waits += pl->workers[i].ring.full_waits;
    atomic_store_explicit(&live_queue_waits, waits, memory_order_relaxed);
    atomic_store_explicit(&live_queue_dropped, pl->queue_dropped, memory_order_relaxed);
}

uint64_t pipeline_packets(const struct pipeline *pl)
{
    return pl->packets;
}

static void add_counters(struct decode_counters *sum, const struct decode_counters *c)
{
    const uint64_t *src = (const uint64_t *)c;
    uint64_t *dst = (uint64_t *)sum;
    for (size_t i = 0; i < sizeof *c / sizeof(uint64_t); i++)
        dst[i] += src[i];
}

void pipeline_stop(struct pipeline *pl, struct decode_counters *c)
{
    for (unsigned i = 0; i < pl->nworkers; i++)
        if (pl->workers[i].started)
            ring_close(&pl->workers[i].ring);
    for (unsigned i = 0; i < pl->nworkers; i++) {
        struct worker *w = &pl->workers[i];
        if (w->started)
            pthread_join(w->thread, NULL);
        w->counters.queue_full_waits = w->ring.full_waits;
        ring_free(&w->ring);
        if (c)
            add_counters(c, &w->counters);
    }
    if (c) {
        c->not_decoded += pl->oversize;
        c->queue_dropped += pl->queue_dropped;
    }
    defrag_free(pl->defrag, c ? &c->defrag : NULL);
    if (c)
        c->defrag.queue_dropped = pl->datagrams_dropped;
    if (pl->inline_worker)
        tick(&pl->workers[0], monotonic_us());
    free(pl);
}
