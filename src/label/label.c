/*
 * label.c - `netsift label`: read IDS alerts (alert.c), index them
 * (index.c) and label every audit record (DIR/<Type>.ncap.gz ->
 * DIR/<Type>_labeled.csv) and every row of the header database (a
 * `labels` table in DB_PATH/headers.sqlite).  With -r FILE --rules FILE
 * it runs Suricata first when one is installed.
 *
 * Mapping: a record that is one packet (a layer record, a header row)
 * takes the alerts with its exact timestamp whose addresses, ports and
 * protocol agree with its packet's (what the record has, completed from
 * the IP/TCP/UDP records or rows of the same packet); a record that spans time
 * (Flow, Connection, *Flow, an HTTP transaction) takes the alerts of its
 * 5-tuple, in either direction, inside its time span.
 */
#define _GNU_SOURCE
#include "label.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../audit/dump.h"
#include "../audit/reader.h"
#include "../store/header_files.h"
#include "../db/schema.h"
#include "alert.h"
#include "index.h"
#include "../util/fsutil.h"

extern char **environ;

#define MAX_ALERT_FILES 64
#define MAX_EXCLUDE 64

enum lmode { LM_FIRST, LM_STRICT, LM_COLLECT };

struct labeler {
    const struct alert_set *set;
    struct label_index *ix;
    enum lmode mode;
    uint32_t *ids;              /* matches of the current record, file order */
    size_t cap, nsel;           /* nsel: how many of ids[] label it (1, or all with --collect) */
    struct sbuf lab;            /* its label */
    uint8_t *matched;           /* per alert: 2 it labeled something, 1 it matched only records
                                   an earlier alert labels (default mode) */
    int64_t tmin, tmax;         /* time span of everything labeled */
    const struct frame_map *pm; /* audit: the packets at alert times */
    bool ip_known;              /* audit: IPv4 and IPv6 records were written */
    uint64_t records, labeled;
};

static void sb_add(struct sbuf *s, const char *p)
{
    size_t n = strlen(p);
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 128;
        while (cap < s->len + n + 1)
            cap *= 2;
        char *q = realloc(s->p, cap);
        if (!q) {
            fprintf(stderr, "netsift label: out of memory\n");
            exit(1);
        }
        s->p = q;
        s->cap = cap;
    }
    memcpy(s->p + s->len, p, n + 1);
    s->len += n;
}

static const char *alert_label(const struct alert *a)
{
    return a->classification[0] ? a->classification : a->description;
}

static void describe_alert(const struct alert *a, char *buf, size_t len)
{
    char s[64], d[64];
    snprintf(buf, len, "%s:%u [%" PRIu32 ":%" PRIu32 ":%" PRIu32 "] \"%s\" %s -> %s", a->file,
             a->line, a->gid, a->sid, a->rev, a->description, alert_endpoint(a, false, s, sizeof s),
             alert_endpoint(a, true, d, sizeof d));
}

/* Labels one record: l->lab and l->ids[0..nsel).  0, or -1 (--strict and
 * several alerts, reported naming the record, "<where> <num>", and both
 * alerts). */
static int label_record(struct labeler *l, const struct label_key *k, const char *where,
                        uint64_t num)
{
    if (k->t0 < l->tmin && k->t0 != INT64_MIN) /* open ends are no capture time */
        l->tmin = k->t0;
    if (k->t1 > l->tmax && k->t1 != INT64_MAX)
        l->tmax = k->t1;
    l->records++;
    size_t n = label_index_match(l->ix, k, &l->ids, &l->cap);
    l->lab.len = 0;
    if (n == 0) {
        l->nsel = 0;
        sb_add(&l->lab, "normal");
        return 0;
    }
    if (n > 1 && l->mode == LM_STRICT) {
        char a[512], b[512];
        describe_alert(&l->set->v[l->ids[0]], a, sizeof a);
        describe_alert(&l->set->v[l->ids[1]], b, sizeof b);
        fprintf(stderr,
                "netsift label: --strict: %s %" PRIu64 " matches more than one alert: %s and %s\n",
                where, num, a, b);
        return -1;
    }
    l->labeled++;
    l->nsel = l->mode == LM_COLLECT ? n : 1;
    for (size_t i = l->nsel; i < n; i++) /* matched, but an earlier alert labels it */
        if (!l->matched[l->ids[i]])
            l->matched[l->ids[i]] = 1;
    for (size_t i = 0; i < l->nsel; i++) {
        const char *t = alert_label(&l->set->v[l->ids[i]]);
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++)
            dup = strcmp(alert_label(&l->set->v[l->ids[j]]), t) == 0;
        l->matched[l->ids[i]] = 2;
        if (dup)
            continue;
        if (l->lab.len)
            sb_add(&l->lab, " | ");
        sb_add(&l->lab, t);
    }
    return 0;
}

/* ---- packets by time ----------------------------------------------------- */

/* What a packet's IP and TCP/UDP headers say about it, found by (timestamp,
 * frame): the header rows of one frame in the database, or the audit
 * records of one packet time (frame 1; audit records carry no frame
 * number).  Only packets at the time of some alert are kept: a packet
 * record matches alerts of its exact time only. */
struct frame_info {
    int64_t ts, frame; /* frame 0: empty slot */
    struct label_key k;
    bool amb_addr, amb_ports; /* audit: two packets at this time disagree; use neither */
};

struct frame_map {
    struct frame_info *v;
    size_t cap, n; /* cap a power of two */
};

static size_t frame_slot(const struct frame_map *fm, int64_t ts, int64_t frame)
{
    uint64_t h = (uint64_t)ts * 0x9E3779B97F4A7C15ull ^ (uint64_t)frame * 0xC2B2AE3D27D4EB4Full;
    size_t i = (size_t)(h ^ (h >> 29)) & (fm->cap - 1);
    while (fm->v[i].frame && !(fm->v[i].ts == ts && fm->v[i].frame == frame))
        i = (i + 1) & (fm->cap - 1);
    return i;
}

