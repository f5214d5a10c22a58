/*
 * capture.c - the capture loop.
 *
 * Reads packets from the source, decodes each one once into a struct
 * packet, hands it to every enabled sink, ticks the sinks on wall-clock
 * time, and stops at end of file, after --count packets, on SIGINT or
 * SIGTERM, or when a sink reports a fatal error.  Whatever happens, the
 * sinks are closed (which commits what they hold) and the summary is
 * printed.  Exit status: 0 done, 1 runtime failure (or a sink that went
 * on degraded), 2 usage error.
 */
#define _GNU_SOURCE
#include "capture.h"

#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "../decode/community_id.h"
#include "../decode/packet.h"
#include "../sink/sink.h"
#include "../util/fsutil.h"
#include "../util/progress.h"
#include "budget.h"
#include "pipeline.h"
#include "source.h"

#define MAX_SINKS 16
#define MAX_SERVICES 8
/* For the memory budget: the process with no sink (libraries, decoders,
 * thread stacks), measured decoding the bench file with 1 worker: 11 MiB. */
#define PROCESS_BASE_BYTES ((uint64_t)12 << 20)
/* the bench file holds 2.9 MiB of fragments at its peak */
#define DEFRAG_MEMCAP_MIN ((uint64_t)4 << 20)
/* SQLite's page caches: the process grows by about 1.2 MiB per MiB of
 * them (page headers, the allocator); lowered to no less than 16 MiB
 * (headers.sqlite 8, the others 4 each) */
#define CACHE_MIB_MIN 16

struct capture {
    const struct netsift_conf *conf;
    struct source src;
    struct sink sinks[MAX_SINKS];
    size_t nsinks;
    struct sink_host host; /* the sinks' record() channel */
    pthread_mutex_t query_lock; /* capture_query() against the sinks' closing */
    bool sinks_answer;          /* under query_lock: open, not closing yet */
    const struct capture_service_ops *service[MAX_SERVICES];
    void *service_state[MAX_SERVICES];
    size_t nservices;           /* started */
    unsigned nworkers;
    struct pipeline *pipeline;
    struct decode_counters counters; /* filled when the pipeline stops */
    struct memory_plan memory;
    uint64_t start_us;
};

static volatile sig_atomic_t stop_requested, stats_requested;
static pcap_t *volatile active_pcap;

static void on_stop_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
    if (active_pcap)
        pcap_breakloop(active_pcap);
}

static void on_stats_signal(int sig)
{
    (void)sig;
    stats_requested = 1;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_stats_signal;
    sigaction(SIGUSR1, &sa, NULL);
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
    struct capture *cap = (struct capture *)user;
    /* pcap stores seconds as 32 bits that libpcap sign-extends; read them
     * as unsigned so that captures after 2038 keep their time */
    uint64_t secs = h->ts.tv_sec < 0 ? (uint32_t)h->ts.tv_sec : (uint64_t)h->ts.tv_sec;
    uint64_t ts = secs * 1000000u + (uint64_t)h->ts.tv_usec;
    pipeline_packet(cap->pipeline, ts, h->caplen, h->len, bytes);
    if (cap->conf->count && pipeline_packets(cap->pipeline) >= cap->conf->count)
        pcap_breakloop(cap->src.pcap);
}

static void print_kernel_stats(struct capture *cap)
{
    struct pcap_stat ps;
    if (cap->src.live && pcap_stats(cap->src.pcap, &ps) == 0)
        fprintf(stderr, "netsift: %s: %u packets received by filter, %u dropped by kernel, %u dropped by interface\n",
                cap->src.name, ps.ps_recv, ps.ps_drop, ps.ps_ifdrop);
}

static _Atomic uint64_t live_packets, live_kernel_drops, live_interface_drops;

void capture_live_stats(struct capture_live_stats *out)
{
    out->packets = atomic_load_explicit(&live_packets, memory_order_relaxed);
    out->kernel_drops = atomic_load_explicit(&live_kernel_drops, memory_order_relaxed);
    out->interface_drops = atomic_load_explicit(&live_interface_drops, memory_order_relaxed);
    struct pipeline_live pl;
    pipeline_live(&pl);
    out->truncated = pl.truncated_packets;
    out->malformed = pl.malformed_packets;
    out->queue_full_waits = pl.queue_full_waits;
    out->queue_dropped = pl.queue_dropped;
}

