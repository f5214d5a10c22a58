/*
 * metrics_server.h - the daemon's Prometheus endpoint (`--metrics`,
 * `metrics =`): GET or HEAD /metrics over HTTP/1.x, one request per
 * connection, on a thread of its own.
 *
 * No client can hold it: every connection is non-blocking and served by
 * poll(); the whole exchange (request in, response out) has
 * METRICS_DEADLINE_MS, after which the connection is closed; at most
 * METRICS_MAX_PER_SOURCE connections come from one address (more are
 * refused), and when all METRICS_MAX_CLIENTS are open a new one takes the
 * place of the oldest connection of the address holding the most, so that
 * clients trickling requests from a few addresses never keep a scrape
 * from another out.  The daemon's main loop never waits for a client:
 * SIGTERM stops it whatever the clients do.
 */
#ifndef NETSIFT_METRICS_SERVER_H
#define NETSIFT_METRICS_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define METRICS_DEADLINE_MS 2000
#define METRICS_MAX_CLIENTS 64
#define METRICS_MAX_PER_SOURCE 16
#define METRICS_REQUEST_MAX 4096 /* request line and header fields */

/* What a request asks for, from its first bytes. */
enum metrics_request {
    MR_INCOMPLETE,   /* no empty line yet ending the head */
    MR_METRICS,      /* GET /metrics (or /metrics?...) */
    MR_NOT_FOUND,    /* GET of another path */
    MR_BAD_METHOD,   /* not GET or HEAD */
    MR_BAD_REQUEST,  /* no request line (METHOD SP URI SP HTTP/d.d) */
    MR_TOO_LARGE,    /* METRICS_REQUEST_MAX bytes without the end of the head */
};

/* Read a request head (p[0..n), any bytes; the request line is read by
 * decode/http.h, as every HTTP head netsift reads); *head: true for HEAD
 * (answer without the body). */
enum metrics_request metrics_parse_request(const char *p, size_t n, int *head);

/* Writes the exposition text into f; called on the server's thread. */
typedef void (*metrics_fill_fn)(void *arg, FILE *f);

struct metrics_server;

/* Listen on ADDR:PORT (or PORT: 127.0.0.1) and serve.  NULL with a
 * reason in err. */
struct metrics_server *metrics_server_start(const char *spec, metrics_fill_fn fill, void *arg,
                                            char *err, size_t errlen);

/* Close every connection and the listener; join the thread.  NULL: no-op. */
void metrics_server_stop(struct metrics_server *s);

/* Connections closed for their deadline or to make room (tests, summary). */
void metrics_server_counts(struct metrics_server *s, uint64_t *served, uint64_t *cut);

#endif