static struct frame_info *frame_get(struct frame_map *fm, int64_t ts, int64_t frame, bool create)
{
    if (frame <= 0)
        return NULL;
    if (create && (fm->n + 1) * 2 > fm->cap) {
        struct frame_map big = {calloc(fm->cap ? fm->cap * 2 : 1024, sizeof(struct frame_info)),
                                fm->cap ? fm->cap * 2 : 1024, fm->n};
        if (!big.v) {
            fprintf(stderr, "netsift label: out of memory\n");
            exit(1);
        }
        for (size_t i = 0; i < fm->cap; i++)
            if (fm->v[i].frame)
                big.v[frame_slot(&big, fm->v[i].ts, fm->v[i].frame)] = fm->v[i];
        free(fm->v);
        *fm = big;
    }
    if (!fm->cap)
        return NULL;
    size_t i = frame_slot(fm, ts, frame);
    if (!fm->v[i].frame) {
        if (!create)
            return NULL;
        fm->v[i].ts = ts;
        fm->v[i].frame = frame;
        fm->v[i].k.proto = -1;
        fm->n++;
    }
    return &fm->v[i];
}

/* ---- audit records ---------------------------------------------------- */

/* Where a record type keeps what a key needs (NULL: it has none of it). */
struct rec_fields {
    const ProtobufCFieldDescriptor *ts, *first, *last, *sip, *dip, *sport, *dport, *proto_num,
        *proto_name;
    int implied_proto;
};

static const struct {
    enum audit_rec rec;
    int proto;
} implied_protos[] = {{REC_TCP, 6}, {REC_UDP, 17}, {REC_ICMPV4, 1}, {REC_ICMPV6, 58}};

static void rec_fields_init(struct rec_fields *f, enum audit_rec rec)
{
    const ProtobufCMessageDescriptor *d = audit_types[rec].desc;
#define FIELD(name) protobuf_c_message_descriptor_get_field_by_name(d, name)
    f->ts = FIELD("Timestamp");
    f->first = FIELD("TimestampFirst");
    f->last = FIELD("TimestampLast");
    f->sip = FIELD("SrcIP");
    f->dip = FIELD("DstIP");
    f->sport = FIELD("SrcPort");
    f->dport = FIELD("DstPort");
    /* IPv4 Protocol / IPv6 UpperProtocol: numbers; Flow TransportProto /
     * TransportFlow Proto: names (NetworkFlow's "IPv4" is no IP protocol) */
    f->proto_num = f->sip ? FIELD("Protocol") : NULL;
    if (f->sip && !f->proto_num)
        f->proto_num = FIELD("UpperProtocol");
    f->proto_name = FIELD("TransportProto");
    if (!f->proto_name)
        f->proto_name = FIELD("Proto");
#undef FIELD
    f->implied_proto = -1;
    for (size_t i = 0; i < sizeof implied_protos / sizeof implied_protos[0]; i++)
        if (implied_protos[i].rec == rec)
            f->implied_proto = implied_protos[i].proto;
}

#define AT(m, fd, type) (*(const type *)((const char *)(m) + (fd)->offset))

static void rec_key(const struct rec_fields *f, const ProtobufCMessage *m, struct label_key *k)
{
    memset(k, 0, sizeof *k);
    if (f->ts) {
        k->t0 = k->t1 = AT(m, f->ts, int64_t);
    } else {
        k->t0 = f->first ? AT(m, f->first, int64_t) : INT64_MIN;
        k->t1 = f->last ? AT(m, f->last, int64_t) : INT64_MAX;
        if (k->t1 < k->t0)
            k->t1 = k->t0;
    }
    k->proto = f->implied_proto;
    if (f->proto_num)
        k->proto = AT(m, f->proto_num, int32_t);
    else if (f->proto_name)
        k->proto = alert_proto_number(AT(m, f->proto_name, char *));
    if (f->sip && f->dip) {
        const char *s = AT(m, f->sip, char *), *d = AT(m, f->dip, char *);
        int ls = s ? alert_parse_addr(s, k->a) : 0, ld = d ? alert_parse_addr(d, k->b) : 0;
        k->addr_len = ls && ls == ld ? (uint8_t)ls : 0;
    }
    if (f->sport && f->dport) {
        k->has_ports = true;
        k->pa = (uint16_t)AT(m, f->sport, int32_t);
        k->pb = (uint16_t)AT(m, f->dport, int32_t);
    }
}

/* Fills what a packet record lacks (addresses, ports, protocol) from the
 * other records of its packet (same time). */
static void fill_from_packet(struct label_key *k, const struct frame_map *pm, bool ip_known)
{
    const struct frame_info *fi = frame_get((struct frame_map *)pm, k->t0, 1, false);
    /* no IPv4/IPv6 record at this time although they were recorded: not IP */
    if (ip_known && !k->addr_len && (!fi || (!fi->k.addr_len && !fi->amb_addr)))
        k->no_ip = true;
    if (!fi)
        return;
    if (!k->addr_len && fi->k.addr_len && !fi->amb_addr) {
        k->addr_len = fi->k.addr_len;
        memcpy(k->a, fi->k.a, 16);
        memcpy(k->b, fi->k.b, 16);
    }
    if (!k->has_ports && fi->k.has_ports && !fi->amb_ports) {
        k->has_ports = true;
        k->pa = fi->k.pa;
        k->pb = fi->k.pb;
    }
    if (k->proto < 0)
        k->proto = fi->k.proto;
}

static char *path_join(const char *dir, const char *name, const char *suffix)
{
    char *p;
    if (asprintf(&p, "%s/%s%s", dir, name, suffix) < 0) {
        fprintf(stderr, "netsift label: out of memory\n");
        exit(1);
    }
    return p;
}

/* Earliest record time in the audit files (for Snort dates without a year). */
static int64_t audit_first_time(const char *dir)
{
    int64_t min = INT64_MAX;
    for (int t = 0; t < REC_COUNT; t++) {
        char *path = path_join(dir, audit_types[t].name, ".ncap.gz"), err[256];
        struct audit_reader *r =
            access(path, F_OK) == 0 ? audit_reader_open(path, err, sizeof err) : NULL;
        const ProtobufCMessage *m;
        if (r && audit_reader_next(r, &m, err, sizeof err) == 1) {
            int64_t ts = audit_record_timestamp(m);
            if (ts >= 0 && ts < min)
                min = ts;
        }
        if (r)
            audit_reader_close(r);
        free(path);
    }
    return min;
}

