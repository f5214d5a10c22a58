/*
 * metrics_server.c - the Prometheus endpoint's thread (see
 * metrics_server.h).
 */
#define _GNU_SOURCE
#include "metrics_server.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../decode/http.h"
#include "../util/stoppable_thread.h"
#include "../util/thread_name.h"
#include "daemon_conf.h"

struct mclient {
    int fd;                      /* -1: a free slot */
    struct sockaddr_storage from;
    socklen_t fromlen;
    uint64_t deadline_ms;
    char in[METRICS_REQUEST_MAX + 3];
    size_t inlen;
    char *out;                   /* the response, once the request is read */
    size_t outlen, outoff;
};

struct metrics_server {
    int listen_fd;
    struct stoppable_thread thread;
    metrics_fill_fn fill;
    void *arg;
    struct mclient c[METRICS_MAX_CLIENTS];
    _Atomic uint64_t served, cut;
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

enum metrics_request metrics_parse_request(const char *p, size_t n, int *head)
{
    struct http_field_iter it;
    struct http_field f;
    *head = 0;
    if (!http_fields_begin(&it, p, n))
        return n >= METRICS_REQUEST_MAX ? MR_TOO_LARGE : MR_INCOMPLETE;
    while (http_field_next(&it, &f))
        ;
    if (!it.complete)
        return n >= METRICS_REQUEST_MAX ? MR_TOO_LARGE : MR_INCOMPLETE;
    size_t len = 0;
    while (len < n && p[len] != '\n')
        len++;
    if (len && p[len - 1] == '\r')
        len--;
    struct http_request_line rl;
    if (!http_parse_request_line(p, len, &rl))
        return MR_BAD_REQUEST;
    bool get = rl.method_len == 3 && memcmp(rl.method, "GET", 3) == 0;
    *head = rl.method_len == 4 && memcmp(rl.method, "HEAD", 4) == 0;
    if (!get && !*head)
        return MR_BAD_METHOD;
    if (rl.uri_len < 8 || memcmp(rl.uri, "/metrics", 8) != 0 ||
        (rl.uri_len > 8 && rl.uri[8] != '?'))
        return MR_NOT_FOUND;
    return MR_METRICS;
}

/* ---- connections ---- */

static void drop(struct metrics_server *s, struct mclient *c, bool cut)
{
    if (c->fd < 0)
        return;
    close(c->fd);
    c->fd = -1;
    free(c->out);
    c->out = NULL;
    c->inlen = c->outlen = c->outoff = 0;
    if (cut)
        atomic_fetch_add(&s->cut, 1);
}

static bool same_source(const struct mclient *c, const struct sockaddr_storage *a)
{
    if (c->from.ss_family != a->ss_family)
        return false;
    if (a->ss_family == AF_INET)
        return memcmp(&((const struct sockaddr_in *)&c->from)->sin_addr,
                      &((const struct sockaddr_in *)a)->sin_addr, sizeof(struct in_addr)) == 0;
    if (a->ss_family == AF_INET6)
        return memcmp(&((const struct sockaddr_in6 *)&c->from)->sin6_addr,
                      &((const struct sockaddr_in6 *)a)->sin6_addr, sizeof(struct in6_addr)) == 0;
    return true;
}

/* A slot for a new connection from `from`, or NULL when that address
 * holds METRICS_MAX_PER_SOURCE already (the newcomer is refused: an
 * address cannot take more, and evicting its own older connections would
 * only make clients that reconnect when cut churn).  When every slot is
 * taken, the oldest connection of the address holding the most makes
 * room. */
static struct mclient *slot_for(struct metrics_server *s, const struct sockaddr_storage *from)
{
    struct mclient *free_slot = NULL, *victim = NULL;
    unsigned same = 0, victim_count = 0;
    for (size_t i = 0; i < METRICS_MAX_CLIENTS; i++) {
        struct mclient *c = &s->c[i];
        if (c->fd < 0) {
            if (!free_slot)
                free_slot = c;
            continue;
        }
        if (same_source(c, from))
            same++;
        unsigned count = 0; /* connections of c's address */
        for (size_t j = 0; j < METRICS_MAX_CLIENTS; j++)
            count += s->c[j].fd >= 0 && same_source(&s->c[j], &c->from);
        if (!victim || count > victim_count ||
            (count == victim_count && c->deadline_ms < victim->deadline_ms))
            victim = c, victim_count = count;
    }
    if (same >= METRICS_MAX_PER_SOURCE)
        return NULL;
    if (free_slot)
        return free_slot;
    drop(s, victim, true);
    return victim;
}

static void accept_clients(struct metrics_server *s)
{
    for (;;) {
        struct sockaddr_storage from;
        socklen_t fromlen = sizeof from;
        int fd = accept4(s->listen_fd, (struct sockaddr *)&from, &fromlen,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return; /* EAGAIN: none left; other errors: try on the next wake-up */
        struct mclient *c = slot_for(s, &from);
        if (!c) {
            close(fd);
            atomic_fetch_add(&s->cut, 1);
            continue;
        }
        c->fd = fd;
        c->from = from;
        c->fromlen = fromlen;
        c->deadline_ms = now_ms() + METRICS_DEADLINE_MS;
    }
}

static void respond(struct metrics_server *s, struct mclient *c, enum metrics_request r, int head)
{
    static const char *const status[] = {
        [MR_METRICS] = "200 OK", [MR_NOT_FOUND] = "404 Not Found",
        [MR_BAD_METHOD] = "405 Method Not Allowed", [MR_BAD_REQUEST] = "400 Bad Request",
        [MR_TOO_LARGE] = "431 Request Header Fields Too Large"};
    char *body = NULL;
    size_t blen = 0;
    FILE *f = open_memstream(&body, &blen);
    if (!f) {
        drop(s, c, true);
        return;
    }
    if (r == MR_METRICS)
        s->fill(s->arg, f);
    else if (r == MR_NOT_FOUND)
        fputs("netsift daemon: the metrics are at /metrics\n", f);
    else if (r == MR_BAD_METHOD)
        fputs("only GET /metrics\n", f);
    else
        fputs("netsift daemon: GET /metrics HTTP/1.1\n", f);
    fclose(f);
    FILE *o = open_memstream(&c->out, &c->outlen);
    if (!o) {
        free(body);
        drop(s, c, true);
        return;
    }
    fprintf(o,
            "HTTP/1.0 %s\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
            "Content-Length: %zu\r\nConnection: close\r\n\r\n",
            status[r], blen);
    if (!head)
        fwrite(body, 1, blen, o);
    fclose(o);
    free(body);
    c->outoff = 0;
    if (r == MR_METRICS)
        atomic_fetch_add(&s->served, 1);
}

/* Read what the client sent; answer once its head is complete. */
static void read_client(struct metrics_server *s, struct mclient *c)
{
    bool eof = false;
    while (c->inlen < METRICS_REQUEST_MAX) {
        ssize_t r = read(c->fd, c->in + c->inlen, METRICS_REQUEST_MAX - c->inlen);
        if (r > 0) {
            c->inlen += (size_t)r;
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        eof = true; /* or an error: as if the client had finished */
        break;
    }
    if (eof) { /* a request line without the empty line after it: taken as whole */
        memcpy(c->in + c->inlen, "\n\n", 2);
        c->inlen += 2;
    }
    int head;
    enum metrics_request r = metrics_parse_request(c->in, c->inlen, &head);
    if (r == MR_INCOMPLETE) {
        if (eof)
            drop(s, c, false);
        return;
    }
    respond(s, c, r, head);
}

static void write_client(struct metrics_server *s, struct mclient *c)
{
    while (c->outoff < c->outlen) {
        ssize_t w = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
        if (w > 0) {
            c->outoff += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        break; /* the client went away */
    }
    drop(s, c, false);
}

static void *serve(void *arg)
{
    struct metrics_server *s = arg;
    thread_name("metrics", "");
    struct pollfd pfd[METRICS_MAX_CLIENTS + 2];
    struct mclient *who[METRICS_MAX_CLIENTS + 2];
    for (;;) {
        uint64_t now = now_ms(), next = now + 60000;
        size_t n = 0;
        pfd[n++] = (struct pollfd){.fd = stoppable_thread_wake_fd(&s->thread), .events = POLLIN};
        pfd[n++] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
        for (size_t i = 0; i < METRICS_MAX_CLIENTS; i++) {
            struct mclient *c = &s->c[i];
            if (c->fd < 0)
                continue;
            if (now >= c->deadline_ms) { /* the whole exchange took too long */
                drop(s, c, true);
                continue;
            }
            if (c->deadline_ms < next)
                next = c->deadline_ms;
            who[n] = c;
            pfd[n++] = (struct pollfd){.fd = c->fd, .events = c->out ? POLLOUT : POLLIN};
        }
        int rc = poll(pfd, n, (int)(next - now));
        if (rc < 0 && errno != EINTR)
            break;
        if (rc <= 0)
            continue;
        if (pfd[0].revents)
            break; /* stop */
        for (size_t i = 2; i < n; i++) {
            if (!pfd[i].revents || who[i]->fd < 0)
                continue;
            if (who[i]->out)
                write_client(s, who[i]);
            else
                read_client(s, who[i]);
            if (who[i]->fd >= 0 && who[i]->out && (pfd[i].revents & (POLLERR | POLLHUP)))
                drop(s, who[i], false);
        }
        if (pfd[1].revents & POLLIN)
            accept_clients(s);
    }
    for (size_t i = 0; i < METRICS_MAX_CLIENTS; i++)
        drop(s, &s->c[i], false);
    return NULL;
}

static int open_listener(const char *spec, char *err, size_t errlen)
{
    char host[CONF_HOST_MAX], port[8];
    uint16_t p;
    if (parse_listen_addr(spec, host, sizeof host, &p, err, errlen) != 0)
        return -1;
    snprintf(port, sizeof port, "%u", p);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV},
                    *ai;
    int rc = getaddrinfo(host, port, &hints, &ai);
    if (rc != 0) {
        snprintf(err, errlen, "metrics address '%s': %s", spec, gai_strerror(rc));
        return -1;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 64) != 0) {
        snprintf(err, errlen, "metrics address '%s': %s", spec, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    return fd;
}

struct metrics_server *metrics_server_start(const char *spec, metrics_fill_fn fill, void *arg,
                                            char *err, size_t errlen)
{
    struct metrics_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->fill = fill;
    s->arg = arg;
    stoppable_thread_init(&s->thread);
    for (size_t i = 0; i < METRICS_MAX_CLIENTS; i++)
        s->c[i].fd = -1;
    if ((s->listen_fd = open_listener(spec, err, errlen)) < 0) {
        free(s);
        return NULL;
    }
    if (stoppable_thread_start(&s->thread, serve, s) != 0) {
        snprintf(err, errlen, "metrics: cannot start its thread: %s", strerror(errno));
        metrics_server_stop(s);
        return NULL;
    }
    return s;
}

void metrics_server_stop(struct metrics_server *s)
{
    if (!s)
        return;
    stoppable_thread_stop(&s->thread);
    close(s->listen_fd);
    free(s);
}

void metrics_server_counts(struct metrics_server *s, uint64_t *served, uint64_t *cut)
{
    *served = atomic_load(&s->served);
    *cut = atomic_load(&s->cut);
}
