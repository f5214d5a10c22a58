/*
 * monitor_sink.c - the device monitor as a sink.
 *
 * Each worker runs its own nDPI module and flow table (monitor_worker.h)
 * and fills its own batch of rows for DB_PATH/fingerprint.sqlite, handed
 * to the one writer thread when it holds its share of batch_rows rows or
 * of MONITOR_BATCH_MEMORY (monitor_add_row()), or every process_interval.
 * On tick a worker publishes its counters and a snapshot of its most
 * recent flows and merges its device notes into the shared book; worker 0 writes the devices that changed (one producer,
 * so the rows of a device are committed in the order they were made).  The
 * control socket (a service of the capture, control/service.c) asks the
 * sink for its counters and flows (sink_ops.query), which read only what
 * the workers published.
 */
#define _GNU_SOURCE
#include <sqlite3.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../capture/budget.h"
#include "../sink/sink.h"
#include "../db/sqlite_writer.h"
#include "../util/fsutil.h"
#include "../util/text.h"
#include "monitor_tables.h"
#include "monitor_worker.h"

#define PUBLISH_EVERY_US 250000   /* counters, flow snapshot, devices */
#define MAX_DEVICES 16384         /* devices the book holds */
/* Flows gathering fingerprint inputs at once, all workers: a quarter of
 * --max-flows (65,536 at the default), as for nDPI's detection state. */
#define COLLECTORS_PER_FLOWS 4
#define FLOWS_REPLY_MAX 4096      /* QUERY_FLOWS lines at most */
#define UDP_IDLE_S 120
#define TCP_IDLE_S 300
#define CLOSED_LINGER_S 10        /* a closed TCP flow waits this long for late packets */
/* What the batches in circulation may hold together.  A flows row with
 * its fingerprint takes about 270 bytes: a file read at full speed (no
 * process_interval passes) kept batch_rows of them per worker, up to
 * 27 MB a batch, and ending every flow at the capture's end put them all
 * in one.  The monitor writes a row per flow, not per packet: batches
 * of a few thousand rows cost nothing in commits (on the bench file with
 * --flow-log, 2 workers: 80 MiB peak, the same as before, where a file
 * twice as long took 98 MiB before and 81 now). */
#define MONITOR_BATCH_MEMORY ((size_t)4 << 20)
/* For the memory budget (capture/budget.h): what a flow at the --max-flows
 * cap takes, measured.  On a SYN flood (every flow one SYN) 400 bytes:
 * struct flow and the quarter of nDPI's 688-byte detection state it may
 * hold.  On the hello flood of bench/memory.sh (every flow a SYN and the
 * first 1,200 bytes of a TLS ClientHello or HTTP head that never ends)
 * 1,480 bytes: nDPI's TLS buffer and a fingerprint collector with the
 * bytes it waits on, for a quarter of the flows each.  nDPI's detection
 * module takes about 7 MiB per worker. */
#define FLOW_BYTES 1536
#define NDPI_MODULE_BYTES ((uint64_t)7 << 20)
/* the memory budget lowers --max-flows no further: at 24,000 flows, 581
 * flows of the bench file found no room for nDPI state (a quarter) */
#define MAX_FLOWS_MIN 32768

struct mworker {
    struct monitor_worker m;
    uint64_t newest_us; /* the newest packet time seen (clock_us may go back) */
    uint64_t last_flush_us, last_publish_us;
    bool started;
};

struct monitor_sink {
    struct writer *writer;
    struct device_book book;
    char db_file[CONF_PATH_MAX + 32];
    uint64_t interval_us;
    bool live;
    /* --db-max-age: fingerprint and flow rows older than the newest packet
     * by more than this are removed (devices are kept for ever) */
    uint64_t max_age_us;
    _Atomic uint64_t newest_us; /* the workers' newest packet time, at their last flush */
    _Atomic uint64_t aged_at_us; /* monotonic time of the last removal */
    _Atomic bool closing;        /* removal due at the writer's last call */
    uint64_t aged_out[MT_COUNT]; /* the writer thread's until close */
    struct writer_stats stats;
    unsigned nworkers;
    struct mworker workers[];
};

#define AGE_EVERY_US (60 * 1000000ull) /* removals by age at most once a minute */

static uint64_t monotonic_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000;
}

/* writer_opts.after_commit, on the writer thread: at most once a minute
 * (and when the writer closes), the fingerprint and flow rows older than
 * --db-max-age before the newest packet go; a failure is tried again
 * next time. */
