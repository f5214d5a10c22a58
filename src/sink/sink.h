/*
 * sink.h - the one interface every consumer of decoded packets implements.
 *
 * The capture core knows nothing about a specific sink: it asks every
 * sink whose enabled() says yes for the configuration what memory it
 * holds at most (memory(), so that the caps fit one budget:
 * capture/budget.h), opens them, hands each one
 * every decoded packet, ticks them on wall-clock time (batching,
 * timeouts), asks each for a fatal error (a sink that can no longer do
 * its work stops the capture), and finally closes them and collects
 * their part of the summary.  A sink may hand records to the others
 * (sink_record(): the streams sink's HTTP transactions become rows of the
 * headers sink's http table) through the core, never by calling them.
 * A sink that can only do part of its work
 * (the raw store on a full disk) says so with degraded(): the capture
 * goes on and exits with status 1.  Adding a sink means one folder and one row
 * in sink_registry (sink/registry.c).
 *
 * Threads: packets are decoded on `nworkers` workers (see
 * capture/pipeline.h).  Every packet of a flow (both directions) goes to
 * the same worker, in capture order.  packet() and tick() are called with
 * the worker's index, concurrently for different workers, never
 * concurrently for the same one: a sink keeps per-worker state indexed by
 * it and needs no lock for it.  error() may be called from the reader
 * thread at any time.  open() and close() run alone.
 */
#ifndef NETSIFT_SINK_H
#define NETSIFT_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../conf/conf.h"
#include "../decode/packet.h"
#include "../util/report.h"

struct sink;
struct memory_plan;

struct sink_ops {
    const char *name; /* "headers", "monitor", ... */
    /* also wants IPv4 datagrams rebuilt from fragments (capture/defrag.h):
     * packet() then gets, after a datagram's last fragment, one more
     * packet that is not a captured frame (its number is the last
     * fragment's); the fragments themselves still come as captured */
    bool datagrams;
    bool (*enabled)(const struct netsift_conf *conf);
    /* optional: check the sink's options before anything is opened: 0,
     * or -1 with a one-line reason in err (a usage error: exit status 2) */
    int (*check)(const struct netsift_conf *conf, char *err, size_t errlen);
    /* optional: state, for the memory budget, the bytes the sink holds at
     * most: fixed ones and its caps (capture/budget.h).  Runs before open(),
     * which then finds the caps in conf lowered to fit --memory. */
    void (*memory)(struct memory_plan *p, struct netsift_conf *conf, unsigned nworkers);
    /* 0, or -1 with a one-line reason in err */
    int (*open)(struct sink *s, const struct netsift_conf *conf, unsigned nworkers, char *err,
                size_t errlen);
    void (*packet)(struct sink *s, unsigned worker, const struct packet *pkt);
    void (*tick)(struct sink *s, unsigned worker, uint64_t now_us);
    /* a fatal error the sink ran into, or NULL */
    const char *(*error)(struct sink *s);
    /* optional: true when the sink lost part of its work but let the
     * capture go on (it printed why, once); the exit status becomes 1 */
    bool (*degraded)(struct sink *s);
    /* optional: a record another sink handed on (sink_record()): one row
     * of table `table` of db/schema.h (HT_HTTP: a struct http_txn), on
     * worker `worker`'s thread, or in finish() after the workers stopped.
     * True when the sink took it (a sink that stores that table). */
    bool (*record)(struct sink *s, unsigned worker, size_t table, const void *rec);
    /* optional: the workers stopped: hand on what is still pending (the
     * records of connections still open) while every sink is open.  Every
     * sink's finish() runs before any sink's close(). */
    void (*finish)(struct sink *s);
    /* optional: what the sink holds now, for a service of the capture
     * (the control socket): kind "stats" its live counters as "name
     * value" lines, "flows" its most recent flows (arg: a MAC address,
     * or NULL for all), one line() each.  Called from another thread
     * while packets flow, never once close() began: the sink reads only
     * what its workers published.  True when it answers that kind. */
    bool (*query)(struct sink *s, const char *kind, const char *arg,
                  void (*line)(void *ctx, const char *text), void *ctx);
    /* flush everything; 0, or -1 with a reason in err */
    int (*close)(struct sink *s, char *err, size_t errlen);
    void (*report)(struct sink *s, struct report *r);
    void (*destroy)(struct sink *s);
    /* optional: print what the sink can write, one kind per line, for
     * `netsift capture --encoders` (the audit sink: its record types) */
    void (*catalog)(FILE *f);
};

/* What the capture core offers its sinks: records handed from one sink to
 * the others, without either knowing the other. */
struct sink_host {
    /* every open sink's record(); true when one took it */
    bool (*record)(struct sink_host *h, unsigned worker, size_t table, const void *rec);
};

struct sink {
    const struct sink_ops *ops;
    void *state;
    struct sink_host *host; /* set by the core before open() */
};

/* Hand a record to the sinks that store its table (see sink_ops.record);
 * false when none took it (none stores it, or out of memory). */
static inline bool sink_record(struct sink *s, unsigned worker, size_t table, const void *rec)
{
    return s->host && s->host->record(s->host, worker, table, rec);
}

extern const struct sink_ops *const sink_registry[];
extern const size_t sink_registry_count;

#endif
