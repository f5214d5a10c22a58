/*
 * stream_sink.c - TCP reassembly and HTTP as a sink.
 *
 * Each worker has its own reassembly engine (reasm.h) and HTTP context
 * (http.h); the dispatcher sends both directions of a flow to the same
 * worker, so nothing is shared.  The engine's callbacks feed, per
 * connection:
 *   - the HTTP parser, whose finished transactions are handed on as records
 *     of the http table (sink_record(): the headers sink stores them in
 *     headers.sqlite, in its batch of the same worker) and, with
 *     --extract-files, become files;
 *   - with --streams DIR, two files per connection (one per direction)
 *     named from the addresses and ports as tcpflow names them, holding
 *     the reassembled bytes at their stream offsets (gaps are holes).
 * A direction nobody needs (not HTTP and no --streams) is dropped by the
 * engine at once (reasm_ignore), so non-HTTP traffic costs one lookup per
 * segment.
 *
 * When the workers stop, finish() ends every connection while every sink
 * is still open, so that the last transactions reach the headers sink
 * before it commits in its close(); the registry's order does not matter.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../capture/budget.h"
#include "../sink/sink.h"
#include "../db/schema.h"
#include "../util/text.h"
#include "http.h"
#include "../capture/reasm.h"

/* Stream files open at once, per worker: the file-descriptor limit
 * (RLIMIT_NOFILE, raised to its hard limit) less a reserve, shared by the
 * workers, between FD_SLOTS_MIN and FD_SLOTS_MAX.  Beyond it the least
 * recently opened file is closed and reopened when it gets data again. */
#define FD_SLOTS_MIN 16
#define FD_SLOTS_MAX 4096
#define FD_RESERVE 256

struct stream_worker;

/* One direction's stream file (--streams). */
struct sfile {
    int fd;        /* -1 when closed (not yet opened, or its slot was reused) */
    int slot;
    uint64_t off;  /* next byte's offset in the file */
    uint16_t suffix; /* 0: plain name; n: name + "c<n>" (the name was taken) */
    bool opened, failed;
};

struct conn_app {
    struct http_conn *http;
    bool http_off[2]; /* no HTTP parsing (any more) for this direction */
    struct sfile f[2];
};

struct fd_slot {
    struct conn_app *app;
    int dir;
};

struct stream_worker {
    struct stream_sink *sink;
    unsigned index;
    struct reasm *reasm;
    struct http_ctx http;
    struct fd_slot *slots;
    unsigned nslots, hand;
    uint64_t stream_files, stream_errors, rows_lost;
};

struct stream_sink {
    struct sink *self; /* for sink_record() */
    bool http, rows;
    int extract_fd, streams_fd; /* directories, -1 when off */
    pthread_mutex_t create_lock; /* one worker at a time creates stream files */
    char extract_dir[CONF_PATH_MAX], streams_dir[CONF_PATH_MAX];
    struct reasm_stats rs;     /* summed at close */
    struct http_stats hs;
    uint64_t extracted, extract_errors, stream_files, stream_errors, rows_lost;
    unsigned nworkers;
    struct stream_worker w[];
};

/* ---- stream files ---- */

static void file_name(const struct reasm_conn *c, int dir, uint16_t suffix, char *out, size_t size)
{
    char a[2][ADDR_TEXT_MAX];
    for (int s = 0; s < 2; s++) {
        const uint8_t *ad = c->key.addr[s];
        if (c->key.family == 6)
            format_ip6(ad, a[s]);
        else
            snprintf(a[s], sizeof a[s], "%03u.%03u.%03u.%03u", ad[0], ad[1], ad[2], ad[3]);
    }
    int n = snprintf(out, size, "%s.%05u-%s.%05u", a[dir], c->key.port[dir], a[!dir],
                     c->key.port[!dir]);
    if (suffix && n > 0 && (size_t)n < size)
        snprintf(out + n, size - (size_t)n, "c%u", suffix);
}

static void close_file(struct stream_worker *w, struct sfile *f)
{
    if (f->fd < 0)
        return;
    if (close(f->fd) != 0)
        w->stream_errors++;
    w->slots[f->slot].app = NULL;
    f->fd = -1;
}

