/*
 * pcap_store.c - the raw packet storer as a sink ("raw", on with
 * file_write): every packet into a pcap file under DB_PATH/pcap/, one
 * index row per packet in DB_PATH/pcap-meta.sqlite (see pcap_store.h).
 *
 * Per worker: one open pcap file (libpcap's dumper on a stdio stream
 * with a large buffer) and one batch of index rows for the second
 * writer (sqlite_writer.c).  hand_over() is where the store is made
 * crash-safe: the file is flushed first, then the rows pointing into it
 * are submitted.  A batch only ever holds rows of the worker's current
 * file written since its last hand-over.
 *
 * A write error on a pcap file (disk full) stops pcap writing on every
 * worker with one warning: each file is cut back to what its rows cover
 * and closed, the rest of the capture (headers) goes on, and the exit
 * status becomes 1 (degraded()).  Retention runs on the writer thread
 * after each commit (pcap_index.c) and only removes closed files.
 */
#define _GNU_SOURCE
#include "pcap_store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "../capture/budget.h"
#include "../decode/community_id.h"
#include "../sink/sink.h"
#include "../util/fsutil.h"
#include "../util/progress.h"
#include "pcap_index.h"
#include "../db/sqlite_writer.h"

#define FILE_BUFFER (1u << 20) /* stdio buffer of a pcap file */
/* The index batches in circulation hold at most conf->meta_batch_memory
 * together, 24 MiB unless the memory budget lowers it: an index row takes
 * about 320 bytes (its text included), so 1 worker's 3 batches hand over
 * at about 25,000 rows; a commit is cheap (rows arrive in time order),
 * memory is not. */
#define META_BATCH_MEMORY_MIN ((uint64_t)4 << 20)
#define SNAPLEN_MIN 262144u    /* snapshot length written in pcap file headers, at least */
/* Index rows are appended (ids, timestamps and rowids grow): large pages
 * mean fewer writes; measured 30% less time than 4 KiB pages. */
#define META_PAGE_SIZE 65536

struct raw_file {
    pcap_dumper_t *dumper; /* NULL: no file open */
    char *buf;             /* its stdio buffer */
    char uuid[PCAP_UUID_LEN + 1];
    char name[PCAP_NAME_LEN + 1];
    uint64_t opened_us, opened_mono_us;
    uint64_t offset, packets, first_ts, min_ts, max_ts; /* written */
    uint64_t indexed_bytes, indexed_packets, indexed_min_ts, indexed_max_ts; /* flushed, handed over */
};

struct raw_worker {
    unsigned index;
    struct raw_file f;
    pcap_t *dead; /* link type and snapshot length of the files */
    struct batch *batch;
    uint64_t last_flush_us;
    bool started, stopped;
    char id[PCAP_UUID_LEN + 24];
    uint64_t files, packets, bytes, rotations, not_written;
};

struct raw_sink {
    struct writer *writer;
    char dir[CONF_PATH_MAX + 8];
    char db_file[CONF_PATH_MAX + 32];
    const char *interface, *filter; /* in the capture's configuration, which outlives us */
    int linktype;
    uint32_t snaplen;
    uint64_t rotate_size, rotate_time_us, interval_us;
    int lock_fd;
    struct pcap_recovery recovery;
    struct pcap_retention retention; /* writer thread */
    bool retention_warned;           /* writer thread */
    struct writer_stats stats;
    _Atomic bool stop_writing; /* a pcap write failed: every worker stops */
    _Atomic bool degraded;
    _Atomic bool out_of_memory;
    atomic_flag warned;
    char write_error[CONF_PATH_MAX + 128]; /* by the worker that set `warned` */
    unsigned nworkers;
    struct raw_worker workers[];
};

static bool raw_enabled(const struct netsift_conf *conf)
{
    return conf->file_write;
}

static uint64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- failure ------------------------------------------------------- */

/* A pcap file could not be written: stop pcap writing everywhere, say so
 * once. */
