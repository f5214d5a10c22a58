/*
 * headers_sink.c - the SQLite header storer as a sink.
 *
 * Every decoded packet becomes rows of the header tables (batch.c).
 * Each worker fills its own batch and hands it to the one writer thread
 * (sqlite_writer.c) when it holds its share of batch_rows rows or of
 * the headers batch memory (conf.h), or when process_interval has passed since that
 * worker's last hand-over.  The
 * database is DB_PATH/headers.sqlite; DB_PATH is created if its parent
 * exists.  Rows of headers.sqlite's other tables (the http table, from
 * the streams sink) come as records handed on through the capture core
 * (sink_ops.record), on the same worker's thread, into the same batches.
 */
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../capture/budget.h"
#include "../sink/sink.h"
#include "../util/fsutil.h"
#include "../db/sqlite_writer.h"

/* Page size of a new headers.sqlite, SQLite's largest: every batch inserts
 * at random places of the primary-key indexes, so a commit dirties most of
 * their pages, and fewer, larger pages mean fewer WAL frames and b-tree
 * levels.  On the bench file (headers alone, 1 worker, ext4): 4 KiB 3.1 s,
 * 8 KiB 2.6 s, 16 KiB 2.26 s, 32 KiB 1.97 s, 64 KiB 1.80 s; same file size. */
#define HEADERS_PAGE_SIZE 65536
/* The batches in circulation hold at most conf->headers_batch_memory
 * together (rows and their text), 96 MiB unless the memory budget lowers
 * it.  Rows of the bench file take 108 bytes on average: a 200,000-row
 * batch is 21 MB, under the 24 MiB share of each of the 4 batches of 1
 * worker; long text (the http table's uri, up to 16 KiB a row) makes
 * batches of fewer rows, not more memory. */
#define HEADERS_BATCH_MEMORY_MIN ((uint64_t)48 << 20)

struct headers_worker {
    struct batch *batch;
    uint64_t batch_first_us; /* packet time of the batch's first packet */
    uint64_t last_flush_us;
    bool started;
};

struct headers_sink {
    struct writer *writer;
    struct db_rotation *rotation; /* closed files in DB_PATH/headers/, or NULL */
    struct db_rotation_stats rotation_stats;
    uint64_t interval_us;
    uint64_t batch_span_us; /* --db-rotate-time: a batch holds at most this much packet time */
    struct writer_stats stats;
    _Atomic bool out_of_memory;
    char path[CONF_PATH_MAX + 32];
    unsigned nworkers;
    struct headers_worker workers[];
};

static bool headers_enabled(const struct netsift_conf *conf)
{
    return conf->db_write;
}

static void headers_memory(struct memory_plan *p, struct netsift_conf *conf, unsigned nworkers)
{
    (void)nworkers;
    memory_cap(p, "headers.sqlite batches", &conf->headers_batch_memory, 1,
               HEADERS_BATCH_MEMORY_MIN, false);
}

static int headers_open(struct sink *s, const struct netsift_conf *conf, unsigned nworkers,
                        char *err, size_t errlen)
{
    struct headers_sink *h = calloc(1, sizeof *h + nworkers * sizeof(struct headers_worker));
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->state = h;
    h->nworkers = nworkers;
    if (ensure_dir(conf->db_path, err, errlen) != 0)
        return -1;
    snprintf(h->path, sizeof h->path, "%s/headers.sqlite", conf->db_path);
    /* per worker, one batch filling and one queued or being written, and
     * two more: the writer merges every batch queued when it starts a
     * transaction, and longer merged runs cost less per row (the random
     * primary keys of a longer sorted run share more index pages).  Headers
     * alone on the bench file: 1 worker 1.33 -> 1.29 s (3 -> 4 batches),
     * 2 workers 1.50 -> 1.39 s (4 -> 6); peak RSS 125 -> 147 MiB and
     * 110 -> 134 MiB. */
    if (conf->db_rotate_size || conf->db_rotate_time || conf->db_max_size || conf->db_max_age) {
        h->rotation = db_rotation_open(conf->db_path, "headers", conf->db_max_size,
                                       conf->db_max_age, err, errlen);
        if (!h->rotation)
            return -1;
    }
    struct writer_opts wo = {.path = h->path,
                             .tables = header_tables,
                             .ntables = HEADER_TABLE_COUNT,
                             .synchronous = conf->synchronous,
                             .cache_mib = conf_cache_mib(conf, CONF_DB_HEADERS),
                             .page_size = HEADERS_PAGE_SIZE,
                             .batches = 2 * nworkers + 2,
                             .batch_rows = conf->batch_rows,
                             .producers = nworkers,
                             .memory = conf->headers_batch_memory,
                             .rotation = conf->db_rotate_size || conf->db_rotate_time
                                             ? h->rotation
                                             : NULL,
                             .rotate_bytes = conf->db_rotate_size,
                             .rotate_span_us = conf->db_rotate_time * 1000000u,
                             .file_id = true};
    h->writer = writer_open(&wo, err, errlen);
    if (!h->writer)
        return -1;
    h->interval_us = (uint64_t)conf->process_interval * 1000;
    /* rotated by packet time: a worker whose batch fills slowly would
     * otherwise bring old rows into a later file (a file's range grows by
     * the age of the oldest batch in its last transaction) */
    if (conf->db_rotate_time)
        h->batch_span_us = h->interval_us ? h->interval_us : 1000000;
    for (unsigned i = 0; i < nworkers; i++) {
        h->workers[i].batch = writer_get_batch(h->writer);
        if (!h->workers[i].batch) {
            snprintf(err, errlen, "%s", writer_error(h->writer));
            return -1;
        }
    }
    return 0;
}