/* Labels DIR/<Type>.ncap.gz into DIR/<Type>_labeled.csv. 1 done, 0 no such file, -1 error. */
static int label_audit_file(struct labeler *l, const char *dir, enum audit_rec rec)
{
    char *in = path_join(dir, audit_types[rec].name, ".ncap.gz");
    if (access(in, F_OK) != 0) {
        free(in);
        return 0;
    }
    char err[1024];
    int status = -1;
    struct audit_reader *r = audit_reader_open(in, err, sizeof err);
    char *outp = path_join(dir, audit_types[rec].name, "_labeled.csv");
    FILE *out = NULL;
    if (!r) {
        fprintf(stderr, "netsift label: %s\n", err);
        goto done;
    }
    if (audit_reader_type(r) != rec) {
        fprintf(stderr, "netsift label: %s holds %s records\n", in,
                audit_types[audit_reader_type(r)].name);
        goto done;
    }
    out = create_stream(outp);
    if (!out) {
        fprintf(stderr, "netsift label: %s: %s\n", outp, strerror(errno));
        goto done;
    }
    const ProtobufCMessageDescriptor *d = audit_types[rec].desc;
    const ProtobufCFieldDescriptor *fields[SCHEMA_MAX_COLS * 2];
    size_t nf = 0;
    for (unsigned i = 0; i < d->n_fields && nf < sizeof fields / sizeof fields[0]; i++)
        fields[nf++] = &d->fields[i];
    struct rec_fields rf;
    rec_fields_init(&rf, rec);
    dump_csv_header(out, fields, nf);
    fputs(",label\n", out);
    struct sbuf scratch = {0};
    const ProtobufCMessage *m;
    int rc;
    uint64_t labeled0 = l->labeled, n = 0;
    char *where = path_join(in, "record", "");
    where[strlen(in)] = ' '; /* "DIR/TCP.ncap.gz record" */
    while ((rc = audit_reader_next(r, &m, err, sizeof err)) == 1) {
        struct label_key k;
        rec_key(&rf, m, &k);
        if (rf.ts && l->pm)
            fill_from_packet(&k, l->pm, l->ip_known);
        if (label_record(l, &k, where, n + 1) != 0) {
            rc = -2;
            break;
        }
        n++;
        dump_csv_record(out, m, fields, nf, &scratch);
        fputc(',', out);
        if (strpbrk(l->lab.p, ",\"\r\n")) {
            fputc('"', out);
            for (const char *p = l->lab.p; *p; p++) {
                if (*p == '"')
                    fputc('"', out);
                fputc(*p, out);
            }
            fputs("\"\n", out);
        } else {
            fprintf(out, "%s\n", l->lab.p);
        }
    }
    free(scratch.p);
    free(where);
    uint64_t off;
    if (rc == -1)
        fprintf(stderr, "netsift label: %s: %s\n", in, err);
    else if (rc == 0 && audit_reader_truncated(r, &off))
        fprintf(stderr,
                "netsift label: warning: %s is truncated at offset %" PRIu64
                "; labeled its %" PRIu64 " whole records\n",
                in, off, n);
    if (rc == 0) {
        fprintf(stderr, "netsift label: %s: %" PRIu64 " records, %" PRIu64 " labeled -> %s\n", in,
                n, l->labeled - labeled0, outp);
        status = 1;
    }
done:
    if (out && fclose(out) != 0 && status == 1) {
        fprintf(stderr, "netsift label: %s: %s\n", outp, strerror(errno));
        status = -1;
    }
    if (out && status != 1)
        unlink(outp); /* no half-labeled file */
    if (r)
        audit_reader_close(r);
    free(in);
    free(outp);
    return status;
}

/* The packet map of the audit records: IPv4/IPv6 addresses and TCP/UDP
 * ports by packet time, for the times of alerts. */
static const enum audit_rec packet_sources[] = {REC_IPV4, REC_IPV6, REC_TCP, REC_UDP};

static void audit_packet_map(const struct labeler *l, const char *dir, struct frame_map *pm)
{
    for (size_t s = 0; s < sizeof packet_sources / sizeof packet_sources[0]; s++) {
        char *path = path_join(dir, audit_types[packet_sources[s]].name, ".ncap.gz"), err[256];
        struct audit_reader *r =
            access(path, F_OK) == 0 ? audit_reader_open(path, err, sizeof err) : NULL;
        free(path);
        if (!r)
            continue; /* reported when it is labeled */
        struct rec_fields rf;
        rec_fields_init(&rf, packet_sources[s]);
        const ProtobufCMessage *m;
        while (audit_reader_next(r, &m, err, sizeof err) == 1) {
            struct label_key k;
            rec_key(&rf, m, &k);
            if (!label_index_has_time(l->ix, k.t0))
                continue;
            struct frame_info *fi = frame_get(pm, k.t0, 1, true);
            if (k.addr_len) {
                if (!fi->k.addr_len) {
                    fi->k.addr_len = k.addr_len;
                    memcpy(fi->k.a, k.a, 16);
                    memcpy(fi->k.b, k.b, 16);
                } else if (fi->k.addr_len != k.addr_len || memcmp(fi->k.a, k.a, 16) ||
                           memcmp(fi->k.b, k.b, 16)) {
                    fi->amb_addr = true;
                }
            }
            if (k.has_ports) {
                if (!fi->k.has_ports) {
                    fi->k.has_ports = true;
                    fi->k.pa = k.pa;
                    fi->k.pb = k.pb;
                } else if (fi->k.pa != k.pa || fi->k.pb != k.pb) {
                    fi->amb_ports = true;
                }
            }
            if (k.proto >= 0 && (k.has_ports || fi->k.proto < 0))
                fi->k.proto = k.proto;
        }
        audit_reader_close(r);
    }
}

static int label_audit(struct labeler *l, const char *dir)
{
    int found = 0;
    struct frame_map pm = {0};
    audit_packet_map(l, dir, &pm);
    l->pm = &pm;
    char *v4 = path_join(dir, audit_types[REC_IPV4].name, ".ncap.gz");
    char *v6 = path_join(dir, audit_types[REC_IPV6].name, ".ncap.gz");
    l->ip_known = access(v4, F_OK) == 0 && access(v6, F_OK) == 0;
    free(v4);
    free(v6);
    for (int t = 0; t < REC_COUNT; t++) {
        int rc = label_audit_file(l, dir, (enum audit_rec)t);
        if (rc < 0) {
            found = -1;
            break;
        }
        found += rc;
    }
    l->pm = NULL;
    free(pm.v);
    if (found < 0)
        return -1;
    if (!found) {
        fprintf(stderr, "netsift label: %s holds no audit record files (<Type>.ncap.gz)\n", dir);
        return -1;
    }
    return 0;
}

/* ---- the header database ---------------------------------------------- */

