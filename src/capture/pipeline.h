/*
 * pipeline.h - from captured frames to sinks, on one or more workers.
 *
 * With one worker the reader thread decodes each frame and hands it to
 * the sinks itself.  With N > 1 workers the reader decodes just enough to
 * compute the symmetric flow hash, copies the frame into the ring of the
 * worker owning that flow (ring.h), and each worker thread decodes its
 * frames and hands them to the sinks with its own index, so per-flow
 * state never needs a lock.  Workers tick the sinks on wall-clock time.
 */
#ifndef NETSIFT_PIPELINE_H
#define NETSIFT_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../decode/packet.h"
#include "../sink/sink.h"
#include "defrag.h"

/* What the decoder saw, summed over workers. */
struct decode_counters {
    uint64_t packets, bytes;
    uint64_t decoded[LAYER_COUNT], truncated[LAYER_COUNT], malformed[LAYER_COUNT];
    uint64_t truncated_packets, malformed_packets, unknown_linktype, not_decoded;
    uint64_t queue_full_waits; /* frames the reader held back while a worker's ring was full
                                  (back-pressure: nothing is dropped between reader and workers) */
    uint64_t queue_dropped;    /* --queue-drop: frames dropped because a worker's ring was full */
    struct defrag_stats defrag; /* IPv4 fragment reassembly (reader side) */
};

/* Figures of the running pipeline for STATS, published by each worker when
 * it ticks; any thread. */
struct pipeline_live {
    uint64_t truncated_packets, malformed_packets, queue_full_waits, queue_dropped;
};
void pipeline_live(struct pipeline_live *out);

struct pipeline;

/* How the pipeline runs. */
struct pipeline_conf {
    unsigned nworkers;          /* >= 1 */
    int linktype;
    uint32_t tick_interval_ms;  /* 0: 1000 */
    bool reader_may_block;      /* a pipe or FIFO: the reader may wait inside libpcap */
    size_t queue_bytes;         /* each worker's ring (0: 4 MiB) */
    bool queue_drop;            /* drop a frame at a full ring instead of waiting */
    uint64_t defrag_memcap;     /* bytes for IPv4 fragments in flight */
    uint64_t defrag_timeout_us; /* packet time a datagram may take to complete */
};

/* Start the workers over the given open sinks.  One worker runs on the
 * reader's thread unless reader_may_block (the reader could not tick the
 * sinks while libpcap waits for input).  With queue_drop, a frame whose
 * worker's ring is full is dropped and counted instead of making the
 * reader wait.  When a sink wants datagrams (sink_ops.datagrams), the
 * reader reassembles IPv4 fragments (defrag.h) and hands each rebuilt
 * datagram, after its last fragment, to those sinks only, on the worker
 * owning its flow.  NULL on failure. */
struct pipeline *pipeline_start(const struct pipeline_conf *pc, struct sink *sinks, size_t nsinks,
                                char *err, size_t errlen);

/* One captured frame (called on the reader thread). */
void pipeline_packet(struct pipeline *pl, uint64_t timestamp_us, uint32_t caplen,
                     uint32_t length, const uint8_t *data);

/* Reader-side housekeeping: with one worker, tick the sinks. */
void pipeline_tick(struct pipeline *pl, uint64_t now_us);

/* Drain every ring, stop the workers, add up their counters into c, free. */
void pipeline_stop(struct pipeline *pl, struct decode_counters *c);

/* Packets handed to the pipeline so far (reader side). */
uint64_t pipeline_packets(const struct pipeline *pl);

#endif