/* Publish the figures of capture_live_stats(), at most once a second. */
static void publish_live_stats(struct capture *cap, uint64_t now_us)
{
    static uint64_t last_us;
    struct pcap_stat ps;
    atomic_store_explicit(&live_packets, pipeline_packets(cap->pipeline), memory_order_relaxed);
    if (!cap->src.live || now_us - last_us < 1000000 || pcap_stats(cap->src.pcap, &ps) != 0)
        return;
    last_us = now_us;
    atomic_store_explicit(&live_kernel_drops, ps.ps_drop, memory_order_relaxed);
    atomic_store_explicit(&live_interface_drops, ps.ps_ifdrop, memory_order_relaxed);
}

/* Tick the pipeline; returns the first fatal sink error or NULL. */
static const char *tick_sinks(struct capture *cap, uint64_t now_us)
{
    pipeline_tick(cap->pipeline, now_us);
    for (size_t i = 0; i < cap->nsinks; i++) {
        struct sink *s = &cap->sinks[i];
        const char *e = s->ops->error ? s->ops->error(s) : NULL;
        if (e)
            return e;
    }
    return NULL;
}

/* The loop.  Returns 0 or 1 with a reason in err. */
static int run_loop(struct capture *cap, char *err, size_t errlen)
{
    struct progress prog;
    bool tty = isatty(STDERR_FILENO) && !cap->conf->quiet && !cap->src.live;
    progress_init(&prog, cap->src.file_size, tty, cap->start_us);
    int fd = cap->src.live ? pcap_get_selectable_fd(cap->src.pcap) : -1;
    int wait_ms = cap->conf->process_interval < 250 ? (int)cap->conf->process_interval : 250;
    int rc = 0;

    while (!stop_requested) {
        if (cap->src.live && fd >= 0) {
            struct pollfd pfd = {fd, POLLIN, 0};
            if (poll(&pfd, 1, wait_ms) < 0 && errno != EINTR) {
                snprintf(err, errlen, "interface '%s': poll: %s", cap->src.name, strerror(errno));
                rc = 1;
                break;
            }
        }
        int n = pcap_dispatch(cap->src.pcap, cap->src.live ? -1 : 4096, on_packet, (u_char *)cap);
        uint64_t now = monotonic_us();
        if (n == PCAP_ERROR) {
            snprintf(err, errlen, "%s '%s': %s", cap->src.live ? "interface" : "reading",
                     cap->src.name, pcap_geterr(cap->src.pcap));
            rc = 1;
            break;
        }
        const char *sink_err = tick_sinks(cap, now);
        if (sink_err) {
            snprintf(err, errlen, "%s", sink_err);
            rc = 1;
            break;
        }
        progress_update(&prog, source_position(&cap->src), pipeline_packets(cap->pipeline), now);
        publish_live_stats(cap, now);
        if (stats_requested) {
            stats_requested = 0;
            print_kernel_stats(cap);
        }
        if (n == PCAP_ERROR_BREAK || (n == 0 && !cap->src.live))
            break; /* --count reached, signal, or end of file */
    }
    progress_finish(&prog);
    return rc;
}

static void report_layers(struct report *r, const char *name, const uint64_t *counts, bool all)
{
    report_section(r, name);
    for (int l = 0; l < LAYER_COUNT; l++)
        if (all || counts[l])
            report_u64(r, layer_name((enum layer)l), counts[l]);
    report_end_section(r);
}

