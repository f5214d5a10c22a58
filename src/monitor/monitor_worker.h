/*
 * monitor_worker.h - one worker's share of the device monitor: its nDPI
 * module, its flow table, its device notes, and the rows it produces.
 *
 * monitor_packet() is the whole per-packet path: find or create the
 * packet's flow (evicting the least recently seen one when the table is
 * full), expire flows whose idle time is over (packet time), feed nDPI
 * until detection completes, gather fingerprint inputs, and once both
 * are done add the fingerprint rows (one per MAC of the flow) to
 * `batch`, which goes to the writer as soon as it is full
 * (writer_batch_full()).  A flow that ends adds a row to the flows table.  Only the
 * owning worker touches this state, except the published counters
 * (atomics) and the flow snapshot (under snap_lock) that the control
 * socket reads.
 */
#ifndef NETSIFT_MONITOR_WORKER_H
#define NETSIFT_MONITOR_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "../decode/packet.h"
#include "../db/batch.h"
#include "../capture/reasm_stream.h"
#include "classify.h"
#include "devices.h"
#include "flow_table.h"
#include "monitor_tables.h"

struct writer;

#define MONITOR_SNAPSHOT_MAX 1024 /* flows a worker shows QUERY_FLOWS */
#define FP_CANDIDATE_PACKETS 16   /* a flow's first packets looked at for fingerprint inputs */
#define FP_MAX_PACKETS 64         /* inputs still incomplete after this many: use what is there */
#define MONITOR_SPARE_COLLECTORS 64 /* freed collectors kept for reuse */
#define MONITOR_DEVICE_NOTES 1024   /* devices a worker notes before merging them into the book */

/* One live flow as QUERY_FLOWS shows it (a copy: no pointer into a flow). */
struct flow_view {
    struct flow_key key;
    uint8_t init_side;
    bool has_mac[2];
    uint8_t mac[2][6];
    char protocol[PROTO_NAME_MAX]; /* "" while classifying */
    uint64_t packets, bytes, first_seen, last_seen;
};

/* Figures of one worker, published for STATS and the summary. */
struct monitor_counters {
    uint64_t packets, flows_total, flows_active, evicted, fingerprints;
    uint64_t collectors_skipped, rows_lost;
    uint64_t not_inspected; /* flows nDPI never saw: max_inspecting reached, or no memory */
    uint64_t tcp_gaps, tcp_gap_bytes; /* over all flows: segments past a hole, bytes missing */
    uint64_t stream_ooo_segments; /* fingerprint inputs: TCP segments held until earlier bytes came */
    uint64_t stream_gaps;         /* of those streams, holes given up on (out-of-order cap reached) */
};

struct monitor_worker {
    struct classifier *cl;
    struct flow_table *flows;
    struct device_set devices;   /* notes since the last merge into the book */
    struct device_book *book;
    uint64_t clock_us;           /* packet time: the latest packet's timestamp */
    uint32_t collectors, max_collectors;
    uint32_t inspecting, max_inspecting; /* flows holding nDPI detection state */
    struct collector *spare[MONITOR_SPARE_COLLECTORS];
    uint32_t nspare;
    bool flow_log;               /* rows of the flows table */
    struct writer *writer;       /* of fingerprint.sqlite */
    struct batch *batch;         /* rows go here, handed to the writer once full (NULL: the
                                    writer failed; rows are lost) */
    struct monitor_counters c;   /* the worker's own */
    struct reasm_stats streams;  /* collectors' TCP streams (src/capture/reasm_stream.h) */
    _Atomic uint64_t pub[sizeof(struct monitor_counters) / sizeof(uint64_t)]; /* published */
    pthread_mutex_t snap_lock;
    struct flow_view snap[MONITOR_SNAPSHOT_MAX];
    uint32_t nsnap;
};

/* 0, or -1 with a reason. */
int monitor_worker_init(struct monitor_worker *w, uint32_t max_flows,
                        const uint64_t timeout_us[FLOW_LISTS], uint32_t max_collectors,
                        struct device_book *book, char *err, size_t errlen);
void monitor_worker_free(struct monitor_worker *w);

void monitor_packet(struct monitor_worker *w, const struct packet *pkt);

/* Expire flows idle at `now_us` (packet-time clock). */
void monitor_expire(struct monitor_worker *w, uint64_t now_us);

/* End every flow (the capture is over). */
void monitor_end_all(struct monitor_worker *w);

/* Publish counters and the flow snapshot; merge device notes into the
 * book. */
void monitor_publish(struct monitor_worker *w);

/* Add a row of table t to the worker's batch (counted in rows_lost when
 * it cannot be); a full batch goes to the writer at once. */
void monitor_add_row(struct monitor_worker *w, enum monitor_table t, const void *row);
/* Hand the batch to the writer and take an empty one (blocks while the
 * writer is behind). */
void monitor_hand_over(struct monitor_worker *w);

/* Read a worker's published counters (any thread). */
void monitor_read_counters(struct monitor_worker *w, struct monitor_counters *out);

#endif
