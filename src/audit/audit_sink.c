/*
 * audit_sink.c - the audit record writer as a sink (`capture --audit DIR`).
 *
 * Each worker encodes the packets it decodes into its own buffers, one
 * per record type (layer encoders: encoders.c; flow records: flows.c),
 * and compresses a full buffer into one gzip member that it appends to
 * DIR/<Type>.ncap.gz under that file's lock (writer.c).  Buffers are also
 * flushed every process_interval (so a live capture's files keep up) and
 * at close, after the flow tables are written out.  Packets that are not
 * decoded or have errors go to unknown.pcap / errors.pcap / errors.log
 * (errors_out.c).
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../capture/budget.h"
#include "../sink/sink.h"
#include "../util/fsutil.h"
#include "encoders.h"
#include "errors_out.h"
#include "flows.h"
#include "writer.h"

#define BLOCK_BYTES (256 * 1024) /* uncompressed bytes per gzip member */
/* the memory budget lowers audit_max_flows no further: on the bench file,
 * 2,393 entries made 52 overflows, 8,192 none */
#define AUDIT_MAX_FLOWS_MIN 8192

/* A worker sweeps its flow tables (and worker 0 the shared ones) after
 * this many packets as well as on every tick: worker threads tick at most
 * four times per process_interval of wall-clock time, and a file read at
 * full speed brings hundreds of thousands of packets in between, whose
 * finished flows would sit in the tables.  With 2 workers on the benchmark
 * file the flow tables took 27 MiB instead of 6.5 (sweeping only on the
 * tick); 4096 is how often the single-threaded capture ticks. */
#define SWEEP_EVERY_PACKETS 4096

struct audit_sink;

struct audit_worker {
    struct audit_sink *sink;
    struct audit_buf bufs[REC_COUNT];
    struct audit_deflater deflater;
    uint64_t last_flush_us;
    uint32_t since_sweep; /* packets */
    bool started;
};

struct audit_sink {
    uint32_t enabled, excluded;
    bool payload;
    uint64_t interval_us;
    struct audit_file files[REC_COUNT];
    bool file_open[REC_COUNT];
    struct audit_flows *flows;
    struct audit_errors *errors;
    _Atomic int failed; /* 1: a write failed, 2: out of memory */
    unsigned nworkers;
    struct audit_worker workers[];
};

static bool audit_enabled(const struct netsift_conf *conf)
{
    return conf->audit_dir[0] != '\0';
}

static int flush_buf(struct audit_worker *w, enum audit_rec rec)
{
    struct audit_buf *b = &w->bufs[rec];
    if (!b->len)
        return 0;
    const uint8_t *gz;
    size_t gzlen;
    int rc = audit_deflate(&w->deflater, b->data, b->len, &gz, &gzlen);
    if (rc == 0)
        rc = audit_file_append(&w->sink->files[rec], gz, gzlen, b->records);
    if (rc != 0)
        atomic_store(&w->sink->failed, 1);
    b->len = 0;
    b->records = 0;
    return rc;
}

static int flush_all(struct audit_worker *w)
{
    int rc = 0;
    for (int r = 0; r < REC_COUNT; r++)
        rc |= flush_buf(w, (enum audit_rec)r);
    return rc;
}

/* audit_emit_fn: a record into the worker's buffer of its type. */
static int emit_record(void *ctx, enum audit_rec rec, const ProtobufCMessage *m)
{
    struct audit_worker *w = ctx;
    if (!w->sink->file_open[rec])
        return 0;
    if (audit_buf_add(&w->bufs[rec], m) != 0) {
        atomic_store(&w->sink->failed, 2);
        return -1;
    }
    return w->bufs[rec].len >= BLOCK_BYTES ? flush_buf(w, rec) : 0;
}