static void print_summary(struct capture *cap)
{
    const struct decode_counters *c = &cap->counters;
    struct report r;
    double secs = (double)(monotonic_us() - cap->start_us) / 1e6;
    report_begin(&r, stdout, cap->conf->json);
    report_str(&r, "source", cap->src.name);
    report_str(&r, "mode", cap->src.live ? "live" : "file");
    report_str(&r, "linktype", pcap_datalink_val_to_name(cap->src.linktype)
                                   ? pcap_datalink_val_to_name(cap->src.linktype) : "unknown");
    if (cap->conf->filter[0])
        report_str(&r, "filter", cap->conf->filter);
    report_u64(&r, "workers", cap->nworkers);
    report_u64(&r, "packets", c->packets);
    report_u64(&r, "bytes", c->bytes);
    report_layers(&r, "decoded", c->decoded, true);
    report_u64(&r, "truncated_packets", c->truncated_packets);
    report_layers(&r, "truncated", c->truncated, false);
    report_u64(&r, "malformed_packets", c->malformed_packets);
    report_layers(&r, "malformed", c->malformed, false);
    report_u64(&r, "unknown_linktype", c->unknown_linktype);
    report_u64(&r, "payload_not_decoded", c->not_decoded);
    report_u64(&r, "queue_full_waits", c->queue_full_waits);
    report_u64(&r, "queue_dropped", c->queue_dropped);
    report_section(&r, "memory");
    report_u64(&r, "budget", cap->memory.budget);
    report_u64(&r, "planned", cap->memory.planned_bytes);
    report_u64(&r, "caps_percent", cap->memory.caps_percent);
    report_section(&r, "plan"); /* what each part may hold, in bytes */
    for (size_t i = 0; i < cap->memory.n; i++)
        report_u64(&r, cap->memory.item[i].what, memory_item_bytes(&cap->memory.item[i]));
    report_end_section(&r);
    report_end_section(&r);
    if (c->defrag.fragments) {
        report_section(&r, "defrag");
        report_u64(&r, "fragments", c->defrag.fragments);
        report_u64(&r, "datagrams", c->defrag.datagrams);
        report_u64(&r, "overlap_bytes", c->defrag.overlap_bytes);
        report_u64(&r, "overlap_conflicts", c->defrag.overlap_conflicts);
        report_u64(&r, "bad_fragments", c->defrag.bad_fragments);
        report_u64(&r, "timed_out", c->defrag.timed_out);
        report_u64(&r, "evicted", c->defrag.evicted);
        report_u64(&r, "incomplete", c->defrag.incomplete);
        report_u64(&r, "peak_memory", c->defrag.peak_memory);
        report_u64(&r, "queue_dropped", c->defrag.queue_dropped);
        report_end_section(&r);
    }
    struct pcap_stat ps;
    if (cap->src.live && cap->src.pcap && pcap_stats(cap->src.pcap, &ps) == 0) {
        report_section(&r, "kernel");
        report_u64(&r, "received", ps.ps_recv);
        report_u64(&r, "dropped", ps.ps_drop);
        report_u64(&r, "interface_dropped", ps.ps_ifdrop);
        report_end_section(&r);
    }
    for (size_t i = 0; i < cap->nsinks; i++) {
        if (!cap->sinks[i].ops->report)
            continue;
        report_section(&r, cap->sinks[i].ops->name);
        cap->sinks[i].ops->report(&cap->sinks[i], &r);
        report_end_section(&r);
    }
    for (size_t i = 0; i < cap->nservices; i++) {
        if (!cap->service[i]->report)
            continue;
        report_section(&r, cap->service[i]->name);
        cap->service[i]->report(cap->service_state[i], &r);
        report_end_section(&r);
    }
    report_double(&r, "elapsed_s", secs);
    report_double(&r, "packets_per_s", secs > 0 ? (double)c->packets / secs : 0);
    report_end(&r);
}

/* Become `user` for good (groups, gid, uid), as tcpdump -Z does after
 * opening the capture source.  0, or -1 with a reason in err. */
static int drop_privileges(const char *user, char *err, size_t errlen)
{
    errno = 0;
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        snprintf(err, errlen, "--user %s: %s", user, errno ? strerror(errno) : "no such user");
        return -1;
    }
    if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
        setuid(pw->pw_uid) != 0) {
        snprintf(err, errlen, "--user %s: cannot change to that user: %s", user, strerror(errno));
        return -1;
    }
    if (pw->pw_uid != 0 && setuid(0) == 0) {
        snprintf(err, errlen, "--user %s: root privileges could be regained; refusing to go on", user);
        return -1;
    }
    /* and none gained again through a set-user-id or file-capability
     * program this process might execute (as OpenSSH's sandbox does) */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        snprintf(err, errlen, "--user %s: cannot set no_new_privs: %s", user, strerror(errno));
        return -1;
    }
    return 0;
}

