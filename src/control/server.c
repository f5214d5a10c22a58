/*
 * server.c - the control socket thread (see server.h).
 */
#define _GNU_SOURCE
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../util/stoppable_thread.h"
#include "../util/thread_name.h"
#include "../db/sqlite_writer.h"
#include "fpquery.h"

#define OUT_SOFT 65536     /* produce rows / read commands only below this much pending output */
#define ROWS_PER_TURN 256  /* rows produced for one client before serving the others */

struct client {
    int fd;
    char in[CONTROL_LINE_MAX];
    size_t inlen;
    struct control_reply out;
    size_t out_off;            /* bytes of out already sent */
    sqlite3_stmt *query;       /* a QUERY_FINGERPRINT being streamed */
    uint64_t last_progress_ms;
    uint64_t line_start_ms;    /* first byte of the command line not complete yet; 0: none */
    bool eof, closing;
};

struct control_server {
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char db_path[4096];
    struct control_provider provider;
    int listen_fd;
    dev_t dev;
    ino_t ino;
    struct stoppable_thread thread;
    sqlite3 *db;
    struct client clients[CONTROL_MAX_CLIENTS];
    _Atomic uint64_t served, connected, cut;
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- replies ------------------------------------------------------- */

/* Append bytes (memory permitting: replies are bounded by their callers). */
static void reply_append(struct control_reply *r, const char *s, size_t n)
{
    if (r->len + n > r->cap) {
        size_t cap = r->cap ? r->cap : 4096;
        while (cap < r->len + n)
            cap *= 2;
        char *p = realloc(r->p, cap);
        if (!p) {
            r->full = 1;
            return;
        }
        r->p = p;
        r->cap = cap;
    }
    memcpy(r->p + r->len, s, n);
    r->len += n;
}

/* Format one line; control characters become '?' so that one reply line
 * never becomes two. */
static void reply_vline(struct control_reply *r, const char *fmt, va_list ap)
{
    char line[FPQ_LINE_MAX + 2];
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof line - 2)
        n = (int)(sizeof line - 2);
    for (int i = 0; i < n; i++)
        if ((unsigned char)line[i] < 0x20)
            line[i] = '?';
    line[n++] = '\n';
    reply_append(r, line, (size_t)n);
    r->lines++;
}

void control_reply_line(struct control_reply *r, const char *fmt, ...)
{
    va_list ap;
    if (r->len >= CONTROL_REPLY_MAX) {
        r->full = 1; /* later lines are left out; the terminator still comes */
        return;
    }
    va_start(ap, fmt);
    reply_vline(r, fmt, ap);
    va_end(ap);
}