static void audit_memory(struct memory_plan *p, struct netsift_conf *conf, unsigned nworkers)
{
    uint32_t enabled, excluded;
    char why[256];
    if (audit_select(conf->include, conf->exclude, &enabled, &excluded, why, sizeof why) != 0)
        enabled = UINT32_MAX; /* audit_open() says what is wrong */
    unsigned records = 0;
    for (int r = 0; r < REC_COUNT; r++)
        records += (enabled >> r) & 1;
    /* a block buffer per record type and a deflater (zlib: about 400 KiB)
     * per worker */
    memory_fixed(p, "audit record buffers",
                 (uint64_t)nworkers * (records * BLOCK_BYTES + (400u << 10)));
    memory_cap(p, "audit flow tables", &conf->audit_max_flows,
               audit_flows_entry_bytes(nworkers, enabled), AUDIT_MAX_FLOWS_MIN,
               conf_given(conf, "audit_max_flows"));
}

static int audit_check(const struct netsift_conf *conf, char *err, size_t errlen)
{
    uint32_t enabled, excluded;
    if (conf->audit_max_flows == 0 || conf->audit_flow_timeout == 0) {
        snprintf(err, errlen, "audit_max_flows and audit_flow_timeout must be greater than 0");
        return -1;
    }
    return audit_select(conf->include, conf->exclude, &enabled, &excluded, err, errlen);
}