static void remove_aged_rows(void *arg, sqlite3 *db)
{
    static const struct {
        int table;
        const char *sql;
    } removals[] = {{MT_FINGERPRINT, "DELETE FROM fingerprint WHERE timestamp < ?1"},
                    {MT_FLOWS, "DELETE FROM flows WHERE last_seen < ?1"}};
    struct monitor_sink *m = arg;
    uint64_t newest = atomic_load(&m->newest_us), now = monotonic_now_us();
    uint64_t last = atomic_load(&m->aged_at_us);
    if (newest <= m->max_age_us ||
        (last && now - last < AGE_EVERY_US && !atomic_load(&m->closing)))
        return;
    atomic_store(&m->aged_at_us, now);
    for (size_t i = 0; i < sizeof removals / sizeof removals[0]; i++) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, removals[i].sql, -1, &st, NULL) != SQLITE_OK)
            continue;
        sqlite3_bind_int64(st, 1, (int64_t)(newest - m->max_age_us));
        if (sqlite3_step(st) == SQLITE_DONE)
            m->aged_out[removals[i].table] += (uint64_t)sqlite3_changes(db);
        sqlite3_finalize(st);
    }
}

static bool monitor_enabled(const struct netsift_conf *conf)
{
    return conf->monitor;
}

static uint64_t realtime_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000;
}

/* ---- what the control socket sees (sink_ops.query) ----------------- */

static void sum_counters(struct monitor_sink *m, struct monitor_counters *sum)
{
    memset(sum, 0, sizeof *sum);
    for (unsigned i = 0; i < m->nworkers; i++) {
        struct monitor_counters c;
        monitor_read_counters(&m->workers[i].m, &c);
        uint64_t *d = (uint64_t *)sum;
        const uint64_t *s = (const uint64_t *)&c;
        for (size_t k = 0; k < sizeof c / sizeof(uint64_t); k++)
            d[k] += s[k];
    }
}

typedef void (*query_line_fn)(void *ctx, const char *text);