/* The terminator (END or FAIL ...): always appended. */
static void reply_end(struct control_reply *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void reply_end(struct control_reply *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    reply_vline(r, fmt, ap);
    va_end(ap);
}

static size_t pending(const struct client *c)
{
    return c->out.len - c->out_off;
}

/* ---- commands ------------------------------------------------------ */

static void close_query(struct client *c)
{
    sqlite3_finalize(c->query);
    c->query = NULL;
}

static sqlite3 *database(struct control_server *s, char *err, size_t errlen)
{
    if (!s->db)
        s->db = db_open_readonly(s->db_path, err, errlen);
    return s->db;
}

static void run_command(struct control_server *s, struct client *c, const char *line, size_t len)
{
    struct control_cmd cmd;
    char why[512];
    if (control_parse(line, len, &cmd, why, sizeof why) != 0) {
        reply_end(&c->out, "FAIL %s", why);
        return;
    }
    switch (cmd.verb) {
    case CMD_PING:
        control_reply_line(&c->out, "PONG");
        break;
    case CMD_STATS:
        if (s->provider.stats)
            s->provider.stats(s->provider.arg, &c->out);
        control_reply_line(&c->out, "control_clients %llu",
                           (unsigned long long)atomic_load(&s->connected));
        break;
    case CMD_QUERY_FLOWS:
        if (s->provider.flows)
            s->provider.flows(s->provider.arg, &cmd, &c->out);
        break;
    case CMD_QUERY_FINGERPRINT: {
        sqlite3 *db = database(s, why, sizeof why);
        if (!db || !(c->query = fpq_prepare(db, &cmd, why, sizeof why))) {
            reply_end(&c->out, "FAIL %s", why);
            return;
        }
        return; /* rows follow as the client reads them */
    }
    }
    reply_end(&c->out, "END");
}

/* Produce up to ROWS_PER_TURN rows of the client's query. */
static void stream_rows(struct client *c)
{
    char line[FPQ_LINE_MAX];
    for (int i = 0; i < ROWS_PER_TURN && c->query && pending(c) < OUT_SOFT; i++) {
        int rc = fpq_next(c->query, line, sizeof line);
        if (rc == 1) {
            control_reply_line(&c->out, "%s", line);
            continue;
        }
        if (rc == 0)
            reply_end(&c->out, "END");
        else
            reply_end(&c->out, "FAIL %s", line);
        close_query(c);
    }
}

/* Run the complete command lines in the input buffer, one at a time. */
static void run_lines(struct control_server *s, struct client *c)
{
    while (!c->query && !c->closing && pending(c) < OUT_SOFT) {
        char *lf = memchr(c->in, '\n', c->inlen);
        if (!lf) {
            if (c->inlen == sizeof c->in) {
                reply_end(&c->out, "FAIL line too long (at most %d bytes)", CONTROL_LINE_MAX);
                c->closing = true;
            }
            return;
        }
        size_t n = (size_t)(lf - c->in);
        run_command(s, c, c->in, n);
        c->inlen -= n + 1;
        memmove(c->in, lf + 1, c->inlen);
        /* what follows is the next line: its time starts now */
        c->line_start_ms = c->inlen ? now_ms() : 0;
    }
}

/* ---- client I/O ---------------------------------------------------- */

static void drop_client(struct control_server *s, struct client *c)
{
    close_query(c);
    close(c->fd);
    free(c->out.p);
    memset(c, 0, sizeof *c);
    c->fd = -1;
    atomic_fetch_sub(&s->connected, 1);
}

static bool can_read(const struct client *c)
{
    return !c->eof && !c->closing && !c->query && pending(c) < OUT_SOFT &&
           c->inlen < sizeof c->in;
}

static void read_client(struct control_server *s, struct client *c)
{
    ssize_t n = recv(c->fd, c->in + c->inlen, sizeof c->in - c->inlen, MSG_DONTWAIT);
    if (n > 0) {
        c->inlen += (size_t)n;
        c->last_progress_ms = now_ms();
        if (!c->line_start_ms)
            c->line_start_ms = c->last_progress_ms;
    } else if (n == 0) {
        c->eof = true; /* answer what was asked, then close */
        if (c->inlen && c->inlen < sizeof c->in && !memchr(c->in, '\n', c->inlen))
            c->in[c->inlen++] = '\n'; /* a last command without its newline */
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        c->closing = true;
        c->out_off = c->out.len; /* nobody to answer */
    }
    run_lines(s, c);
}

static void write_client(struct client *c)
{
    ssize_t n = send(c->fd, c->out.p + c->out_off, pending(c), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
        c->out_off += (size_t)n;
        c->last_progress_ms = now_ms();
        if (c->out_off == c->out.len) {
            c->out_off = c->out.len = 0;
        } else if (c->out_off >= OUT_SOFT) { /* keep the buffer from creeping */
            memmove(c->out.p, c->out.p + c->out_off, pending(c));
            c->out.len -= c->out_off;
            c->out_off = 0;
        }
        c->out.full = 0;
    } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        c->closing = true;
        c->out_off = c->out.len; /* the peer is gone */
    }
}

/* Work that needs no I/O: rows to produce, buffered commands to run.
 * True when more of it remains. */
