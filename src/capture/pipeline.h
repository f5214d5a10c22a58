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

/* What the decoder saw, summed over workers. */
struct decode_counters {
    uint64_t packets, bytes;
    uint64_t decoded[LAYER_COUNT], truncated[LAYER_COUNT], malformed[LAYER_COUNT];
    uint64_t truncated_packets, malformed_packets, unknown_linktype, not_decoded;
    uint64_t queue_full_waits; /* frames the reader held back while a worker's ring was full
                                  (back-pressure: nothing is dropped between reader and workers) */
};

/* Figures of the running pipeline for STATS, published by each worker when
 * it ticks; any thread. */
struct pipeline_live {
    uint64_t truncated_packets, malformed_packets, queue_full_waits;
};
void pipeline_live(struct pipeline_live *out);

struct pipeline;

/* Start nworkers (>= 1) over the given open sinks.  One worker runs on
 * the reader's thread unless reader_may_block (a pipe or FIFO, where the
 * reader waits inside libpcap and could not tick the sinks).  NULL on
 * failure. */
struct pipeline *pipeline_start(unsigned nworkers, int linktype, struct sink *sinks,
                                size_t nsinks, uint32_t tick_interval_ms, bool reader_may_block,
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