static void linef(query_line_fn line, void *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void linef(query_line_fn line, void *ctx, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    line(ctx, text);
}

static void stats_lines(struct monitor_sink *m, query_line_fn line, void *ctx)
{
    struct monitor_counters c;
    sum_counters(m, &c);
    linef(line, ctx, "packets %llu", (unsigned long long)c.packets);
    linef(line, ctx, "flows_active %llu", (unsigned long long)c.flows_active);
    linef(line, ctx, "flows_total %llu", (unsigned long long)c.flows_total);
    linef(line, ctx, "flows_evicted %llu", (unsigned long long)c.evicted);
    linef(line, ctx, "tcp_gaps %llu", (unsigned long long)c.tcp_gaps);
    linef(line, ctx, "tcp_gap_bytes %llu", (unsigned long long)c.tcp_gap_bytes);
    linef(line, ctx, "fingerprints %llu", (unsigned long long)c.fingerprints);
    pthread_mutex_lock(&m->book.lock);
    unsigned devices = m->book.set.count;
    pthread_mutex_unlock(&m->book.lock);
    linef(line, ctx, "devices %u", devices);
}

static void flow_line(query_line_fn line, void *ctx, const struct flow_view *v)
{
    char smac[18] = "", dmac[18] = "", sip[ADDR_TEXT_MAX], dip[ADDR_TEXT_MAX];
    unsigned s = v->init_side;
    size_t alen = v->key.family == 4 ? 4 : 16;
    if (v->has_mac[0])
        mac_format(v->mac[0], smac);
    if (v->has_mac[1])
        mac_format(v->mac[1], dmac);
    format_addr(v->key.addr[s], alen, sip);
    format_addr(v->key.addr[s ^ 1], alen, dip);
    linef(line, ctx, "%s,%s,%u,%s,%u,%s,%u,%u,%s,%llu,%llu,%llu,%llu", smac, dmac, v->key.proto,
          sip, v->key.port[s], dip, v->key.port[s ^ 1], v->key.vlan, v->protocol,
          (unsigned long long)v->packets, (unsigned long long)v->bytes,
          (unsigned long long)v->first_seen, (unsigned long long)v->last_seen);
}

/* The workers' published flow snapshots, those of one MAC address if
 * mac_text is one; FLOWS_REPLY_MAX lines at most. */
static void flows_lines(struct monitor_sink *m, const char *mac_text, query_line_fn line,
                        void *ctx)
{
    uint8_t mac[6];
    bool filter = mac_text && mac_parse(mac_text, mac);
    unsigned n = 0;
    for (unsigned i = 0; i < m->nworkers; i++) {
        struct monitor_worker *w = &m->workers[i].m;
        pthread_mutex_lock(&w->snap_lock);
        for (uint32_t k = 0; k < w->nsnap && n < FLOWS_REPLY_MAX; k++) {
            const struct flow_view *v = &w->snap[k];
            if (!filter || (v->has_mac[0] && !memcmp(v->mac[0], mac, 6)) ||
                (v->has_mac[1] && !memcmp(v->mac[1], mac, 6))) {
                flow_line(line, ctx, v);
                n++;
            }
        }
        pthread_mutex_unlock(&w->snap_lock);
    }
}

static bool monitor_query(struct sink *s, const char *kind, const char *arg, query_line_fn line,
                          void *ctx)
{
    struct monitor_sink *m = s->state;
    if (!m || !m->writer)
        return false;
    if (strcmp(kind, "stats") == 0)
        stats_lines(m, line, ctx);
    else if (strcmp(kind, "flows") == 0)
        flows_lines(m, arg, line, ctx);
    else
        return false;
    return true;
}

/* ---- devices ------------------------------------------------------- */

static void device_to_row(void *arg, const struct device *d)
{
    struct monitor_worker *w = arg;
    char mac[18], ips[DEVICE_MAX_IPS * ADDR_TEXT_MAX], protos[DEVICE_LIST_MAX + 1];
    char group[DEVICE_NAME_MAX + 32];
    mac_format(d->mac, mac);
    device_group(d, group, sizeof group);
    device_format_ips(d, ips, sizeof ips);
    device_format_protocols(d, protos);
    struct device_row row = {
        mac, d->first_seen, d->last_seen, ips[0] ? ips : NULL,
        d->dhcp_host_name[0] ? d->dhcp_host_name : NULL,
        d->dhcp_vendor_class[0] ? d->dhcp_vendor_class : NULL,
        protos[0] ? protos : NULL, d->flows, d->fingerprints,
        mac_locally_administered(d->mac), d->dhcp_client_id[0] ? d->dhcp_client_id : NULL, group,
    };
    monitor_add_row(w, MT_DEVICES, &row);
}

/* The devices table from an earlier capture into this DB_PATH, so that
 * replacing rows keeps their history. */
static void load_devices(struct monitor_sink *m)
{
    char err[256];
    sqlite3 *db = db_open_readonly(m->db_file, err, sizeof err);
    sqlite3_stmt *st = NULL;
    if (!db || sqlite3_prepare_v2(db,
                                  "SELECT mac, first_seen, last_seen, ips, dhcp_host_name, "
                                  "dhcp_vendor_class, protocols, flows, fingerprints, dhcp_client_id FROM devices",
                                  -1, &st, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return;
    }
    while (sqlite3_step(st) == SQLITE_ROW && m->book.set.count < m->book.max) {
        uint8_t mac[6];
        const char *text = (const char *)sqlite3_column_text(st, 0);
        struct device *d = text && mac_parse(text, mac) ? device_get(&m->book.set, mac, 0) : NULL;
        if (!d)
            continue;
        d->first_seen = (uint64_t)sqlite3_column_int64(st, 1);
        d->last_seen = (uint64_t)sqlite3_column_int64(st, 2);
        device_parse_ips(d, (const char *)sqlite3_column_text(st, 3));
        device_set_dhcp(d, (const char *)sqlite3_column_text(st, 4),
                        (const char *)sqlite3_column_text(st, 5),
                        (const char *)sqlite3_column_text(st, 9));
        const char *protos = (const char *)sqlite3_column_text(st, 6);
        snprintf(d->protocols, sizeof d->protocols, "%s", protos ? protos : "");
        d->flows = (uint64_t)sqlite3_column_int64(st, 7);
        d->fingerprints = (uint64_t)sqlite3_column_int64(st, 8);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* ---- the sink ------------------------------------------------------ */

static void timeouts(const struct netsift_conf *conf, uint64_t t[FLOW_LISTS])
{
    uint64_t s = conf->flow_idle_timeout;
    t[FLOW_LIST_OTHER] = (s ? s : UDP_IDLE_S) * 1000000u;
    t[FLOW_LIST_TCP] = (s ? s : TCP_IDLE_S) * 1000000u;
    t[FLOW_LIST_CLOSED] = (s && s < CLOSED_LINGER_S ? s : CLOSED_LINGER_S) * 1000000u;
}

static void monitor_memory(struct memory_plan *p, struct netsift_conf *conf, unsigned nworkers)
{
    memory_fixed(p, "fingerprint.sqlite batches", MONITOR_BATCH_MEMORY);
    memory_fixed(p, "nDPI detection modules", nworkers * NDPI_MODULE_BYTES);
    memory_fixed(p, "devices", device_set_bytes(MAX_DEVICES) +
                                   nworkers * device_set_bytes(MONITOR_DEVICE_NOTES));
    memory_cap(p, "monitor flow table", &conf->max_flows, FLOW_BYTES, MAX_FLOWS_MIN,
               conf_given(conf, "max_flows"));
}

static int monitor_open(struct sink *s, const struct netsift_conf *conf, unsigned nworkers,
                        char *err, size_t errlen)
{
    struct monitor_sink *m = calloc(1, sizeof *m + nworkers * sizeof(struct mworker));
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->state = m;
    m->nworkers = nworkers;
    m->live = conf->interface[0] != '\0';
    m->interval_us = (uint64_t)conf->process_interval * 1000;
    if (ensure_dir(conf->db_path, err, errlen) != 0)
        return -1;
    snprintf(m->db_file, sizeof m->db_file, "%s/fingerprint.sqlite", conf->db_path);
    struct writer_opts wo = {.path = m->db_file, .tables = monitor_tables, .ntables = MT_COUNT,
                             .synchronous = conf->synchronous,
                             .cache_mib = conf_cache_mib(conf, CONF_DB_MONITOR),
                             .batches = nworkers + 2,
                             .batch_rows = conf->batch_rows,
                             .producers = nworkers,
                             .memory = MONITOR_BATCH_MEMORY,
                             .after_commit = conf->db_max_age ? remove_aged_rows : NULL,
                             .after_commit_arg = m};
    m->max_age_us = (uint64_t)conf->db_max_age * 1000000u;
    if (!(m->writer = writer_open(&wo, err, errlen)) || device_book_init(&m->book, MAX_DEVICES) != 0)
        return -1;
    load_devices(m);
    uint64_t t[FLOW_LISTS];
    timeouts(conf, t);
    uint32_t per_worker = conf->max_flows / nworkers > 16 ? (uint32_t)(conf->max_flows / nworkers) : 16;
    for (unsigned i = 0; i < nworkers; i++) {
        struct monitor_worker *w = &m->workers[i].m;
        if (monitor_worker_init(w, per_worker, t, per_worker / COLLECTORS_PER_FLOWS, &m->book,
                                err, errlen) != 0)
            return -1;
        w->flow_log = conf->flow_log;
        w->writer = m->writer;
        if (!(w->batch = writer_get_batch(m->writer))) {
            snprintf(err, errlen, "%s", writer_error(m->writer));
            return -1;
        }
    }
    return 0;
}

static void monitor_sink_packet(struct sink *s, unsigned worker, const struct packet *pkt)
{
    struct monitor_sink *m = s->state;
    monitor_packet(&m->workers[worker].m, pkt);
    if (pkt->timestamp > m->workers[worker].newest_us)
        m->workers[worker].newest_us = pkt->timestamp;
}

static void monitor_tick(struct sink *s, unsigned worker, uint64_t now_us)
{
    struct monitor_sink *m = s->state;
    struct mworker *mw = &m->workers[worker];
    struct monitor_worker *w = &mw->m;
    if (!mw->started) {
        mw->started = true;
        mw->last_flush_us = now_us;
        mw->last_publish_us = now_us - PUBLISH_EVERY_US; /* publish at once */
    }
    if (m->live) { /* no packets is news too: packet time is wall-clock time */
        uint64_t rt = realtime_us();
        if (rt > w->clock_us)
            w->clock_us = rt;
        monitor_expire(w, w->clock_us);
    }
    if (now_us - mw->last_publish_us >= PUBLISH_EVERY_US) {
        monitor_publish(w);
        /* one worker writes the devices: its batches commit in order, so
         * a device's newer row always replaces its older one */
        if (worker == 0)
            device_book_take_dirty(&m->book, device_to_row, w);
        mw->last_publish_us = now_us;
    }
    if (now_us - mw->last_flush_us >= m->interval_us) {
        if (w->batch && w->batch->rows)
            monitor_hand_over(w);
        mw->last_flush_us = now_us;
        uint64_t newest = atomic_load(&m->newest_us);
        while (mw->newest_us > newest &&
               !atomic_compare_exchange_weak(&m->newest_us, &newest, mw->newest_us))
            ;
    }
}

static const char *monitor_error(struct sink *s)
{
    struct monitor_sink *m = s->state;
    return m && m->writer ? writer_error(m->writer) : NULL;
}

static int monitor_close(struct sink *s, char *err, size_t errlen)
{
    struct monitor_sink *m = s->state;
    if (!m || !m->writer)
        return 0;
    for (unsigned i = 0; i < m->nworkers; i++) {
        monitor_end_all(&m->workers[i].m);
        monitor_publish(&m->workers[i].m);
    }
    device_book_take_dirty(&m->book, device_to_row, &m->workers[0].m);
    for (unsigned i = 0; i < m->nworkers; i++) {
        struct monitor_worker *w = &m->workers[i].m;
        if (w->batch)
            writer_submit(m->writer, w->batch);
        w->batch = NULL;
        if (m->workers[i].newest_us > atomic_load(&m->newest_us))
            atomic_store(&m->newest_us, m->workers[i].newest_us);
    }
    atomic_store(&m->closing, true); /* once more as the writer closes, with the last packet */
    int rc = writer_close(m->writer, &m->stats, err, errlen);
    m->writer = NULL;
    return rc;
}

static void monitor_report(struct sink *s, struct report *r)
{
    struct monitor_sink *m = s->state;
    struct monitor_counters c;
    memset(&c, 0, sizeof c);
    for (unsigned i = 0; i < m->nworkers; i++) {
        uint64_t *d = (uint64_t *)&c;
        const uint64_t *w = (const uint64_t *)&m->workers[i].m.c;
        for (size_t k = 0; k < sizeof c / sizeof(uint64_t); k++)
            d[k] += w[k];
    }
    report_str(r, "database", m->db_file);
    report_u64(r, "flows", c.flows_total);
    report_u64(r, "packets", c.packets);
    report_u64(r, "flows_evicted", c.evicted);
    report_u64(r, "tcp_gaps", c.tcp_gaps);
    report_u64(r, "tcp_gap_bytes", c.tcp_gap_bytes);
    report_u64(r, "fingerprint_segments_reordered", c.stream_ooo_segments);
    report_u64(r, "fingerprint_stream_gaps", c.stream_gaps);
    report_u64(r, "fingerprints", c.fingerprints);
    report_u64(r, "devices", m->book.set.count);
    report_section(r, "rows_stored");
    for (int t = 0; t < MT_COUNT; t++)
        report_u64(r, monitor_tables[t].name, m->stats.stored[t]);
    report_end_section(r);
    if (m->max_age_us) { /* --db-max-age */
        report_section(r, "rows_aged_out");
        report_u64(r, "fingerprint", m->aged_out[MT_FINGERPRINT]);
        report_u64(r, "flows", m->aged_out[MT_FLOWS]);
        report_end_section(r);
    }
    report_u64(r, "fingerprint_keys_bumped", m->stats.bumped[MT_FINGERPRINT]);
    report_u64(r, "transactions", m->stats.transactions);
    report_u64(r, "db_batches_failed", m->stats.batches_failed);
    report_u64(r, "db_rows_lost", m->stats.rows_lost);
    if (m->stats.duplicates[MT_FINGERPRINT]) /* only after SCHEMA_BUMP_TRIES taken keys */
        report_u64(r, "fingerprint_rows_dropped", m->stats.duplicates[MT_FINGERPRINT]);
    if (m->stats.duplicates[MT_FLOWS])
        report_u64(r, "flow_rows_duplicate", m->stats.duplicates[MT_FLOWS]);
    if (c.rows_lost)
        report_u64(r, "rows_lost", c.rows_lost);
    if (c.collectors_skipped)
        report_u64(r, "fingerprints_skipped", c.collectors_skipped);
    if (c.not_inspected)
        report_u64(r, "flows_not_inspected", c.not_inspected);
    if (m->book.dropped)
        report_u64(r, "devices_dropped", m->book.dropped);
}

static void monitor_destroy(struct sink *s)
{
    struct monitor_sink *m = s->state;
    if (!m)
        return;
    for (unsigned i = 0; i < m->nworkers; i++)
        monitor_worker_free(&m->workers[i].m);
    if (m->writer)
        writer_close(m->writer, NULL, NULL, 0);
    if (m->book.set.slots)
        device_book_free(&m->book);
    free(m);
    s->state = NULL;
}

const struct sink_ops monitor_sink_ops = {
    .name = "monitor",
    .enabled = monitor_enabled,
    .memory = monitor_memory,
    .open = monitor_open,
    .packet = monitor_sink_packet,
    .tick = monitor_tick,
    .error = monitor_error,
    .query = monitor_query,
    .close = monitor_close,
    .report = monitor_report,
    .destroy = monitor_destroy,
};