static bool pump(struct control_server *s, struct client *c)
{
    if (c->query)
        stream_rows(c);
    if (!c->query)
        run_lines(s, c);
    return (c->query && pending(c) < OUT_SOFT) ||
           (!c->query && !c->closing && pending(c) < OUT_SOFT && memchr(c->in, '\n', c->inlen));
}

/* Say why on the way out, if the client reads; never waits. */
static void last_word(struct client *c, const char *line)
{
    ssize_t ignored = send(c->fd, line, strlen(line), MSG_DONTWAIT | MSG_NOSIGNAL);
    (void)ignored;
}

/* A command line begun more than CONTROL_LINE_DEADLINE_MS ago and still
 * not complete (a client trickling bytes to hold its place). */
static bool line_too_slow(const struct client *c, uint64_t now)
{
    return c->line_start_ms && now > c->line_start_ms &&
           now - c->line_start_ms > CONTROL_LINE_DEADLINE_MS && !memchr(c->in, '\n', c->inlen);
}

static bool finished(const struct client *c, uint64_t now)
{
    if (pending(c) == 0 && !c->query && (c->closing || (c->eof && !memchr(c->in, '\n', c->inlen))))
        return true;
    return now > c->last_progress_ms && now - c->last_progress_ms > CONTROL_IDLE_MS;
}

/* ---- the listening socket ------------------------------------------ */

static void accept_clients(struct control_server *s)
{
    for (;;) {
        int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        struct client *c = NULL, *stalest = NULL;
        for (int i = 0; i < CONTROL_MAX_CLIENTS && !c; i++) {
            struct client *k = &s->clients[i];
            if (k->fd < 0)
                c = k;
            else if (!stalest || k->last_progress_ms < stalest->last_progress_ms)
                stalest = k;
        }
        if (!c) { /* full: the client that did nothing for the longest makes room */
            last_word(stalest, "FAIL closed to make room for another client\n");
            drop_client(s, stalest);
            atomic_fetch_add(&s->cut, 1);
            c = stalest;
        }
        memset(c, 0, sizeof *c);
        c->fd = fd;
        c->last_progress_ms = now_ms();
        atomic_fetch_add(&s->served, 1);
        atomic_fetch_add(&s->connected, 1);
    }
}

static void *server_main(void *arg)
{
    struct control_server *s = arg;
    thread_name("control", "");
    struct pollfd pfd[CONTROL_MAX_CLIENTS + 2];
    struct client *who[CONTROL_MAX_CLIENTS + 2];
    for (;;) {
        bool busy = false;
        nfds_t n = 0;
        pfd[n++] = (struct pollfd){stoppable_thread_wake_fd(&s->thread), POLLIN, 0};
        pfd[n++] = (struct pollfd){s->listen_fd, POLLIN, 0};
        for (int i = 0; i < CONTROL_MAX_CLIENTS; i++) {
            struct client *c = &s->clients[i];
            if (c->fd < 0)
                continue;
            busy |= pump(s, c);
            short ev = (short)((can_read(c) ? POLLIN : 0) | (pending(c) ? POLLOUT : 0));
            who[n] = c;
            pfd[n++] = (struct pollfd){c->fd, ev, 0};
        }
        if (poll(pfd, n, busy ? 0 : 1000) < 0 && errno != EINTR)
            break;
        if (pfd[0].revents)
            break; /* stop */
        uint64_t now = now_ms();
        for (nfds_t i = 2; i < n; i++) {
            struct client *c = who[i];
            if (pfd[i].revents & POLLOUT)
                write_client(c);
            if (pfd[i].revents & POLLIN)
                read_client(s, c);
            if (pfd[i].revents & (POLLERR | POLLNVAL) ||
                ((pfd[i].revents & POLLHUP) && !(pfd[i].revents & POLLIN)))
                c->closing = true, c->out_off = c->out.len, close_query(c);
            if (c->fd >= 0 && line_too_slow(c, now)) {
                last_word(c, "FAIL command line not complete within 2 s\n");
                drop_client(s, c);
                atomic_fetch_add(&s->cut, 1);
            } else if (c->fd >= 0 && finished(c, now)) {
                drop_client(s, c);
            }
        }
        if (pfd[1].revents & POLLIN) /* after the clients: a slot it reuses is not in pfd */
            accept_clients(s);
    }
    return NULL;
}

