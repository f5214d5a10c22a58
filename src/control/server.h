/*
 * server.h - the control socket of a running capture.
 *
 * One thread serves a Unix domain socket (mode 0660) with poll(): every
 * client socket is non-blocking, has its own input buffer (a command
 * line longer than CONTROL_LINE_MAX bytes gets "FAIL line too long" and
 * the connection is closed) and output buffer, and is closed after
 * CONTROL_IDLE_MS without progress; a command line must be complete
 * within CONTROL_LINE_DEADLINE_MS of its first byte ("FAIL command line
 * not complete within 2 s", closed), so trickling a byte at a time holds
 * nothing.  At most CONTROL_MAX_CLIENTS are served at once; when they are
 * all taken, a new client takes the place of the one that made no
 * progress for the longest ("FAIL closed to make room ...").  QUERY_FINGERPRINT rows are read from the database on
 * the server's own read-only connection and produced only as fast as the
 * client reads them, so a slow, silent or flooding client costs memory
 * and time bounded per client and never blocks the capture or another
 * client.  STATS and QUERY_FLOWS come from the capture through a
 * provider whose functions must be safe to call from this thread.
 *
 * The socket path must not be served already (a live socket there is an
 * error); a stale socket file is replaced; any other file is left alone
 * (an error).  The socket file is removed when the server stops.
 */
#ifndef NETSIFT_CONTROL_SERVER_H
#define NETSIFT_CONTROL_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "protocol.h"

#define CONTROL_MAX_CLIENTS 64
#define CONTROL_IDLE_MS 10000       /* a client with nothing happening is closed */
#define CONTROL_LINE_DEADLINE_MS 2000 /* a command line, first byte to newline */
#define CONTROL_REPLY_MAX (1u << 20) /* STATS / QUERY_FLOWS reply bytes at most */

/* A reply being built: lines are appended (the terminator is the server's). */
struct control_reply {
    char *p;
    size_t len, cap;
    size_t lines;
    int full; /* CONTROL_REPLY_MAX reached: later lines are left out */
};

/* Append one line (the newline is added). */
void control_reply_line(struct control_reply *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* What the running capture answers. */
struct control_provider {
    void *arg;
    void (*stats)(void *arg, struct control_reply *r);
    void (*flows)(void *arg, const struct control_cmd *cmd, struct control_reply *r);
};

struct control_server;

/* Listen on socket_path; QUERY_FINGERPRINT reads db_path.  NULL with a
 * reason in err. */
struct control_server *control_server_start(const char *socket_path, const char *db_path,
                                            const struct control_provider *provider, char *err,
                                            size_t errlen);

/* Stop the thread, close every client, remove the socket file. */
void control_server_stop(struct control_server *s);

/* Clients served so far and connected now (for STATS). */
void control_server_counts(struct control_server *s, uint64_t *served, uint64_t *connected);

#endif