/* True when dir is a folder directly inside db_path ("DB/files"). */
static bool inside_db_path(const char *dir, const char *db_path)
{
    size_t n = strlen(db_path);
    return dir[0] && n && strncmp(dir, db_path, n) == 0 && dir[n] == '/' && dir[n + 1] &&
           !strchr(dir + n + 1, '/');
}

/* Fit the caps the user did not set to --memory (budget.h), before the
 * sinks open and size themselves by them. */
static void plan_memory(struct capture *cap, struct netsift_conf *conf)
{
    struct memory_plan *p = &cap->memory;
    memory_plan_init(p, conf->memory);
    memory_fixed(p, "process", PROCESS_BASE_BYTES);
    if (cap->nworkers > 1 || cap->src.may_block)
        memory_fixed(p, "worker queues", (uint64_t)cap->nworkers * conf->queue_size);
    if (cap->src.live)
        memory_fixed(p, "kernel capture ring", (uint64_t)conf->buffer_size << 10);
    unsigned cache_used = conf_cache_total_mib(conf);
    if (cache_used && conf->cache_mib)
        memory_cap(p, "SQLite page caches", &conf->cache_mib,
                   1.2 * (1 << 20) * cache_used / (double)conf->cache_mib, CACHE_MIB_MIN,
                   conf_given(conf, "cache_mib"));
    bool datagrams = false;
    for (size_t i = 0; i < sink_registry_count; i++) {
        const struct sink_ops *ops = sink_registry[i];
        if (!ops->enabled(conf))
            continue;
        datagrams |= ops->datagrams;
        if (ops->memory)
            ops->memory(p, conf, cap->nworkers);
    }
    if (datagrams)
        memory_cap(p, "IPv4 fragments", &conf->defrag_memcap, 1, DEFRAG_MEMCAP_MIN,
                   conf_given(conf, "defrag_memcap"));
    /* with the default budget, the summary's memory section says it; a
     * warning on every run of a capture with every sink on would be noise
     * (its estimate is for the worst traffic of every cap at once: on the
     * floods of bench/memory.sh it peaks under 256 MiB all the same) */
    if (!memory_plan_fit(p) && conf_given(conf, "memory"))
        fprintf(stderr,
                "netsift capture: warning: --memory %" PRIu64 "M is less than this capture may need "
                "with its caps at their least (about %" PRIu64 "M); raise --memory or lower the caps you set\n",
                p->budget >> 20, p->planned_bytes / (100 - MEMORY_SLACK_PERCENT) * 100 >> 20);
}

/* sink_host.record: a record one sink hands on, to every sink taking records. */
static bool hand_record(struct sink_host *h, unsigned worker, size_t table, const void *rec)
{
    struct capture *cap = (struct capture *)((char *)h - offsetof(struct capture, host));
    bool taken = false;
    for (size_t i = 0; i < cap->nsinks; i++)
        if (cap->sinks[i].ops->record)
            taken |= cap->sinks[i].ops->record(&cap->sinks[i], worker, table, rec);
    return taken;
}

bool capture_query(struct capture *cap, const char *kind, const char *arg,
                   void (*line)(void *ctx, const char *text), void *ctx)
{
    bool answered = false;
    pthread_mutex_lock(&cap->query_lock);
    for (size_t i = 0; cap->sinks_answer && i < cap->nsinks; i++)
        if (cap->sinks[i].ops->query)
            answered |= cap->sinks[i].ops->query(&cap->sinks[i], kind, arg, line, ctx);
    pthread_mutex_unlock(&cap->query_lock);
    return answered;
}

/* Start every enabled service; 0, or -1 with the reason in err. */
static int start_services(struct capture *cap, const struct capture_service_ops *const *services,
                          size_t n, char *err, size_t errlen)
{
    for (size_t i = 0; i < n && cap->nservices < MAX_SERVICES; i++) {
        if (!services[i]->enabled(cap->conf))
            continue;
        void *state = NULL;
        int rc = services[i]->start(&state, cap, cap->conf, err, errlen);
        cap->service[cap->nservices] = services[i];
        cap->service_state[cap->nservices++] = state;
        if (rc != 0)
            return -1;
    }
    return 0;
}