/* Tables that tell a frame's addresses (ADDR) or ports (PORTS). */
static const struct {
    const char *sql;
    bool ports;
    int proto; /* PORTS: the protocol they imply */
} frame_sources[] = {
    {"SELECT timestamp, frame, ip_src, ip_dst, ip_p FROM ip4", false, 0},
    {"SELECT timestamp, frame, ip6_src, ip6_dst, upper_nxt FROM ip6", false, 0},
    {"SELECT timestamp, frame, source, dest FROM tcp", true, 6},
    {"SELECT timestamp, frame, source, dest FROM udp", true, 17},
};

/* all: every frame (the http table needs each connection's last packet);
 * otherwise only those at alert times. */
static int db_frames(const struct labeler *l, sqlite3 *db, struct frame_map *fm, bool all)
{
    for (size_t s = 0; s < sizeof frame_sources / sizeof frame_sources[0]; s++) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, frame_sources[s].sql, -1, &st, NULL) != SQLITE_OK)
            continue; /* an older database without the table or its frame column */
        while (sqlite3_step(st) == SQLITE_ROW) {
            int64_t ts = sqlite3_column_int64(st, 0);
            if (!all && !label_index_has_time(l->ix, ts))
                continue;
            struct frame_info *fi = frame_get(fm, ts, sqlite3_column_int64(st, 1), true);
            if (!fi)
                continue;
            if (frame_sources[s].ports) {
                if (fi->k.has_ports)
                    continue; /* the outer header of a tunnel counts */
                fi->k.has_ports = true;
                fi->k.pa = (uint16_t)sqlite3_column_int(st, 2);
                fi->k.pb = (uint16_t)sqlite3_column_int(st, 3);
                fi->k.proto = frame_sources[s].proto;
                continue;
            }
            /* a tunnel: the inner header (the later row) is the one the TCP/UDP
             * header and the IDS's alert belong to */
            const char *a = (const char *)sqlite3_column_text(st, 2);
            const char *b = (const char *)sqlite3_column_text(st, 3);
            uint8_t aa[16], bb[16];
            int la = a ? alert_parse_addr(a, aa) : 0, lb = b ? alert_parse_addr(b, bb) : 0;
            if (!la || la != lb)
                continue;
            fi->k.addr_len = (uint8_t)la;
            memcpy(fi->k.a, aa, 16);
            memcpy(fi->k.b, bb, 16);
            if (!fi->k.has_ports)
                fi->k.proto = sqlite3_column_int(st, 4);
        }
        sqlite3_finalize(st);
    }
    return 0;
}

#define LABEL_COLUMNS                                                                          \
    "tbl TEXT NOT NULL, row_id INTEGER NOT NULL, timestamp INTEGER, label TEXT NOT NULL, "     \
    "alert_ts INTEGER NOT NULL, proto INTEGER, src_ip TEXT, src_port INTEGER, dst_ip TEXT, "   \
    "dst_port INTEGER, gid INTEGER, sid INTEGER, rev INTEGER, severity INTEGER, "              \
    "classification TEXT, description TEXT, alert_file TEXT, alert_line INTEGER"
#define LABEL_VALUES "?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18"

/* headers.sqlite's labels */
static const char LABELS_SQL[] = "CREATE TABLE IF NOT EXISTS labels (" LABEL_COLUMNS ");"
                                 "CREATE INDEX IF NOT EXISTS labels_idx ON labels (tbl, row_id);"
                                 "DELETE FROM labels;";
static const char INSERT_SQL[] = "INSERT INTO labels VALUES (" LABEL_VALUES ")";

/* The labels of the closed header files (DB_PATH/headers/, never written
 * again) go to DB_PATH/labels.sqlite: the same table with the file's
 * name first (?19). */
static const char CLOSED_LABELS_SQL[] =
    "CREATE TABLE IF NOT EXISTS labels (file TEXT NOT NULL, " LABEL_COLUMNS ");"
    "CREATE INDEX IF NOT EXISTS labels_idx ON labels (file, tbl, row_id);"
    "DELETE FROM labels;";
static const char CLOSED_INSERT_SQL[] = "INSERT INTO labels VALUES (?19, " LABEL_VALUES ")";

