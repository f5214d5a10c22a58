/*
 * capture.h - netsift capture: the loop from source through decoder to
 * sinks, signals, progress and the summary; and the services that run
 * beside it.
 *
 * A service takes no packets: the control socket (control/service.c) and
 * the sync to PostgreSQL (sync/sync_service.c).  main.c hands the list to
 * capture_main(), which starts every enabled service once every sink is
 * open and stops each once every sink has closed (so that the sync's last
 * pass finds what the sinks committed in their close()), and prints each
 * one's report in the summary after the sinks'.  A service asks the sinks
 * what they hold now through capture_query(), never by calling them.
 */
#ifndef NETSIFT_CAPTURE_H
#define NETSIFT_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../conf/conf.h"
#include "../util/report.h"

struct capture;

struct capture_service_ops {
    const char *name; /* its section of the summary */
    bool (*enabled)(const struct netsift_conf *conf);
    /* *state: the service's own.  0, or -1 with a one-line reason in err
     * (the capture does not start: exit status 1) */
    int (*start)(void **state, struct capture *cap, const struct netsift_conf *conf, char *err,
                 size_t errlen);
    /* every sink has closed */
    void (*stop)(void *state);
    void (*report)(void *state, struct report *r); /* optional */
    void (*destroy)(void *state);
};

/* Run `netsift capture` with its arguments (argv[0] = "capture") and the
 * services that may run beside it.  Returns the process exit status. */
int capture_main(int argc, char **argv, const struct capture_service_ops *const *services,
                 size_t nservices);

/* Ask every open sink that answers `kind` (sink_ops.query: "stats",
 * "flows") what it holds now; each answer line goes to line(ctx, text).
 * Any thread; once the sinks begin to close it answers nothing.  True
 * when a sink answered. */
bool capture_query(struct capture *cap, const char *kind, const char *arg,
                   void (*line)(void *ctx, const char *text), void *ctx);

/* Figures of the running capture, published by its reading thread about
 * every second; any thread may read them (the control socket's STATS). */
struct capture_live_stats {
    uint64_t packets;          /* packets read */
    uint64_t kernel_drops;     /* live capture: pcap_stats ps_drop */
    uint64_t interface_drops;  /* live capture: pcap_stats ps_ifdrop */
    uint64_t truncated, malformed; /* packets the decoder found cut short / malformed */
    uint64_t queue_full_waits; /* frames held back while a worker's ring was full */
    uint64_t queue_dropped;    /* --queue-drop: frames dropped because a ring was full */
};
void capture_live_stats(struct capture_live_stats *out);

#endif