static void write_failed(struct raw_sink *r, struct raw_worker *w, const char *what, int err)
{
    w->stopped = true;
    atomic_store(&r->stop_writing, true);
    atomic_store(&r->degraded, true);
    if (atomic_flag_test_and_set(&r->warned))
        return;
    snprintf(r->write_error, sizeof r->write_error, "cannot %s pcap file '%s/%s': %s", what,
             r->dir, w->f.name, strerror(err ? err : EIO));
    fprintf(stderr,
            "netsift capture: raw packet store: %s; no more packets are written to pcap files "
            "(the rest of the capture goes on)\n",
            r->write_error);
}

/* ---- hand-over to the writer ---------------------------------------- */

static void submit(struct raw_sink *r, struct raw_worker *w)
{
    writer_submit(r->writer, w->batch);
    w->batch = writer_get_batch(r->writer); /* blocks while the writer is behind */
}

/* Everything written so far is in the file (as far as a crash of this
 * process goes): the file's position is where the next record goes.
 * 0, or -1 with errno. */
static int flush_file(struct raw_worker *w)
{
    FILE *f = pcap_dump_file(w->f.dumper);
    errno = 0;
    if (pcap_dump_flush(w->f.dumper) != 0 || ferror(f))
        return -1;
    if (pcap_dump_ftell64(w->f.dumper) != (int64_t)w->f.offset) {
        errno = EIO;
        return -1;
    }
    return 0;
}

static void add_file_row(struct raw_sink *r, struct raw_worker *w, bool closed)
{
    const struct raw_file *f = &w->f;
    struct file_record fr = {f->name, w->index, (uint32_t)r->linktype, r->snaplen,
                             f->opened_us, f->indexed_min_ts, f->indexed_max_ts, f->indexed_bytes,
                             f->indexed_packets, closed, false};
    if (!batch_add(w->batch, PCAP_T_FILES, &fr))
        atomic_store(&r->out_of_memory, true);
}

static void mark_indexed(struct raw_worker *w)
{
    w->f.indexed_bytes = w->f.offset;
    w->f.indexed_packets = w->f.packets;
    w->f.indexed_min_ts = w->f.min_ts;
    w->f.indexed_max_ts = w->f.max_ts;
}

/* The crash-safe step: flush the file, then submit the rows that point
 * into it, with the file's new state. */
static void close_file(struct raw_sink *r, struct raw_worker *w);
static void hand_over(struct raw_sink *r, struct raw_worker *w)
{
    if (!w->batch || !w->f.dumper || w->f.packets == w->f.indexed_packets)
        return;
    if (flush_file(w) != 0) {
        close_file(r, w); /* fails the same way, and cleans up */
        return;
    }
    mark_indexed(w);
    add_file_row(r, w, false);
    submit(r, w);
}

/* After a failed flush: the rows not backed by flushed bytes are
 * dropped (the batch holds nothing else) and the file is cut back to
 * what the handed-over rows cover, or removed when they cover nothing. */
static void cut_back(struct raw_sink *r, struct raw_worker *w)
{
    char path[sizeof r->dir + PCAP_NAME_LEN + 2];
    snprintf(path, sizeof path, "%s/%s", r->dir, w->f.name);
    batch_reset(w->batch);
    if (w->f.indexed_packets == 0)
        unlink(path);
    else if (truncate(path, (off_t)w->f.indexed_bytes) != 0)
        fprintf(stderr, "netsift capture: warning: cannot cut '%s' back to %" PRIu64 " bytes: %s\n",
                path, w->f.indexed_bytes, strerror(errno));
}

/* Close the worker's file: flushed, indexed and marked closed, or, when
 * the flush fails, cut back and pcap writing stops. */