/* The labels rows of one database row. */
static int db_insert(struct labeler *l, sqlite3_stmt *ins, const char *tbl, int64_t row_id,
                     int64_t ts)
{
    for (size_t i = 0; i < l->nsel; i++) {
        const struct alert *a = &l->set->v[l->ids[i]];
        char s[64], d[64];
        alert_address(a, false, s, sizeof s);
        alert_address(a, true, d, sizeof d);
        int c = 1;
        sqlite3_bind_text(ins, c++, tbl, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, c++, row_id);
        sqlite3_bind_int64(ins, c++, ts);
        sqlite3_bind_text(ins, c++, l->lab.p, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(ins, c++, a->ts);
        sqlite3_bind_int(ins, c++, a->proto);
        if (a->addr_len)
            sqlite3_bind_text(ins, c++, s, -1, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(ins, c++);
        sqlite3_bind_int(ins, c++, a->sport);
        if (a->addr_len)
            sqlite3_bind_text(ins, c++, d, -1, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(ins, c++);
        sqlite3_bind_int(ins, c++, a->dport);
        sqlite3_bind_int64(ins, c++, a->gid);
        sqlite3_bind_int64(ins, c++, a->sid);
        sqlite3_bind_int64(ins, c++, a->rev);
        sqlite3_bind_int(ins, c++, a->severity);
        sqlite3_bind_text(ins, c++, a->classification, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, c++, a->description, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, c++, a->file, -1, SQLITE_STATIC);
        sqlite3_bind_int(ins, c++, (int)a->line);
        if (sqlite3_step(ins) != SQLITE_DONE) {
            fprintf(stderr, "netsift label: insert into labels: %s\n",
                    sqlite3_errmsg(sqlite3_db_handle(ins)));
            return -1;
        }
        sqlite3_reset(ins);
    }
    return 0;
}

/* Every header table's rows, by their frame's addresses and ports. */
static int db_label_packets(struct labeler *l, sqlite3 *db, struct frame_map *fm, sqlite3_stmt *ins)
{
    for (int t = 0; t < LAYER_COUNT; t++) {
        const char *name = header_tables[t].name;
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT rowid, timestamp, frame FROM %s", name);
        char where[64];
        snprintf(where, sizeof where, "%s row", name);
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
            continue;
        uint64_t n = 0, labeled0 = l->labeled;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            int64_t rowid = sqlite3_column_int64(st, 0), ts = sqlite3_column_int64(st, 1);
            const struct frame_info *fi = frame_get(fm, ts, sqlite3_column_int64(st, 2), false);
            struct label_key k = {.proto = -1, .no_ip = true}; /* no ip4/ip6 row in its frame */
            if (fi)
                k = fi->k;
            if (fi && !fi->k.addr_len)
                k.no_ip = true;
            k.t0 = k.t1 = ts;
            if (label_record(l, &k, where, (uint64_t)rowid) != 0 ||
                db_insert(l, ins, name, rowid, ts) != 0) {
                sqlite3_finalize(st);
                return -1;
            }
            n++;
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) {
            fprintf(stderr, "netsift label: reading %s: %s\n", name, sqlite3_errmsg(db));
            return -1;
        }
        if (n)
            fprintf(stderr, "netsift label: table %s: %" PRIu64 " rows, %" PRIu64 " labeled\n",
                    name, n, l->labeled - labeled0);
    }
    return 0;
}

/* Packet times by 5-tuple (TCP frames), to find where a connection ends. */
struct tuple_time {
    uint64_t h;
    int64_t ts;
};

static int tuple_time_cmp(const void *x, const void *y)
{
    const struct tuple_time *a = x, *b = y;
    if (a->h != b->h)
        return a->h < b->h ? -1 : 1;
    return a->ts < b->ts ? -1 : a->ts > b->ts;
}

static struct tuple_time *tcp_times(const struct frame_map *fm, size_t *n)
{
    struct tuple_time *v = malloc((fm->n ? fm->n : 1) * sizeof *v);
    *n = 0;
    if (!v)
        return NULL;
    for (size_t i = 0; i < fm->cap; i++) {
        const struct frame_info *fi = &fm->v[i];
        if (fi->frame && fi->k.proto == 6 && fi->k.has_ports && fi->k.addr_len)
            v[(*n)++] = (struct tuple_time){label_key_tuple_hash(&fi->k), fi->ts};
    }
    qsort(v, *n, sizeof *v, tuple_time_cmp);
    return v;
}

/* Time of the last TCP packet of k's 5-tuple at or before `bound`, or -1. */
static int64_t tuple_last(const struct tuple_time *v, size_t n, const struct label_key *k,
                          int64_t bound)
{
    uint64_t h = label_key_tuple_hash(k);
    size_t lo = 0, hi = n; /* first entry > (h, bound) */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid].h < h || (v[mid].h == h && v[mid].ts <= bound))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 && v[lo - 1].h == h ? v[lo - 1].ts : -1;
}

/* HTTP transactions: the connection's 5-tuple, from the transaction's
 * first byte (the connection's first packet for the first one) to the
 * next transaction's first byte on the same connection, or, for the
 * last one, the connection's last TCP packet in the tcp table (before the
 * next connection of the same 5-tuple). */
static int db_label_http(struct labeler *l, sqlite3 *db, sqlite3_stmt *ins,
                         const struct frame_map *fm)
{
    static const char sql[] =
        "SELECT rowid, conn_ts, client_ip, client_port, server_ip, server_port, depth, "
        "COALESCE(req_ts, resp_ts, conn_ts), MAX(COALESCE(req_ts, 0), COALESCE(resp_ts, 0), "
        "conn_ts) FROM http "
        "ORDER BY client_ip, client_port, server_ip, server_port, conn_ts, depth";
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return 0;
    struct row {
        int64_t rowid, conn_ts, start, last; /* last: its latest request/response time */
        struct label_key k;
    } cur, next;
    bool have = false;
    uint64_t n = 0, labeled0 = l->labeled;
    size_t ntt;
    struct tuple_time *tt = tcp_times(fm, &ntt);
    if (!tt) {
        fprintf(stderr, "netsift label: out of memory\n");
        sqlite3_finalize(st);
        return -1;
    }
    int rc;
    for (;;) {
        rc = sqlite3_step(st);
        bool got = rc == SQLITE_ROW;
        if (got) {
            memset(&next, 0, sizeof next);
            next.rowid = sqlite3_column_int64(st, 0);
            next.conn_ts = sqlite3_column_int64(st, 1);
            const char *a = (const char *)sqlite3_column_text(st, 2);
            const char *b = (const char *)sqlite3_column_text(st, 4);
            int la = a ? alert_parse_addr(a, next.k.a) : 0,
                lb = b ? alert_parse_addr(b, next.k.b) : 0;
            next.k.addr_len = la && la == lb ? (uint8_t)la : 0;
            next.k.has_ports = true;
            next.k.pa = (uint16_t)sqlite3_column_int(st, 3);
            next.k.pb = (uint16_t)sqlite3_column_int(st, 5);
            next.k.proto = 6;
            next.start =
                sqlite3_column_int(st, 6) == 0 ? next.conn_ts : sqlite3_column_int64(st, 7);
            next.last = sqlite3_column_int64(st, 8);
        }
        if (have) {
            bool tuple = got && next.k.pa == cur.k.pa && next.k.pb == cur.k.pb &&
                         memcmp(next.k.a, cur.k.a, 16) == 0 && memcmp(next.k.b, cur.k.b, 16) == 0;
            bool same = tuple && next.conn_ts == cur.conn_ts;
            cur.k.t0 = cur.start;
            if (same) {
                cur.k.t1 = next.start > cur.start ? next.start - 1 : cur.start;
            } else {
                int64_t last =
                    tuple_last(tt, ntt, &cur.k,
                               tuple && next.conn_ts > cur.start ? next.conn_ts - 1 : INT64_MAX);
                cur.k.t1 = last > cur.start ? last : cur.last;
            }
            if (label_record(l, &cur.k, "http row", (uint64_t)cur.rowid) != 0 ||
                db_insert(l, ins, "http", cur.rowid, cur.start) != 0) {
                sqlite3_finalize(st);
                free(tt);
                return -1;
            }
            n++;
        }
        if (!got)
            break;
        cur = next;
        have = true;
    }
    sqlite3_finalize(st);
    free(tt);
    if (rc != SQLITE_DONE) {
        fprintf(stderr, "netsift label: reading http: %s\n", sqlite3_errmsg(db));
        return -1;
    }
    if (n)
        fprintf(stderr, "netsift label: table http: %" PRIu64 " rows, %" PRIu64 " labeled\n", n,
                l->labeled - labeled0);
    return 0;
}