static void stop_services(struct capture *cap)
{
    for (size_t i = 0; i < cap->nservices; i++)
        cap->service[i]->stop(cap->service_state[i]);
}

static void destroy_services(struct capture *cap)
{
    for (size_t i = 0; i < cap->nservices; i++)
        cap->service[i]->destroy(cap->service_state[i]);
    cap->nservices = 0;
}

static int open_sinks(struct capture *cap, char *err, size_t errlen)
{
    /* output folders given inside the database folder (--audit DB/audit,
     * --extract-files DB/files, --streams DB/flows) need it first, whichever
     * sink opens first */
    const struct netsift_conf *c = cap->conf;
    if ((inside_db_path(c->audit_dir, c->db_path) || inside_db_path(c->extract_files, c->db_path) ||
         inside_db_path(c->streams, c->db_path)) &&
        ensure_dir(c->db_path, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < sink_registry_count && cap->nsinks < MAX_SINKS; i++) {
        const struct sink_ops *ops = sink_registry[i];
        if (!ops->enabled(cap->conf))
            continue;
        struct sink *s = &cap->sinks[cap->nsinks++];
        s->ops = ops;
        s->state = NULL;
        s->host = &cap->host;
        if (ops->open(s, cap->conf, cap->nworkers, err, errlen) != 0)
            return -1;
    }
    return 0;
}

/* Close every sink; the first error goes to err.  Returns 0 or 1. */
static int close_sinks(struct capture *cap, char *err, size_t errlen, bool keep_err)
{
    int rc = 0;
    pthread_mutex_lock(&cap->query_lock); /* a query running ends first */
    cap->sinks_answer = false;
    pthread_mutex_unlock(&cap->query_lock);
    for (size_t i = 0; i < cap->nsinks; i++)
        if (cap->sinks[i].ops->finish && cap->sinks[i].state)
            cap->sinks[i].ops->finish(&cap->sinks[i]);
    for (size_t i = 0; i < cap->nsinks; i++) {
        char e[8192];
        if (cap->sinks[i].ops->close(&cap->sinks[i], e, sizeof e) != 0 && rc == 0) {
            rc = 1;
            if (!keep_err)
                snprintf(err, errlen, "%s", e);
        }
    }
    return rc;
}

/* True when a sink lost part of its work without stopping the capture. */
static bool sinks_degraded(struct capture *cap)
{
    for (size_t i = 0; i < cap->nsinks; i++)
        if (cap->sinks[i].ops->degraded && cap->sinks[i].ops->degraded(&cap->sinks[i]))
            return true;
    return false;
}

static void destroy_sinks(struct capture *cap)
{
    for (size_t i = 0; i < cap->nsinks; i++)
        cap->sinks[i].ops->destroy(&cap->sinks[i]);
    cap->nsinks = 0;
}

/* The capture does not start after all: services and sinks go without
 * closing (nothing came to commit). */
static void abandon(struct capture *cap)
{
    pthread_mutex_lock(&cap->query_lock);
    cap->sinks_answer = false;
    pthread_mutex_unlock(&cap->query_lock);
    destroy_services(cap);
    destroy_sinks(cap);
}

int capture_main(int argc, char **argv, const struct capture_service_ops *const *services,
                 size_t nservices)
{
    static struct netsift_conf conf;
    char err[8192] = "";
    conf_defaults(&conf);
    int prc = conf_parse_capture_args(&conf, argc, argv, err, sizeof err);
    if (prc == 1)
        return 0;
    if (prc != 0) {
        fprintf(stderr, "netsift capture: %s\n", err);
        return 2;
    }
    if (conf.encoders) { /* the sinks that write kinds of records list them */
        for (size_t i = 0; i < sink_registry_count; i++)
            if (sink_registry[i]->catalog)
                sink_registry[i]->catalog(stdout);
        return 0;
    }
    for (size_t i = 0; i < sink_registry_count; i++) { /* each sink's options: usage errors */
        const struct sink_ops *ops = sink_registry[i];
        if (ops->check && ops->enabled(&conf) && ops->check(&conf, err, sizeof err) != 0) {
            fprintf(stderr, "netsift capture: %s\n", err);
            return 2;
        }
    }

    struct capture *cap = calloc(1, sizeof *cap);
    if (!cap) {
        fprintf(stderr, "netsift capture: out of memory\n");
        return 1;
    }
    cap->conf = &conf;
    cap->host.record = hand_record;
    pthread_mutex_init(&cap->query_lock, NULL);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    /* default: a worker per core (on 2 cores, everything at once, monitoring and
     * audit records are faster with 2 workers; headers alone with 1: bench/README.md) */
    cap->nworkers = conf.workers ? conf.workers
                                 : (unsigned)(cores < 1 ? 1 : cores > 64 ? 64 : cores);
    int rc = source_open(&cap->src, &conf, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "netsift capture: %s\n", err);
        free(cap);
        return rc;
    }
    conf.source_linktype = cap->src.linktype;
    community_id_set_seed((uint16_t)conf.community_id_seed);
    conf.source_snaplen = (uint32_t)pcap_snapshot(cap->src.pcap);
    if (conf.user[0] && drop_privileges(conf.user, err, sizeof err) != 0) {
        fprintf(stderr, "netsift capture: %s\n", err);
        source_close(&cap->src);
        free(cap);
        return 1;
    }
    plan_memory(cap, &conf);
    if (open_sinks(cap, err, sizeof err) != 0) {
        fprintf(stderr, "netsift capture: %s\n", err);
        destroy_sinks(cap);
        source_close(&cap->src);
        free(cap);
        return 1;
    }
    cap->sinks_answer = true;
    if (start_services(cap, services, nservices, err, sizeof err) != 0) {
        fprintf(stderr, "netsift capture: %s\n", err);
        abandon(cap);
        source_close(&cap->src);
        free(cap);
        return 1;
    }
    if (!decode_linktype_supported(cap->src.linktype))
        fprintf(stderr, "netsift capture: warning: link type %s is not decoded; packets are counted as unknown\n",
                pcap_datalink_val_to_name(cap->src.linktype) ? pcap_datalink_val_to_name(cap->src.linktype)
                                                             : "?");
    struct pipeline_conf pc = {
        .nworkers = cap->nworkers,
        .linktype = cap->src.linktype,
        .tick_interval_ms = conf.process_interval,
        .reader_may_block = cap->src.may_block,
        .queue_bytes = (size_t)conf.queue_size,
        .queue_drop = conf.queue_drop,
        .defrag_memcap = conf.defrag_memcap,
        .defrag_timeout_us = conf.defrag_timeout * 1000000ull,
    };
    cap->pipeline = pipeline_start(&pc, cap->sinks, cap->nsinks, err, sizeof err);
    if (!cap->pipeline) {
        fprintf(stderr, "netsift capture: %s\n", err);
        abandon(cap);
        source_close(&cap->src);
        free(cap);
        return 1;
    }
    active_pcap = cap->src.pcap;
    install_signals();
    if (cap->src.live && !conf.quiet)
        fprintf(stderr, "netsift: listening on %s, link-type %s, snapshot length %u bytes\n",
                cap->src.name, pcap_datalink_val_to_name(cap->src.linktype)
                                   ? pcap_datalink_val_to_name(cap->src.linktype) : "?",
                conf.snaplen);
    cap->start_us = monotonic_us();

    rc = run_loop(cap, err, sizeof err);
    pipeline_stop(cap->pipeline, &cap->counters); /* every queued packet reaches the sinks */
    cap->pipeline = NULL;
    int crc = close_sinks(cap, err, sizeof err, rc != 0);
    stop_services(cap); /* after the sinks: the sync's last pass finds what they committed */
    if (rc == 0)
        rc = crc;
    if (rc != 0)
        fprintf(stderr, "netsift capture: %s\n", err);
    print_summary(cap);
    if (rc == 0 && cap->src.live)
        print_kernel_stats(cap);
    if (rc == 0 && sinks_degraded(cap))
        rc = 1; /* the sink has said why */
    active_pcap = NULL;
    destroy_services(cap);
    destroy_sinks(cap);
    source_close(&cap->src);
    pthread_mutex_destroy(&cap->query_lock);
    free(cap);
    return rc;
}