static void close_file(struct raw_sink *r, struct raw_worker *w)
{
    int failed = flush_file(w) != 0 ? (errno ? errno : EIO) : 0;
    if (!failed)
        mark_indexed(w);
    pcap_dump_close(w->f.dumper); /* the stream is flushed, or broken */
    w->f.dumper = NULL;
    free(w->f.buf);
    w->f.buf = NULL;
    if (!w->batch)
        return; /* the index writer failed: error() stops the capture */
    if (failed)
        cut_back(r, w);
    if (w->f.indexed_packets)
        add_file_row(r, w, true);
    submit(r, w);
    w->packets += w->f.indexed_packets;
    w->bytes += w->f.indexed_bytes;
    if (failed)
        write_failed(r, w, "write", failed);
}

/* ---- writing ------------------------------------------------------- */

static int open_file(struct raw_sink *r, struct raw_worker *w)
{
    struct raw_file *f = &w->f;
    memset(f, 0, sizeof *f);
    if (pcap_uuid_new(f->uuid) != 0) {
        snprintf(f->name, sizeof f->name, "(no name)");
        write_failed(r, w, "name a", EAGAIN);
        return -1;
    }
    snprintf(f->name, sizeof f->name, "%s.pcap", f->uuid);
    char path[sizeof r->dir + PCAP_NAME_LEN + 2];
    snprintf(path, sizeof path, "%s/%s", r->dir, f->name);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640);
    FILE *fp = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (fp)
        __fsetlocking(fp, FSETLOCKING_BYCALLER); /* this worker's alone: no stdio locks */
    f->buf = fp ? malloc(FILE_BUFFER) : NULL;
    if (f->buf)
        setvbuf(fp, f->buf, _IOFBF, FILE_BUFFER);
    f->dumper = fp ? pcap_dump_fopen(w->dead, fp) : NULL;
    if (!f->dumper) {
        int e = errno;
        if (fp)
            fclose(fp);
        else if (fd >= 0)
            close(fd);
        if (fd >= 0)
            unlink(path);
        free(f->buf);
        f->buf = NULL;
        write_failed(r, w, "create", e);
        return -1;
    }
    f->offset = PCAP_FILE_HDR;
    f->opened_us = wall_us();
    f->opened_mono_us = monotonic_us();
    w->files++;
    return 0;
}

/* Where the packet's addresses and ports are, for the row. */
static void link_fields(struct meta_record *m, const struct packet *pkt)
{
    if (packet_has(pkt, LAYER_ETH)) {
        m->has_eth = true;
        m->ethh_hash = pkt->ref[LAYER_ETH].hash;
        m->src_mac = pkt->eth.src;
        m->dst_mac = pkt->eth.dst;
    }
    const struct flow_tuple *t = &pkt->flow;
    if (t->family) {
        uint32_t alen = t->family == 4 ? 4 : 16;
        m->has_ip = true;
        m->src_ip = (struct bytes){t->src, alen};
        m->dst_ip = (struct bytes){t->dst, alen};
        m->ip_proto = t->proto;
    }
    if (t->ports) {
        m->has_ports = true;
        m->src_port = t->sport;
        m->dst_port = t->dport;
    }
}

/* "<uuid>:<n>", n zero-padded to ID_DIGITS digits (more when it needs
 * them), so that a file's ids sort in packet order (appends to the index). */