/* headers.sqlite of dir; NULL (said on stderr unless quiet) when it
 * cannot be opened. */
static sqlite3 *db_open(const char *dir, bool quiet)
{
    char *path = path_join(dir, "headers", ".sqlite");
    sqlite3 *db = NULL;
    if (access(path, F_OK) != 0) {
        if (!quiet)
            fprintf(stderr, "netsift label: %s: no such database (capture with --db-path first)\n",
                path);
        free(path);
        return NULL;
    }
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
        if (!quiet)
            fprintf(stderr, "netsift label: %s: %s\n", path, sqlite3_errmsg(db));
        sqlite3_close(db);
        db = NULL;
    } else {
        sqlite3_busy_timeout(db, 5000);
    }
    free(path);
    return db;
}

/* The earliest packet time of dir's headers (the default year of fast.log
 * lines); a database that cannot be opened is reported by label_db(). */
static int64_t db_first_time(const char *dir)
{
    struct header_files hf;
    char why[512];
    int64_t min = INT64_MAX;
    if (header_files_list(dir, &hf, why, sizeof why) == 0) {
        if (hf.n && !hf.v[0].open) /* the closed files are in time order */
            min = (int64_t)hf.v[0].first_us;
        header_files_free(&hf);
        if (min != INT64_MAX)
            return min;
    }
    sqlite3 *db = db_open(dir, true);
    sqlite3_stmt *st;
    if (db &&
        sqlite3_prepare_v2(db, "SELECT MIN(timestamp) FROM eth", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_INTEGER)
            min = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return min;
}

/* Label the rows of the header file open on db (its tables unqualified)
 * through ins. */
static int label_file(struct labeler *l, sqlite3 *db, sqlite3_stmt *ins)
{
    struct frame_map fm = {0};
    sqlite3_stmt *q;
    bool http = false;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM http LIMIT 1", -1, &q, NULL) == SQLITE_OK) {
        http = sqlite3_step(q) == SQLITE_ROW;
        sqlite3_finalize(q);
    }
    db_frames(l, db, &fm, http);
    int rc = db_label_packets(l, db, &fm, ins) != 0 || db_label_http(l, db, ins, &fm) != 0 ? -1 : 0;
    free(fm.v);
    return rc;
}

/* The closed header files, each attached in turn to DB_PATH/labels.sqlite
 * (whose labels table is rebuilt), one transaction per file (SQLite
 * attaches only outside a transaction). */
static int label_closed_files(struct labeler *l, const char *dir, const struct header_files *hf)
{
    char *path = path_join(dir, "labels", ".sqlite");
    sqlite3 *db = NULL;
    sqlite3_stmt *ins = NULL, *attach = NULL;
    char *err = NULL;
    bool attached = false;
    int status = -1;
    /* made here, never through a link; SQLite then opens what is there */
    int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (fd < 0) {
        fprintf(stderr, "netsift label: %s: %s\n", path, strerror(errno));
        free(path);
        return -1;
    }
    close(fd);
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK ||
        sqlite3_busy_timeout(db, 5000) != SQLITE_OK ||
        sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &err) != SQLITE_OK ||
        sqlite3_exec(db, CLOSED_LABELS_SQL, NULL, NULL, &err) != SQLITE_OK ||
        sqlite3_exec(db, "COMMIT", NULL, NULL, &err) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "ATTACH ?1 AS closed", -1, &attach, NULL) != SQLITE_OK)
        goto fail;
    for (int i = 0; i < hf->n; i++) {
        const struct header_file *f = &hf->v[i];
        if (f->open)
            continue;
        const char *name = f->path + strlen(dir) + 1;
        fprintf(stderr, "netsift label: %s\n", name);
        sqlite3_bind_text(attach, 1, f->path, -1, SQLITE_STATIC);
        int rc = sqlite3_step(attach);
        sqlite3_reset(attach);
        if (rc != SQLITE_DONE)
            goto fail;
        attached = true;
        if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &err) != SQLITE_OK ||
            sqlite3_prepare_v2(db, CLOSED_INSERT_SQL, -1, &ins, NULL) != SQLITE_OK)
            goto fail;
        sqlite3_bind_text(ins, 19, name, -1, SQLITE_STATIC);
        if (label_file(l, db, ins) != 0)
            goto out; /* said */
        sqlite3_finalize(ins);
        ins = NULL;
        if (sqlite3_exec(db, "COMMIT", NULL, NULL, &err) != SQLITE_OK ||
            sqlite3_exec(db, "DETACH closed", NULL, NULL, &err) != SQLITE_OK)
            goto fail;
        attached = false;
    }
    status = 0;
    goto out;
fail:
    fprintf(stderr, "netsift label: %s: %s\n", path, err ? err : sqlite3_errmsg(db));
out:
    sqlite3_free(err);
    sqlite3_finalize(ins);
    sqlite3_finalize(attach);
    if (status != 0 && !sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    if (attached)
        sqlite3_exec(db, "DETACH closed", NULL, NULL, NULL);
    sqlite3_close(db);
    free(path);
    return status;
}

static int label_db(struct labeler *l, const char *dir)
{
    struct header_files hf;
    char why[512];
    if (header_files_list(dir, &hf, why, sizeof why) != 0) {
        fprintf(stderr, "netsift label: %s\n", why);
        return -1;
    }
    bool has_open = hf.n && hf.v[hf.n - 1].open, has_closed = hf.n > (has_open ? 1 : 0);
    int status = has_closed ? label_closed_files(l, dir, &hf) : 0;
    header_files_free(&hf);
    if (status != 0 || (has_closed && !has_open))
        return status;
    sqlite3 *db = db_open(dir, false);
    if (!db)
        return -1;
    sqlite3_stmt *ins = NULL;
    char *err = NULL;
    status = -1;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &err) != SQLITE_OK ||
        sqlite3_exec(db, LABELS_SQL, NULL, NULL, &err) != SQLITE_OK ||
        sqlite3_prepare_v2(db, INSERT_SQL, -1, &ins, NULL) != SQLITE_OK) {
        fprintf(stderr, "netsift label: %s/headers.sqlite: %s\n", dir,
                err ? err : sqlite3_errmsg(db));
        goto out;
    }
    if (has_closed)
        fprintf(stderr, "netsift label: headers.sqlite\n");
    if (label_file(l, db, ins) != 0)
        goto out;
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "netsift label: commit: %s\n", err);
        goto out;
    }
    status = 0;
