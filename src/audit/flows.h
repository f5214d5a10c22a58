/*
 * flows.h - the custom encoders: Flow, Connection, LinkFlow, NetworkFlow
 * and TransportFlow records, aggregated over packets.
 *
 * Flow (one direction of a 5-tuple) and Connection (both directions) are
 * keyed by the IP 5-tuple, whose packets all reach the same worker (the
 * symmetric flow hash of the pipeline): each worker has its own tables,
 * without locks.  LinkFlow (MAC pair), NetworkFlow (IP pair) and
 * TransportFlow (port pair) span flows and so workers: they live in
 * shared tables split in lock stripes.
 *
 * A Flow or Connection record ends when its next packet comes more than
 * `timeout` after its last one (that packet starts a new record), when a
 * sweep (audit_sink.c: every 4096 packets and on the tick) finds it idle
 * that long (the worker's packet time), or at close.  LinkFlow,
 * NetworkFlow and TransportFlow records count the packets of one fixed
 * window of `timeout` seconds (aligned to the epoch) each: the workers
 * add to them in any order, and a window is written once every worker
 * that has seen packets has passed its end, or at close.  Memory is
 * bounded: a table that is full writes out all its records and starts
 * empty (counted in audit_flows_overflows()).  As long as no table
 * overflows and packets come in time order, the records do not depend on
 * the number of workers.
 */
#ifndef NETSIFT_AUDIT_FLOWS_H
#define NETSIFT_AUDIT_FLOWS_H

#include <stdint.h>

#include "encoders.h"

struct audit_flows;

/* enabled: bits (1u << REC_*) of the custom records wanted; max_flows:
 * entries per table (each worker's and each shared one). */
struct audit_flows *audit_flows_new(unsigned nworkers, uint32_t enabled, uint32_t max_flows,
                                    uint64_t timeout_us);

/* Bytes the tables of audit_flows_new(nworkers, enabled, ...) take per
 * unit of max_flows once every entry is used (entries and hash buckets). */
uint64_t audit_flows_entry_bytes(unsigned nworkers, uint32_t enabled);

/* Account pkt; records that end on the way go to emit. */
int audit_flows_packet(struct audit_flows *f, unsigned worker, const struct packet *pkt,
                       audit_emit_fn emit, void *ctx);

/* Write out what has been idle longer than the timeout. */
int audit_flows_sweep(struct audit_flows *f, unsigned worker, audit_emit_fn emit, void *ctx);

/* Write out everything: a worker's own tables, or (worker == -1u) the
 * shared ones.  Runs alone at close. */
int audit_flows_flush(struct audit_flows *f, unsigned worker, audit_emit_fn emit, void *ctx);

uint64_t audit_flows_overflows(const struct audit_flows *f);

void audit_flows_free(struct audit_flows *f);

#endif