static void flush(struct headers_sink *h, struct headers_worker *w)
{
    if (!w->batch)
        return;
    writer_submit(h->writer, w->batch);
    w->batch = writer_get_batch(h->writer); /* blocks while the writer is behind */
}

static void headers_packet(struct sink *s, unsigned worker, const struct packet *pkt)
{
    struct headers_sink *h = s->state;
    struct headers_worker *w = &h->workers[worker];
    if (!w->batch)
        return;
    if (h->batch_span_us && w->batch->rows &&
        (pkt->timestamp > w->batch_first_us + h->batch_span_us ||
         pkt->timestamp + h->batch_span_us < w->batch_first_us)) {
        flush(h, w);
        if (!w->batch)
            return;
    }
    if (w->batch->rows == 0)
        w->batch_first_us = pkt->timestamp;
    if (!batch_add_packet(w->batch, pkt)) {
        h->out_of_memory = true;
        return;
    }
    if (writer_batch_full(h->writer, w->batch))
        flush(h, w);
}

/* A row of headers.sqlite's http table, handed on by the streams sink. */
static bool headers_record(struct sink *s, unsigned worker, size_t table, const void *record)
{
    struct headers_sink *h = s->state;
    if (!h || worker >= h->nworkers || table >= HEADER_TABLE_COUNT || table < LAYER_COUNT)
        return false;
    struct headers_worker *w = &h->workers[worker];
    if (!w->batch)
        return false;
    if (!batch_add(w->batch, table, record)) {
        h->out_of_memory = true;
        return false;
    }
    if (writer_batch_full(h->writer, w->batch))
        flush(h, w);
    return true;
}

static void headers_tick(struct sink *s, unsigned worker, uint64_t now_us)
{
    struct headers_sink *h = s->state;
    struct headers_worker *w = &h->workers[worker];
    if (!w->started) {
        w->started = true;
        w->last_flush_us = now_us;
    }
    if (now_us - w->last_flush_us >= h->interval_us) {
        if (w->batch && w->batch->rows)
            flush(h, w);
        w->last_flush_us = now_us;
    }
}

static const char *headers_error(struct sink *s)
{
    struct headers_sink *h = s->state;
    if (h->out_of_memory)
        return "out of memory building database rows";
    return h->writer ? writer_error(h->writer) : NULL;
}

static int headers_close(struct sink *s, char *err, size_t errlen)
{
    struct headers_sink *h = s->state;
    if (!h || !h->writer)
        return 0;
    for (unsigned i = 0; i < h->nworkers; i++) {
        if (h->workers[i].batch)
            writer_submit(h->writer, h->workers[i].batch);
        h->workers[i].batch = NULL;
    }
    int rc = writer_close(h->writer, &h->stats, err, errlen);
    h->writer = NULL;
    db_rotation_close(h->rotation, h->stats.newest_us, &h->rotation_stats); /* finishes every closed file */
    h->rotation = NULL;
    return rc;
}

static void headers_report(struct sink *s, struct report *r)
{
    struct headers_sink *h = s->state;
    uint64_t stored = 0, merged = 0;
    report_str(r, "database", h->path);
    report_section(r, "rows_stored");
    for (int l = 0; l < LAYER_COUNT; l++) {
        report_u64(r, layer_name((enum layer)l), h->stats.stored[l]);
        stored += h->stats.stored[l];
        merged += h->stats.merged[l];
    }
    report_u64(r, "http", h->stats.stored[HT_HTTP]);
    stored += h->stats.stored[HT_HTTP];
    report_u64(r, "total", stored);
    report_end_section(r);
    /* frames whose header had the key of a stored row: added to its frames */
    report_section(r, "frames_merged");
    for (int l = 0; l < LAYER_COUNT; l++)
        if (h->stats.merged[l])
            report_u64(r, layer_name((enum layer)l), h->stats.merged[l]);
    report_u64(r, "total", merged);
    report_end_section(r);
    if (h->stats.duplicates[HT_HTTP])
        report_u64(r, "http_duplicates", h->stats.duplicates[HT_HTTP]);
    report_u64(r, "transactions", h->stats.transactions);
    if (h->stats.rotations || h->rotation_stats.files_removed || h->stats.rotations_deferred) {
        report_section(r, "rotation");
        report_u64(r, "files_closed", h->stats.rotations);
        report_u64(r, "files_checked", h->rotation_stats.files_closed);
        report_u64(r, "files_bad", h->rotation_stats.files_bad);
        report_u64(r, "files_removed", h->rotation_stats.files_removed);
        report_u64(r, "deferred", h->stats.rotations_deferred);
        report_u64(r, "pause_max_us", h->stats.rotation_pause_max_us);
        report_end_section(r);
    }
    report_u64(r, "db_batches_failed", h->stats.batches_failed);
    report_u64(r, "db_rows_lost", h->stats.rows_lost);
}

static void headers_destroy(struct sink *s)
{
    struct headers_sink *h = s->state;
    if (h && h->writer)
        writer_close(h->writer, NULL, NULL, 0);
    if (h)
        db_rotation_close(h->rotation, 0, NULL);
    free(h);
    s->state = NULL;
}

const struct sink_ops headers_sink_ops = {
    .name = "headers",
    .enabled = headers_enabled,
    .memory = headers_memory,
    .open = headers_open,
    .packet = headers_packet,
    .tick = headers_tick,
    .record = headers_record,
    .error = headers_error,
    .close = headers_close,
    .report = headers_report,
    .destroy = headers_destroy,
};