#define ID_DIGITS 10
static void format_id(char *out, const char *uuid, uint64_t n)
{
    char digits[24];
    int len = 0;
    do {
        digits[len++] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    while (len < ID_DIGITS)
        digits[len++] = '0';
    memcpy(out, uuid, PCAP_UUID_LEN);
    out[PCAP_UUID_LEN] = ':';
    for (int i = 0; i < len; i++)
        out[PCAP_UUID_LEN + 1 + i] = digits[len - 1 - i];
    out[PCAP_UUID_LEN + 1 + len] = '\0';
}

static void write_packet(struct raw_sink *r, struct raw_worker *w, const struct packet *pkt)
{
    struct raw_file *f = &w->f;
    struct pcap_pkthdr h;
    /* seconds past 2038 keep their 32 bits; the reader reads them unsigned */
    h.ts.tv_sec = (time_t)(pkt->timestamp / 1000000u);
    h.ts.tv_usec = (suseconds_t)(pkt->timestamp % 1000000u);
    h.caplen = pkt->caplen;
    h.len = pkt->length;
    pcap_dump((u_char *)f->dumper, &h, pkt->data);

    struct meta_record m = {0};
    m.offset = f->offset;
    f->offset += PCAP_REC_HDR + (uint64_t)pkt->caplen;
    if (f->packets++ == 0)
        f->first_ts = f->min_ts = pkt->timestamp;
    if (pkt->timestamp < f->min_ts)
        f->min_ts = pkt->timestamp;
    if (pkt->timestamp > f->max_ts)
        f->max_ts = pkt->timestamp;
    format_id(w->id, f->uuid, f->packets);
    m.id = w->id;
    m.timestamp = pkt->timestamp;
    m.name = f->name;
    m.interface = r->interface;
    m.filter = r->filter;
    m.caplen = pkt->caplen;
    m.length = pkt->length;
    link_fields(&m, pkt);
    m.frame = pkt->number;
    m.community_id = packet_community_id(pkt);
    if (!batch_add(w->batch, PCAP_T_META, &m))
        atomic_store(&r->out_of_memory, true);
}

/* A new file before this packet: with it, the current one would grow
 * past the size limit, or the packet comes the time limit or more after
 * the file's first packet (packet time, forward only: a capture whose
 * clock steps back does not start a file per step). */
static bool must_rotate(const struct raw_sink *r, const struct raw_file *f,
                        const struct packet *pkt)
{
    if (f->packets == 0)
        return false;
    return f->offset + PCAP_REC_HDR + pkt->caplen > r->rotate_size ||
           (pkt->timestamp > f->first_ts && pkt->timestamp - f->first_ts >= r->rotate_time_us);
}

/* Pcap writing has stopped: close this worker's file too. */
static void stop_worker(struct raw_sink *r, struct raw_worker *w)
{
    if (w->f.dumper)
        close_file(r, w);
    w->stopped = true;
}

static void raw_packet(struct sink *s, unsigned worker, const struct packet *pkt)
{
    struct raw_sink *r = s->state;
    struct raw_worker *w = &r->workers[worker];
    if (!w->stopped && atomic_load(&r->stop_writing))
        stop_worker(r, w);
    if (w->stopped || !w->batch) {
        w->not_written++;
        return;
    }
    if (w->f.dumper && must_rotate(r, &w->f, pkt)) {
        close_file(r, w);
        w->rotations++;
    }
    if (w->stopped || !w->batch || (!w->f.dumper && open_file(r, w) != 0)) {
        w->not_written++;
        return;
    }
    write_packet(r, w, pkt);
    if (writer_batch_full(r->writer, w->batch))
        hand_over(r, w);
}

static void raw_tick(struct sink *s, unsigned worker, uint64_t now_us)
{
    struct raw_sink *r = s->state;
    struct raw_worker *w = &r->workers[worker];
    if (!w->started) {
        w->started = true;
        w->last_flush_us = now_us;
    }
    if (!w->stopped && atomic_load(&r->stop_writing))
        stop_worker(r, w);
    if (w->f.dumper && now_us > w->f.opened_mono_us &&
        now_us - w->f.opened_mono_us >= r->rotate_time_us) {
        close_file(r, w); /* open that long: the next packet starts a new file */
        w->rotations++;
        w->last_flush_us = now_us;
    }
    if (now_us - w->last_flush_us >= r->interval_us) {
        hand_over(r, w);
        w->last_flush_us = now_us;
    }
}

/* ---- open and close -------------------------------------------------- */

/* One capture writes a store at a time: an exclusive lock on its folder. */
static int lock_store(struct raw_sink *r, char *err, size_t errlen)
{
    r->lock_fd = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (r->lock_fd < 0 || flock(r->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            snprintf(err, errlen, "pcap folder '%s' is being written by another netsift capture",
                     r->dir);
        else
            snprintf(err, errlen, "pcap folder '%s': %s", r->dir, strerror(errno));
        return -1;
    }
    return 0;
}

/* Retention, on the index writer's thread after each commit. */
static void raw_after_commit(void *arg, struct sqlite3 *db)
{
    struct raw_sink *r = arg;
    if (pcap_index_retain(db, &r->retention) != 0 && !r->retention_warned) {
        r->retention_warned = true;
        atomic_store(&r->degraded, true);
        fprintf(stderr, "netsift capture: raw packet store: retention: %s\n", r->retention.error);
    }
}

static void configure(struct raw_sink *r, const struct netsift_conf *conf, unsigned nworkers)
{
    r->nworkers = nworkers;
    r->lock_fd = -1;
    snprintf(r->dir, sizeof r->dir, "%s/" PCAP_DIR, conf->db_path);
    snprintf(r->db_file, sizeof r->db_file, "%s/" PCAP_META_DB, conf->db_path);
    /* -i IFACE, or the name of the file read (its last path component) */
    const char *slash = strrchr(conf->read_file, '/');
    r->interface = !conf->read_file[0] ? conf->interface : slash && slash[1] ? slash + 1
                                                                             : conf->read_file;
    r->filter = conf->filter;
    r->linktype = conf->source_linktype;
    /* at least libpcap's largest usual snapshot: a file's records may hold
     * more than its header's snapshot length, which readers such as tshark
     * would then cut (caplen-over-snaplen captures) */
    r->snaplen = conf->source_snaplen > SNAPLEN_MIN ? conf->source_snaplen : SNAPLEN_MIN;
    r->interval_us = (uint64_t)conf->process_interval * 1000;
    r->rotate_size = conf->pcap_rotate_size;
    r->rotate_time_us = conf->pcap_rotate_time * 1000000u;
    r->retention.dir = r->dir;
    r->retention.max_size = conf->pcap_max_size;
    r->retention.max_age_us = conf->pcap_max_age * 1000000u;
    atomic_flag_clear(&r->warned);
}

static void raw_memory(struct memory_plan *p, struct netsift_conf *conf, unsigned nworkers)
{
    memory_fixed(p, "pcap file buffers", (uint64_t)nworkers * FILE_BUFFER);
    memory_cap(p, "pcap-meta.sqlite batches", &conf->meta_batch_memory, 1, META_BATCH_MEMORY_MIN,
               false);
}

static int raw_open(struct sink *s, const struct netsift_conf *conf, unsigned nworkers,
                    char *err, size_t errlen)
{
    struct raw_sink *r = calloc(1, sizeof *r + nworkers * sizeof(struct raw_worker));
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->state = r;
    configure(r, conf, nworkers);
    if (ensure_dir(conf->db_path, err, errlen) != 0 || ensure_dir(r->dir, err, errlen) != 0 ||
        lock_store(r, err, errlen) != 0 ||
        pcap_index_recover(r->db_file, r->dir, &r->recovery, err, errlen) != 0)
        return -1;
    struct writer_opts wo = {.path = r->db_file,
                             .tables = pcap_meta_tables,
                             .ntables = PCAP_T_COUNT,
                             .synchronous = conf->synchronous,
                             /* appends in time order: a small cache serves them */
                             .cache_mib = conf_cache_mib(conf, CONF_DB_RAW_INDEX),
                             .batches = nworkers + 2,
                             .batch_rows = conf->batch_rows,
                             .producers = nworkers,
                             .memory = conf->meta_batch_memory,
                             .page_size = META_PAGE_SIZE,
                             .after_commit = raw_after_commit,
                             .after_commit_arg = r};
    r->writer = writer_open(&wo, err, errlen);
    if (!r->writer)
        return -1;
    for (unsigned i = 0; i < nworkers; i++) {
        struct raw_worker *w = &r->workers[i];
        w->index = i;
        w->dead = pcap_open_dead(r->linktype, (int)r->snaplen);
        w->batch = writer_get_batch(r->writer);
        if (!w->dead || !w->batch) {
            snprintf(err, errlen, "raw packet store: %s",
                     w->dead ? writer_error(r->writer) : "out of memory");
            return -1;
        }
    }
    return 0;
}

static const char *raw_error(struct sink *s)
{
    struct raw_sink *r = s->state;
    if (atomic_load(&r->out_of_memory))
        return "out of memory building pcap index rows";
    return r->writer ? writer_error(r->writer) : NULL;
}

static bool raw_degraded(struct sink *s)
{
    struct raw_sink *r = s->state;
    return r && atomic_load(&r->degraded);
}

static int raw_close(struct sink *s, char *err, size_t errlen)
{
    struct raw_sink *r = s->state;
    if (!r || !r->writer)
        return 0;
    for (unsigned i = 0; i < r->nworkers; i++) {
        struct raw_worker *w = &r->workers[i];
        if (w->f.dumper)
            close_file(r, w);
        if (w->batch)
            writer_submit(r->writer, w->batch); /* empty: recycled */
        w->batch = NULL;
    }
    int rc = writer_close(r->writer, &r->stats, err, errlen);
    r->writer = NULL;
    return rc;
}

static void raw_report(struct sink *s, struct report *rep)
{
    struct raw_sink *r = s->state;
    uint64_t files = 0, packets = 0, bytes = 0, rotations = 0, not_written = 0;
    for (unsigned i = 0; i < r->nworkers; i++) {
        files += r->workers[i].files;
        packets += r->workers[i].packets;
        bytes += r->workers[i].bytes;
        rotations += r->workers[i].rotations;
        not_written += r->workers[i].not_written;
    }
    report_str(rep, "database", r->db_file);
    report_str(rep, "directory", r->dir);
    report_u64(rep, "files_written", files);
    report_u64(rep, "packets_written", packets);
    report_u64(rep, "bytes_written", bytes);
    report_u64(rep, "rotations", rotations);
    report_u64(rep, "packets_not_written", not_written);
    report_u64(rep, "rows_stored", r->stats.stored[PCAP_T_META]);
    report_u64(rep, "db_batches_failed", r->stats.batches_failed);
    report_u64(rep, "db_rows_lost", r->stats.rows_lost);
    report_section(rep, "recovered");
    report_u64(rep, "files_closed", r->recovery.files_closed);
    report_u64(rep, "rows_dropped", r->recovery.rows_dropped);
    report_u64(rep, "bytes_trimmed", r->recovery.bytes_trimmed);
    report_u64(rep, "files_removed", r->recovery.files_removed);
    report_u64(rep, "removals_finished", r->recovery.deletions_finished);
    report_end_section(rep);
    report_section(rep, "retention");
    report_u64(rep, "files_removed", r->retention.files_removed);
    report_u64(rep, "bytes_removed", r->retention.bytes_removed);
    report_u64(rep, "packets_removed", r->retention.packets_removed);
    report_end_section(rep);
    if (r->write_error[0])
        report_str(rep, "error", r->write_error);
    if (r->retention.error[0])
        report_str(rep, "retention_error", r->retention.error);
}

static void raw_destroy(struct sink *s)
{
    struct raw_sink *r = s->state;
    if (!r)
        return;
    for (unsigned i = 0; i < r->nworkers; i++) {
        struct raw_worker *w = &r->workers[i];
        if (w->f.dumper)
            pcap_dump_close(w->f.dumper); /* only after a failed open: nothing indexed */
        free(w->f.buf);
        if (w->dead)
            pcap_close(w->dead);
    }
    if (r->writer)
        writer_close(r->writer, NULL, NULL, 0);
    if (r->lock_fd >= 0)
        close(r->lock_fd);
    free(r);
    s->state = NULL;
}

const struct sink_ops raw_sink_ops = {
    .name = "raw",
    .enabled = raw_enabled,
    .memory = raw_memory,
    .open = raw_open,
    .packet = raw_packet,
    .tick = raw_tick,
    .error = raw_error,
    .degraded = raw_degraded,
    .close = raw_close,
    .report = raw_report,
    .destroy = raw_destroy,
};