out:
    sqlite3_free(err);
    sqlite3_finalize(ins);
    if (status != 0)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(db);
    return status;
}

/* ---- Suricata ---------------------------------------------------------- */

static bool on_path(const char *prog)
{
    const char *path = getenv("PATH");
    if (!path)
        return false;
    char *copy = strdup(path), *save = NULL;
    bool found = false;
    for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
        char *p = path_join(*d ? d : ".", prog, "");
        found = access(p, X_OK) == 0;
        free(p);
    }
    free(copy);
    return found;
}

/* Runs suricata -r pcap -S rules -l logdir; 0 when it exited 0. */
static int run_suricata(const char *pcap, const char *rules, const char *logdir)
{
    char *argv[] = {"suricata", "-r",           (char *)pcap, "-S",   (char *)rules,
                    "-l",       (char *)logdir, "-k",         "none", NULL};
    pid_t pid;
    int rc = posix_spawnp(&pid, "suricata", NULL, NULL, argv, environ);
    if (rc != 0) {
        fprintf(stderr, "netsift label: cannot run suricata: %s\n", strerror(rc));
        return -1;
    }
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "netsift label: suricata failed (status %d); its log is in %s\n",
                WIFEXITED(st) ? WEXITSTATUS(st) : -1, logdir);
        return -1;
    }
    return 0;
}