static bool open_file(struct stream_worker *w, const struct reasm_conn *c, int dir)
{
    struct conn_app *app = c->app;
    struct sfile *f = &app->f[dir];
    struct fd_slot *s = &w->slots[w->hand];
    if (s->app)
        close_file(w, &s->app->f[s->dir]);
    char name[256];
    if (!f->opened) {
        pthread_mutex_lock(&w->sink->create_lock);
        for (;;) { /* a new file: never overwrite an earlier connection's */
            file_name(c, dir, f->suffix, name, sizeof name);
            f->fd = openat(w->sink->streams_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
            if (f->fd >= 0 || errno != EEXIST || f->suffix == 9999)
                break;
            f->suffix = f->suffix ? f->suffix + 1 : 1;
        }
        pthread_mutex_unlock(&w->sink->create_lock);
        if (f->fd >= 0) {
            f->opened = true;
            w->stream_files++;
        }
    } else {
        file_name(c, dir, f->suffix, name, sizeof name);
        f->fd = openat(w->sink->streams_fd, name, O_WRONLY | O_CLOEXEC);
    }
    if (f->fd < 0) {
        f->failed = true;
        w->stream_errors++;
        return false;
    }
    f->slot = (int)w->hand;
    s->app = app;
    s->dir = dir;
    w->hand = (w->hand + 1) % w->nslots;
    return true;
}

static void write_stream(struct stream_worker *w, const struct reasm_conn *c, int dir,
                         const uint8_t *p, size_t n)
{
    struct sfile *f = &((struct conn_app *)c->app)->f[dir];
    if (f->failed || (f->fd < 0 && !open_file(w, c, dir)))
        return;
    while (n > 0) {
        ssize_t r = pwrite(f->fd, p, n, (off_t)f->off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            f->failed = true;
            w->stream_errors++;
            return;
        }
        p += r, n -= (size_t)r;
        f->off += (uint64_t)r;
    }
}

/* ---- engine callbacks ---- */

static void on_open(void *user, struct reasm_conn *c)
{
    struct stream_worker *w = user;
    struct conn_app *app = calloc(1, sizeof *app);
    c->app = app;
    if (!app)
        return;
    app->f[0].fd = app->f[1].fd = -1;
    app->http_off[0] = app->http_off[1] = !w->sink->http;
}

static void on_data(void *user, struct reasm_conn *c, int dir, const uint8_t *p, size_t n,
                    uint64_t ts)
{
    struct stream_worker *w = user;
    struct conn_app *app = c->app;
    if (!app) {
        reasm_ignore(w->reasm, c, dir);
        return;
    }
    if (w->sink->streams_fd >= 0)
        write_stream(w, c, dir, p, n);
    if (!app->http && !app->http_off[dir]) {
        /* the parser starts with the first data byte (a flood of SYNs costs
         * it nothing); its state counts against the HTTP share of the memcap */
        if (w->http.memory + http_conn_size() <= w->http.memcap)
            app->http = http_conn_new(&w->http, c);
        if (!app->http) {
            w->http.st.memcap_hits++;
            app->http_off[0] = app->http_off[1] = true;
        }
    }
    if (app->http && !app->http_off[dir] && !http_data(&w->http, app->http, dir, p, n, ts)) {
        app->http_off[dir] = true;
        if (http_conn_done(app->http)) { /* not HTTP (most connections): free it now */
            http_conn_end(&w->http, app->http);
            app->http = NULL;
            app->http_off[0] = app->http_off[1] = true;
        }
    }
    bool http_wants = app->http && !app->http_off[dir];
    if (w->sink->streams_fd < 0 && !http_wants)
        reasm_ignore(w->reasm, c, dir);
}

static void on_gap(void *user, struct reasm_conn *c, int dir, uint64_t n)
{
    struct stream_worker *w = user;
    struct conn_app *app = c->app;
    if (!app)
        return;
    app->f[dir].off += n; /* a hole in the stream file */
    if (app->http && !app->http_off[dir])
        http_gap(&w->http, app->http, dir, n);
}

static void on_close(void *user, struct reasm_conn *c, enum reasm_end why)
{
    struct stream_worker *w = user;
    struct conn_app *app = c->app;
    (void)why;
    if (!app)
        return;
    if (app->http)
        http_conn_end(&w->http, app->http);
    close_file(w, &app->f[0]);
    close_file(w, &app->f[1]);
    free(app);
    c->app = NULL;
}

static void on_txn(void *user, const struct reasm_conn *c, struct http_txn *t)
{
    struct stream_worker *w = user;
    (void)c;
    if (w->sink->rows && !sink_record(w->sink->self, w->index, HT_HTTP, t))
        w->rows_lost++;
}

/* ---- the sink ---- */

static bool streams_enabled(const struct netsift_conf *conf)
{
    return (conf->http && conf->db_write) || conf->extract_files[0] || conf->streams[0];
}

/* The memory budget lowers --stream-memcap no further: its HTTP quarter
 * bounds the HTTP connections open at once, and on the bench file (a merge
 * of many captures) 32M loses 6% of the HTTP transactions, 48M none. */
#define STREAM_MEMCAP_MIN ((uint64_t)48 << 20)
/* A full memcap costs a third more than it counts (the allocator's headers,
 * buffers rounded up): 48M took 63.5 MiB on the hello flood of
 * bench/memory.sh. */
#define STREAM_MEMCAP_COST (4.0 / 3.0)

static void streams_memory(struct memory_plan *p, struct netsift_conf *conf, unsigned nworkers)
{
    (void)nworkers;
    memory_cap(p, "reassembly", &conf->stream_memcap, STREAM_MEMCAP_COST, STREAM_MEMCAP_MIN,
               conf_given(conf, "stream_memcap"));
}

/* Open (creating it if its parent exists) an output directory. */
static int open_dir(const char *opt, const char *path, char *err, size_t errlen)
{
    if (mkdir(path, 0750) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "--%s: cannot create directory '%s': %s", opt, path, strerror(errno));
        return -1;
    }
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        snprintf(err, errlen, "--%s: '%s': %s", opt, path, strerror(errno));
    return fd;
}

