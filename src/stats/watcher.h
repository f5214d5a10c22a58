/*
 * watcher.h - one watcher of `netsift daemon`: a capture thread with its
 * own libpcap handle (and so its own kernel BPF filter), its user-space
 * filter, its handlers' counters and its shared-memory segment.
 *
 * The thread reads packets, decodes each once (decode_packet), keeps
 * those its filter accepts, counts them in its handlers and publishes the
 * whole table into shared memory every publish interval (and when asked).
 * When its interface is missing or goes away it says so once, publishes
 * the state WAITING, and tries again every second; the other watchers
 * are not affected.  Restarting a watcher with a changed configuration
 * keeps its counters and segment.
 */
#ifndef NETSIFT_STATS_WATCHER_H
#define NETSIFT_STATS_WATCHER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "counters.h"
#include "daemon_conf.h"
#include "shm.h"

struct watcher;

/* Create the segment and counters and start the thread; conf is moved
 * into the watcher.  NULL with a reason in err. */
struct watcher *watcher_start(struct watcher_conf *conf, const char *shm_prefix,
                              uint32_t publish_ms, char *err, size_t errlen);

/* Stop the thread (it publishes a last time), keep counters and segment,
 * and start again with a new configuration (moved in).  When max_entries
 * changed, the counters start from zero in a new segment.  0 or -1. */
int watcher_restart(struct watcher *w, struct watcher_conf *conf, uint32_t publish_ms, char *err,
                    size_t errlen);

/* Ask for a publication now; returns the publication count to wait past. */
uint64_t watcher_request_publish(struct watcher *w);
/* Wait up to timeout_ms until the publication count passes `after`. */
void watcher_wait_published(struct watcher *w, uint64_t after, int timeout_ms);

/* Stop the thread; the segment stays mapped until watcher_free. */
void watcher_stop(struct watcher *w);
/* Free everything; with unlink, remove the segment's name. */
void watcher_free(struct watcher *w, bool unlink_segment);

const struct watcher_conf *watcher_conf(const struct watcher *w);

/* True once a read_file watcher has read its whole file. */
bool watcher_finished(struct watcher *w);

#endif