/* ---- start and stop ------------------------------------------------ */

/* Refuse a live socket or another file at path; remove a stale socket. */
static int clear_path(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : (snprintf(err, errlen, "control socket '%s': %s", path,
                                               strerror(errno)), -1);
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(err, errlen, "control socket '%s': a file that is not a socket is in the way",
                 path);
        return -1;
    }
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int rc = fd < 0 ? -1 : connect(fd, (struct sockaddr *)&sa, sizeof sa);
    int e = errno;
    if (fd >= 0)
        close(fd);
    if (rc == 0) {
        snprintf(err, errlen, "control socket '%s' is in use by another process", path);
        return -1;
    }
    if (e != ECONNREFUSED) {
        snprintf(err, errlen, "control socket '%s': %s", path, strerror(e));
        return -1;
    }
    unlink(path); /* stale: nobody listens */
    return 0;
}

static int listen_on(struct control_server *s, char *err, size_t errlen)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct stat st;
    memcpy(sa.sun_path, s->path, strlen(s->path) + 1);
    s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->listen_fd < 0 || bind(s->listen_fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        snprintf(err, errlen, "control socket '%s': %s", s->path, strerror(errno));
        return -1;
    }
    /* mode before listen(): nobody can connect until then */
    if (chmod(s->path, 0660) != 0 || stat(s->path, &st) != 0 ||
        listen(s->listen_fd, CONTROL_MAX_CLIENTS) != 0) {
        snprintf(err, errlen, "control socket '%s': %s", s->path, strerror(errno));
        unlink(s->path);
        return -1;
    }
    s->dev = st.st_dev;
    s->ino = st.st_ino;
    return 0;
}

struct control_server *control_server_start(const char *socket_path, const char *db_path,
                                            const struct control_provider *provider, char *err,
                                            size_t errlen)
{
    struct control_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->listen_fd = -1;
    stoppable_thread_init(&s->thread);
    for (int i = 0; i < CONTROL_MAX_CLIENTS; i++)
        s->clients[i].fd = -1;
    if (strlen(socket_path) >= sizeof s->path || strlen(db_path) >= sizeof s->db_path) {
        snprintf(err, errlen, "control socket path '%s' is too long (at most %zu bytes)",
                 socket_path, sizeof s->path - 1);
        free(s);
        return NULL;
    }
    snprintf(s->path, sizeof s->path, "%s", socket_path);
    snprintf(s->db_path, sizeof s->db_path, "%s", db_path);
    s->provider = *provider;
    if (clear_path(s->path, err, errlen) != 0 || listen_on(s, err, errlen) != 0) {
        if (s->listen_fd >= 0)
            close(s->listen_fd);
        free(s);
        return NULL;
    }
    if (stoppable_thread_start(&s->thread, server_main, s) != 0) {
        snprintf(err, errlen, "cannot start the control socket thread: %s", strerror(errno));
        control_server_stop(s);
        return NULL;
    }
    return s;
}

void control_server_stop(struct control_server *s)
{
    struct stat st;
    if (!s)
        return;
    stoppable_thread_stop(&s->thread);
    for (int i = 0; i < CONTROL_MAX_CLIENTS; i++)
        if (s->clients[i].fd >= 0)
            drop_client(s, &s->clients[i]);
    /* remove the socket file only if it is still ours */
    if (stat(s->path, &st) == 0 && st.st_dev == s->dev && st.st_ino == s->ino)
        unlink(s->path);
    close(s->listen_fd);
    sqlite3_close(s->db);
    free(s);
}

void control_server_counts(struct control_server *s, uint64_t *served, uint64_t *connected)
{
    *served = atomic_load(&s->served);
    *connected = atomic_load(&s->connected);
}