static int streams_open(struct sink *s, const struct netsift_conf *conf, unsigned nworkers,
                        char *err, size_t errlen)
{
    struct stream_sink *ss = calloc(1, sizeof *ss + nworkers * sizeof(struct stream_worker));
    if (!ss) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->state = ss;
    ss->self = s;
    ss->nworkers = nworkers;
    ss->extract_fd = ss->streams_fd = -1;
    pthread_mutex_init(&ss->create_lock, NULL);
    ss->http = conf->http || conf->extract_files[0];
    ss->rows = conf->http && conf->db_write;
    snprintf(ss->extract_dir, sizeof ss->extract_dir, "%s", conf->extract_files);
    snprintf(ss->streams_dir, sizeof ss->streams_dir, "%s", conf->streams);
    if (conf->extract_files[0] && (ss->extract_fd = open_dir("extract-files", conf->extract_files, err, errlen)) < 0)
        return -1;
    if (conf->streams[0] && (ss->streams_fd = open_dir("streams", conf->streams, err, errlen)) < 0)
        return -1;
    unsigned nslots = FD_SLOTS_MIN;
    if (ss->streams_fd >= 0) {
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
            if (rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                setrlimit(RLIMIT_NOFILE, &rl);
                getrlimit(RLIMIT_NOFILE, &rl);
            }
            if (rl.rlim_cur > FD_RESERVE + (rlim_t)nworkers * FD_SLOTS_MIN)
                nslots = (unsigned)((rl.rlim_cur - FD_RESERVE) / nworkers);
            if (nslots > FD_SLOTS_MAX)
                nslots = FD_SLOTS_MAX;
        }
    }
    uint64_t share = conf->stream_memcap / nworkers;
    struct reasm_conf rc = {.memcap = share - share / 4,
                            .conn_memcap = (uint32_t)conf->stream_conn_memcap,
                            .idle_us = conf->stream_idle_timeout * 1000000ull};
    struct reasm_callbacks cb = {on_open, on_data, on_gap, on_close};
    for (unsigned i = 0; i < nworkers; i++) {
        struct stream_worker *w = &ss->w[i];
        w->sink = ss;
        w->index = i;
        w->http.out = (struct body_out){.dirfd = ss->extract_fd, .worker = i};
        w->http.memcap = share / 4;
        w->http.emit = on_txn;
        w->http.user = w;
        w->nslots = nslots;
        w->slots = calloc(nslots, sizeof *w->slots);
        w->reasm = reasm_new(&rc, &cb, w);
        if (!w->reasm || !w->slots) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    return 0;
}

static void streams_packet(struct sink *s, unsigned worker, const struct packet *pkt)
{
    struct stream_sink *ss = s->state;
    if (packet_is_ip4_fragment(pkt))
        return; /* its datagram comes whole after the last fragment */
    reasm_packet(ss->w[worker].reasm, pkt);
}

static void add_stats(struct reasm_stats *a, const struct reasm_stats *b)
{
    const uint64_t *src = (const uint64_t *)b;
    uint64_t *dst = (uint64_t *)a;
    for (size_t i = 0; i < sizeof *a / sizeof(uint64_t); i++)
        dst[i] += src[i];
}

static void add_http_stats(struct http_stats *a, const struct http_stats *b)
{
    const uint64_t *src = (const uint64_t *)b;
    uint64_t *dst = (uint64_t *)a;
    for (size_t i = 0; i < sizeof *a / sizeof(uint64_t); i++)
        dst[i] += src[i];
}

/* The workers stopped: end every connection (its last transactions are
 * handed on while the headers sink is still open) and sum the counters. */
static void streams_finish(struct sink *s)
{
    struct stream_sink *ss = s->state;
    for (unsigned i = 0; i < ss->nworkers; i++) {
        struct stream_worker *w = &ss->w[i];
        if (!w->reasm)
            continue;
        reasm_flush(w->reasm);
        add_stats(&ss->rs, reasm_stats(w->reasm));
        reasm_free(w->reasm);
        w->reasm = NULL;
        add_http_stats(&ss->hs, &w->http.st);
        ss->extracted += w->http.out.files;
        ss->extract_errors += w->http.out.write_errors;
        ss->stream_files += w->stream_files;
        ss->stream_errors += w->stream_errors;
        ss->rows_lost += w->rows_lost;
    }
}

