/*
 * counters.h - a watcher's handlers: the counter table one watcher thread
 * updates for every packet that passed its filter, and publishes into its
 * shared-memory segment.
 *
 * Handlers (enum stats_kind in shm.h): per MAC, per IP, per interface,
 * per protocol, per conversation (IP pair), and the host inventory
 * (source MAC + source IP pairs).  Each keeps packets and bytes (on the
 * wire) in both directions, first and last seen, and per-second buckets
 * from which the 1 s / 10 s / 60 s windows are summed when published.
 * Private to one thread: no locks.  The table holds at most `capacity`
 * keys; packets whose new key does not fit are counted as overflow.
 */
#ifndef NETSIFT_STATS_COUNTERS_H
#define NETSIFT_STATS_COUNTERS_H

#include <stdbool.h>
#include <stdint.h>

#include "../decode/packet.h"
#include "shm.h"

struct counters;

struct counters *counters_new(uint32_t capacity);
void counters_free(struct counters *c);

/* The interface name keys the per-interface handler; own_mac (may be
 * NULL) tells which frames this host sent (tx) for the aggregate
 * handlers. */
void counters_set_source(struct counters *c, const char *ifname, const uint8_t *own_mac);

/* Count one packet in every handler of the mask. */
void counters_add(struct counters *c, uint32_t handlers, const struct packet *pkt);

/* Copy the table into the segment's entries (the caller holds the
 * sequence lock), windows summed as of now_s (seconds; the current,
 * incomplete second is not in any window).  Returns the entries written
 * (at most the segment's capacity). */
uint64_t counters_publish(struct counters *c, struct stats_entry *out, uint64_t cap,
                          uint64_t now_s);

uint64_t counters_overflow(const struct counters *c);
uint32_t counters_size(const struct counters *c);

#endif