static int audit_open(struct sink *s, const struct netsift_conf *conf, unsigned nworkers,
                      char *err, size_t errlen)
{
    struct audit_sink *a = calloc(1, sizeof *a + nworkers * sizeof(struct audit_worker));
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->state = a;
    a->nworkers = nworkers;
    a->payload = conf->payload;
    a->interval_us = (uint64_t)conf->process_interval * 1000;
    if (audit_select(conf->include, conf->exclude, &a->enabled, &a->excluded, err, errlen) != 0)
        return -1;
    if (ensure_dir(conf->audit_dir, err, errlen) != 0)
        return -1;
    for (unsigned i = 0; i < nworkers; i++) {
        a->workers[i].sink = a;
        if (audit_deflater_init(&a->workers[i].deflater, (int)conf->audit_compression) != 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }

    char created[40], version[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(version, sizeof version, "%s", audit_version());
    for (int r = 0; r < REC_COUNT; r++) {
        if (!(a->enabled & (1u << r)))
            continue;
        Netsift__Header h = NETSIFT__HEADER__INIT;
        h.created = created;
        h.inputsource = (char *)(conf->read_file[0] ? conf->read_file : conf->interface);
        h.type = audit_types[r].nc;
        h.version = version;
        h.containspayloads = conf->payload;
        char path[CONF_PATH_MAX + 64];
        snprintf(path, sizeof path, "%s/%s.ncap.gz", conf->audit_dir, audit_types[r].name);
        if (audit_file_create(&a->files[r], path, &h, (int)conf->audit_compression, err,
                              errlen) != 0) {
            audit_file_close(&a->files[r], err + strlen(err), 0);
            return -1;
        }
        a->file_open[r] = true;
    }
    a->flows = audit_flows_new(nworkers, a->enabled, (uint32_t)conf->audit_max_flows,
                               (uint64_t)conf->audit_flow_timeout * 1000000u);
    if (!a->flows) {
        snprintf(err, errlen, "out of memory for the audit flow tables (audit_max_flows %" PRIu64 ")",
                 conf->audit_max_flows);
        return -1;
    }
    a->errors = audit_errors_open(conf->audit_dir, conf->source_linktype, conf->source_snaplen,
                                  err, errlen);
    return a->errors ? 0 : -1;
}

static void audit_packet(struct sink *s, unsigned worker, const struct packet *pkt)
{
    struct audit_sink *a = s->state;
    struct audit_worker *w = &a->workers[worker];
    audit_errors_packet(a->errors, pkt);
    audit_encode_layers(pkt, a->enabled, a->excluded, a->payload, emit_record, w);
    audit_flows_packet(a->flows, worker, pkt, emit_record, w);
    if (++w->since_sweep >= SWEEP_EVERY_PACKETS) {
        audit_flows_sweep(a->flows, worker, emit_record, w);
        w->since_sweep = 0;
    }
}

static void audit_tick(struct sink *s, unsigned worker, uint64_t now_us)
{
    struct audit_sink *a = s->state;
    struct audit_worker *w = &a->workers[worker];
    if (!w->started) {
        w->started = true;
        w->last_flush_us = now_us;
    }
    audit_flows_sweep(a->flows, worker, emit_record, w);
    w->since_sweep = 0;
    if (now_us - w->last_flush_us >= a->interval_us) {
        flush_all(w);
        w->last_flush_us = now_us;
    }
}

static const char *audit_error(struct sink *s)
{
    struct audit_sink *a = s->state;
    switch (atomic_load(&a->failed)) {
    case 1:
        return "audit: writing a record file failed (disk full?)";
    case 2:
        return "audit: out of memory buffering records";
    default:
        return NULL;
    }
}

static int audit_close(struct sink *s, char *err, size_t errlen)
{
    struct audit_sink *a = s->state;
    if (!a || !a->flows)
        return 0;
    for (unsigned i = 0; i < a->nworkers; i++) {
        audit_flows_flush(a->flows, i, emit_record, &a->workers[i]);
        flush_all(&a->workers[i]);
    }
    audit_flows_flush(a->flows, -1u, emit_record, &a->workers[0]);
    flush_all(&a->workers[0]);
    int rc = 0;
    for (int r = 0; r < REC_COUNT; r++)
        if (a->file_open[r]) {
            if (audit_file_close(&a->files[r], err, errlen) != 0)
                rc = -1;
            a->file_open[r] = false;
        }
    if (a->errors && audit_errors_close(a->errors, err, errlen) != 0)
        rc = -1;
    if (rc == 0 && audit_error(s)) {
        snprintf(err, errlen, "%s", audit_error(s));
        rc = -1;
    }
    return rc;
}

static void audit_report(struct sink *s, struct report *r)
{
    struct audit_sink *a = s->state;
    uint64_t total = 0;
    report_section(r, "records");
    for (int t = 0; t < REC_COUNT; t++)
        if (a->enabled & (1u << t)) {
            report_u64(r, audit_types[t].name, a->files[t].records);
            total += a->files[t].records;
        }
    report_u64(r, "total", total);
    report_end_section(r);
    uint64_t bytes = 0;
    for (int t = 0; t < REC_COUNT; t++)
        bytes += a->files[t].bytes;
    report_u64(r, "compressed_bytes", bytes);
    report_u64(r, "unknown_packets", a->errors ? audit_errors_unknown(a->errors) : 0);
    report_u64(r, "error_packets", a->errors ? audit_errors_errors(a->errors) : 0);
    report_u64(r, "flow_table_overflows", a->flows ? audit_flows_overflows(a->flows) : 0);
}

static void audit_destroy(struct sink *s)
{
    struct audit_sink *a = s->state;
    if (!a)
        return;
    char ignored[256];
    for (int r = 0; r < REC_COUNT; r++)
        if (a->file_open[r])
            audit_file_close(&a->files[r], ignored, sizeof ignored);
    for (unsigned i = 0; i < a->nworkers; i++) {
        for (int r = 0; r < REC_COUNT; r++)
            audit_buf_free(&a->workers[i].bufs[r]);
        audit_deflater_free(&a->workers[i].deflater);
    }
    audit_flows_free(a->flows);
    audit_errors_free(a->errors);
    free(a);
    s->state = NULL;
}

const struct sink_ops audit_sink_ops = {
    .name = "audit",
    .enabled = audit_enabled,
    .check = audit_check,
    .memory = audit_memory,
    .open = audit_open,
    .packet = audit_packet,
    .tick = audit_tick,
    .error = audit_error,
    .close = audit_close,
    .report = audit_report,
    .destroy = audit_destroy,
    .catalog = audit_list_encoders,
};