static int streams_close(struct sink *s, char *err, size_t errlen)
{
    struct stream_sink *ss = s->state;
    if (!ss)
        return 0;
    int rc = 0;
    if (ss->extract_fd >= 0 && close(ss->extract_fd) != 0)
        rc = -1;
    if (ss->streams_fd >= 0 && close(ss->streams_fd) != 0)
        rc = -1;
    ss->extract_fd = ss->streams_fd = -1;
    if (rc)
        snprintf(err, errlen, "closing output directories: %s", strerror(errno));
    return rc;
}

static bool streams_degraded(struct sink *s)
{
    struct stream_sink *ss = s->state;
    return ss && (ss->extract_errors || ss->stream_errors);
}

/* The summary's counters: name and place in the stats struct. */
struct counter {
    const char *name;
    size_t offset;
};
#define RS(name, field) {name, offsetof(struct reasm_stats, field)}
#define HS(name, field) {name, offsetof(struct http_stats, field)}
static const struct counter reasm_counters[] = {
    RS("bytes", bytes), RS("ignored_bytes", ignored_bytes),
    RS("retransmitted_bytes", retrans_bytes), RS("overlap_conflicts", overlap_conflicts),
    RS("out_of_order_segments", ooo_segments), RS("gaps", gaps), RS("gap_bytes", gap_bytes),
    RS("memcap_gaps", memcap_gaps), RS("alloc_failures", alloc_failures),
    RS("peak_memory", peak_memory),
};
static const struct counter http_counters[] = {
    HS("connections", connections), HS("requests", requests), HS("responses", responses),
    HS("transactions", transactions), HS("unmatched_responses", unmatched_responses),
    HS("with_gaps", gaps), HS("resyncs", resyncs), HS("head_too_large", head_too_large),
    HS("bad_chunk", bad_chunk), HS("bad_content_length", bad_length),
    HS("pending_overflow", pending_overflow), HS("memcap_hits", memcap_hits),
    HS("decode_errors", decode_errors),
};

static void streams_report(struct sink *s, struct report *r)
{
    struct stream_sink *ss = s->state;
    const struct reasm_stats *st = &ss->rs;
    report_u64(r, "segments", st->segments);
    report_u64(r, "connections", st->connections);
    report_u64(r, "midstream", st->midstream);
    report_section(r, "ended");
    for (int i = 0; i < REASM_END_COUNT; i++)
        report_u64(r, reasm_end_name((enum reasm_end)i), st->ended[i]);
    report_end_section(r);
    for (size_t i = 0; i < sizeof reasm_counters / sizeof reasm_counters[0]; i++)
        report_u64(r, reasm_counters[i].name,
                   *(const uint64_t *)((const char *)st + reasm_counters[i].offset));
    report_section(r, "http");
    for (size_t i = 0; i < sizeof http_counters / sizeof http_counters[0]; i++)
        report_u64(r, http_counters[i].name,
                   *(const uint64_t *)((const char *)&ss->hs + http_counters[i].offset));
    report_u64(r, "rows_lost", ss->rows_lost);
    report_end_section(r);
    if (ss->extract_dir[0]) {
        report_str(r, "extract_dir", ss->extract_dir);
        report_u64(r, "files_extracted", ss->extracted);
        report_u64(r, "extract_errors", ss->extract_errors);
    }
    if (ss->streams_dir[0]) {
        report_str(r, "streams_dir", ss->streams_dir);
        report_u64(r, "stream_files", ss->stream_files);
        report_u64(r, "stream_errors", ss->stream_errors);
    }
}

static void streams_destroy(struct sink *s)
{
    struct stream_sink *ss = s->state;
    if (!ss)
        return;
    for (unsigned i = 0; i < ss->nworkers; i++) {
        reasm_free(ss->w[i].reasm);
        free(ss->w[i].slots);
    }
    if (ss->extract_fd >= 0)
        close(ss->extract_fd);
    if (ss->streams_fd >= 0)
        close(ss->streams_fd);
    pthread_mutex_destroy(&ss->create_lock);
    free(ss);
    s->state = NULL;
}

const struct sink_ops streams_sink_ops = {
    .name = "streams",
    .datagrams = true,
    .enabled = streams_enabled,
    .memory = streams_memory,
    .open = streams_open,
    .packet = streams_packet,
    .degraded = streams_degraded,
    .finish = streams_finish,
    .close = streams_close,
    .report = streams_report,
    .destroy = streams_destroy,
};