/* ---- the command -------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(
        f,
        "NAME\n"
        "    netsift label - label audit records and database rows with IDS alerts\n\n"
        "SYNOPSIS\n"
        "    netsift label --alerts FILE [--alerts FILE...] (--audit DIR | --db-path DIR)...\n"
        "                  [--strict | --collect] [--exclude CLASSIFICATION,...] [--year YYYY]\n"
        "    netsift label -r FILE.pcap --rules FILE (--audit DIR | --db-path DIR)... [options]\n\n"
        "DESCRIPTION\n"
        "    Reads IDS alerts (Suricata eve.json events of event_type \"alert\"; Suricata\n"
        "    fast.log or Snort '-A fast' lines; the format is told by the first line) and\n"
        "    labels with them what 'netsift capture' wrote:\n"
        "      --audit DIR    every DIR/<Type>.ncap.gz gives DIR/<Type>_labeled.csv: the\n"
        "                     CSV of 'netsift dump --csv' plus a last column, label.\n"
        "      --db-path DIR  DIR/headers.sqlite gets a table labels: one row per labeled\n"
        "                     row of a header table or of http, and per alert labeling it.\n"
        "    A record that is one packet takes the alerts with its exact timestamp\n"
        "    (microseconds) whose addresses, ports and protocol agree with its\n"
        "    packet's (taken from the IP/TCP/UDP records or rows of that packet; an\n"
        "    ARP packet: its time alone).  Flow, Connection,\n"
        "    NetworkFlow, TransportFlow records and HTTP transactions take the alerts of\n"
        "    their 5-tuple (either direction) inside their time span.  The label is the\n"
        "    alert's classification (its signature message when it has none); a record\n"
        "    without an alert is labeled 'normal'.\n"
        "    Malformed alert lines are reported as FILE:LINE and skipped.  Alerts that\n"
        "    label nothing are counted, and those outside the records' time span are\n"
        "    counted apart.  fast.log times are the sensor's local time: run with TZ set\n"
        "    to the sensor's zone (TZ=UTC when it ran in UTC).\n\n"
        "OPTIONS\n"
        "    --alerts FILE\n"
        "        An eve.json or fast.log file; may be repeated (up to %d).\n"
        "    --audit DIR\n"
        "        Label the audit record files in DIR.\n"
        "    -d, --db-path DIR\n"
        "        Label the rows of DIR/headers.sqlite (the labels table is rebuilt).\n"
        "    --strict\n"
        "        A record matching more than one alert is an error naming both, and a\n"
        "        malformed alert line is fatal.\n"
        "    --collect\n"
        "        Join the labels of all matching alerts (distinct, in file order,\n"
        "        separated by ' | ').  Default: the first alert in file order wins.\n"
        "    --exclude CLASSIFICATION,...\n"
        "        Ignore alerts of these classifications (case-insensitive; up to %d).\n"
        "    --year YYYY\n"
        "        Year of Snort fast lines that have none (default: the year of the\n"
        "        earliest record).\n"
        "    -r FILE.pcap --rules FILE\n"
        "        Run suricata (it must be on the PATH) on the capture with these rules and\n"
        "        label with its eve.json (its logs go to a temporary directory, kept and\n"
        "        named if it fails).\n"
        "    -h, --help\n"
        "        Show this text.\n\n"
        "EXIT STATUS\n"
        "    0 done; 1 an unreadable input, a --strict conflict or malformed line,\n"
        "    suricata missing or failing; 2 a usage error.\n\n"
        "EXAMPLES\n"
        "    netsift capture -r day1.pcap --audit audit --db-path db\n"
        "    netsift label --alerts eve.json --audit audit --db-path db\n"
        "    sqlite3 db/headers.sqlite 'SELECT label, count(*) FROM labels GROUP BY label'\n"
        "    TZ=UTC netsift label --alerts fast.log --collect --exclude 'Not Suspicious Traffic' "
        "--audit audit\n",
        MAX_ALERT_FILES, MAX_EXCLUDE);
}

static int split_list(char *s, const char **out, size_t max, size_t *n)
{
    for (char *save = NULL, *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ')
            t++;
        if (*n + 1 >= max)
            return -1;
        out[(*n)++] = t;
    }
    out[*n] = NULL;
    return 0;
}

int label_main(int argc, char **argv)
{
    const char *alerts[MAX_ALERT_FILES];
    size_t nalerts = 0, nexcl = 0;
    const char *exclude[MAX_EXCLUDE + 1] = {NULL};
    const char *audit_dir = NULL, *db_dir = NULL, *pcap = NULL, *rules = NULL;
    enum lmode mode = LM_FIRST;
    int year = 0;
    static const struct option longopts[] = {
        {"alerts", required_argument, NULL, 'a'},  {"audit", required_argument, NULL, 'A'},
        {"db-path", required_argument, NULL, 'd'}, {"strict", no_argument, NULL, 'S'},
        {"collect", no_argument, NULL, 'C'},       {"exclude", required_argument, NULL, 'x'},
        {"year", required_argument, NULL, 'y'},    {"rules", required_argument, NULL, 'R'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    opterr = 0;
    optind = 1;
    int ch;
    while ((ch = getopt_long(argc, argv, ":hd:r:", longopts, NULL)) != -1) {
        switch (ch) {
        case 'a':
            if (nalerts == MAX_ALERT_FILES) {
                fprintf(stderr, "netsift label: at most %d --alerts files\n", MAX_ALERT_FILES);
                return 2;
            }
            alerts[nalerts++] = optarg;
            break;
        case 'A': audit_dir = optarg; break;
        case 'd': db_dir = optarg; break;
        case 'S':
        case 'C': {
            enum lmode m = ch == 'S' ? LM_STRICT : LM_COLLECT;
            if (mode != LM_FIRST && mode != m) {
                fprintf(stderr, "netsift label: --strict and --collect exclude each other\n");
                return 2;
            }
            mode = m;
            break;
        }
        case 'x':
            if (split_list(optarg, exclude, MAX_EXCLUDE + 1, &nexcl) != 0) {
                fprintf(stderr, "netsift label: at most %d --exclude classifications\n",
                        MAX_EXCLUDE);
                return 2;
            }
            break;
        case 'y': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1970 || v > 9999) {
                fprintf(stderr, "netsift label: --year: '%s' is no year\n", optarg);
                return 2;
            }
            year = (int)v;
            break;
        }
        case 'r': pcap = optarg; break;
        case 'R': rules = optarg; break;
        case 'h': usage(stdout); return 0;
        default:
            fprintf(stderr, "netsift label: %s '%s' (see --help)\n",
                    ch == ':' ? "option needs a value:" : "unknown option", argv[optind - 1]);
            return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "netsift label: unexpected argument '%s' (see --help)\n", argv[optind]);
        return 2;
    }
    if (!!pcap != !!rules) {
        fprintf(stderr, "netsift label: -r FILE.pcap and --rules FILE go together (see --help)\n");
        return 2;
    }
    if (!pcap && nalerts == 0) {
        fprintf(stderr,
                "netsift label: give --alerts FILE, or -r FILE.pcap --rules FILE (see --help)\n");
        return 2;
    }
    if (!audit_dir && !db_dir) {
        fprintf(stderr,
                "netsift label: give --audit DIR and/or --db-path DIR to label (see --help)\n");
        return 2;
    }
    char logdir[] = "/tmp/netsift-suricata.XXXXXX";
    char *eve = NULL;
    if (pcap) {
        if (!on_path("suricata")) {
            fprintf(stderr,
                    "netsift label: suricata is not installed (no 'suricata' on the PATH); install "
                    "it, or run your IDS yourself and pass its alerts with --alerts FILE\n");
            return 1;
        }
        if (!mkdtemp(logdir)) {
            fprintf(stderr, "netsift label: %s: %s\n", logdir, strerror(errno));
            return 1;
        }
        if (run_suricata(pcap, rules, logdir) != 0)
            return 1;
        eve = path_join(logdir, "eve", ".json");
        if (nalerts < MAX_ALERT_FILES)
            alerts[nalerts++] = eve;
    }
    if (year == 0) { /* Snort lines without a year: the records' year */
        int64_t first = audit_dir ? audit_first_time(audit_dir) : INT64_MAX;
        if (db_dir && first == INT64_MAX)
            first = db_first_time(db_dir);
        if (first != INT64_MAX) {
            time_t t = (time_t)(first / 1000000);
            struct tm tm;
            localtime_r(&t, &tm);
            year = tm.tm_year + 1900;
        }
    }
    struct alert_opts opts = {
        .strict = mode == LM_STRICT, .exclude = exclude, .default_year = year};
    struct alert_set set = {0};
    int status = 0;
    for (size_t i = 0; i < nalerts && status == 0; i++)
        if (alert_set_load(&set, alerts[i], &opts, stderr) != 0)
            status = 1;
    struct labeler l = {.set = &set, .mode = mode, .tmin = INT64_MAX, .tmax = INT64_MIN};
    if (status == 0) {
        fprintf(stderr, "netsift label: %zu alerts read", set.n);
        if (set.malformed)
            fprintf(stderr, ", %" PRIu64 " malformed lines skipped", set.malformed);
        if (set.excluded)
            fprintf(stderr, ", %" PRIu64 " excluded by classification", set.excluded);
        fprintf(stderr, "\n");
        l.ix = label_index_build(set.v, set.n);
        l.matched = calloc(set.n ? set.n : 1, 1);
        if (!l.ix || !l.matched) {
            fprintf(stderr, "netsift label: out of memory\n");
            status = 1;
        }
    }
    if (status == 0 && audit_dir && label_audit(&l, audit_dir) != 0)
        status = 1;
    if (status == 0 && db_dir && label_db(&l, db_dir) != 0)
        status = 1;
    if (status == 0) {
        uint64_t unmatched = 0, outside = 0, shadowed = 0;
        for (size_t i = 0; i < set.n; i++) {
            shadowed += l.matched[i] == 1;
            if (l.matched[i])
                continue;
            if (set.v[i].ts < l.tmin || set.v[i].ts > l.tmax)
                outside++;
            else
                unmatched++;
        }
        fprintf(stderr,
                "netsift label: %" PRIu64 " records, %" PRIu64 " labeled by an alert, %" PRIu64
                " normal; alerts: %zu labeled something, %" PRIu64
                " matched only records an earlier alert"
                " labels, %" PRIu64 " outside the records' time, %" PRIu64
                " inside it matching no record\n",
                l.records, l.labeled, l.records - l.labeled,
                set.n - (size_t)(unmatched + outside + shadowed), shadowed, outside, unmatched);
    }
    label_index_free(l.ix);
    free(l.matched);
    free(l.ids);
    free(l.lab.p);
    alert_set_free(&set);
    if (eve) {
        if (status == 0) { /* keep Suricata's logs only when something failed */
            static const char *const logs[] = {"eve.json", "fast.log", "stats.log", "suricata.log"};
            for (size_t i = 0; i < sizeof logs / sizeof logs[0]; i++) {
                char *p = path_join(logdir, logs[i], "");
                unlink(p);
                free(p);
            }
            if (rmdir(logdir) != 0)
                fprintf(stderr, "netsift label: Suricata's logs are kept in %s\n", logdir);
        }
        free(eve);
    }
    return status;
}
