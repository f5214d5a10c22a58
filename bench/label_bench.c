/*
 * label_bench.c - scale benchmark input and mapping timer for `netsift
 * label` (bench/label.sh runs it).
 *
 *   label_bench DIR [RECORDS [ALERTS]]
 *
 * Writes DIR/Connection.ncap.gz and DIR/TCP.ncap.gz with RECORDS/2
 * synthetic records each (random 5-tuples among 20,000 hosts over one
 * day; connections of 0-60 s; TCP packet records at microsecond times)
 * and DIR/eve.json with ALERTS alerts (nine in ten taken from a random
 * record, in a random direction: a third of those at a TCP record's time
 * and ports, the others inside a connection; the rest random), all with a
 * fixed seed.  Then it times, in process, the
 * index's labeling of the same records against a scan of every alert
 * per record (measured on a sample and scaled), and prints both.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit_types.h"
#include "audit/writer.h"
#include "label/index.h"

#define DAY_US (86400LL * 1000000)
#define BASE_US (1700000000LL * 1000000)
#define HOSTS 20000
#define CHUNK 20000

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct rec {
    struct label_key k;
};

static void host(uint32_t h, uint8_t out[16])
{
    memset(out, 0, 16);
    out[0] = 10, out[1] = (uint8_t)(h >> 16), out[2] = (uint8_t)(h >> 8), out[3] = (uint8_t)h;
}

struct out {
    struct audit_file f;
    struct audit_buf b;
    struct audit_deflater d;
};

static int out_open(struct out *o, const char *dir, enum audit_rec rec)
{
    char path[4096], err[256];
    snprintf(path, sizeof path, "%s/%s.ncap.gz", dir, audit_types[rec].name);
    Netsift__Header h = NETSIFT__HEADER__INIT;
    h.created = "2026-11-24T00:00:00Z";
    h.inputsource = "label_bench";
    h.type = audit_types[rec].nc;
    h.version = (char *)audit_version();
    memset(&o->b, 0, sizeof o->b);
    if (audit_file_create(&o->f, path, &h, 6, err, sizeof err) != 0 ||
        audit_deflater_init(&o->d, 6) != 0) {
        fprintf(stderr, "label_bench: %s\n", err);
        return -1;
    }
    return 0;
}

static int out_flush(struct out *o)
{
    const uint8_t *gz;
    size_t len;
    if (!o->b.records)
        return 0;
    if (audit_deflate(&o->d, o->b.data, o->b.len, &gz, &len) != 0 ||
        audit_file_append(&o->f, gz, len, o->b.records) != 0)
        return -1;
    o->b.len = 0;
    o->b.records = 0;
    return 0;
}

static int out_add(struct out *o, const ProtobufCMessage *m)
{
    if (audit_buf_add(&o->b, m) != 0)
        return -1;
    return o->b.records >= CHUNK ? out_flush(o) : 0;
}

static int out_close(struct out *o)
{
    char err[256];
    int rc = out_flush(o);
    audit_buf_free(&o->b);
    audit_deflater_free(&o->d);
    return audit_file_close(&o->f, err, sizeof err) || rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: label_bench DIR [RECORDS [ALERTS]]\n");
        return 2;
    }
    const char *dir = argv[1];
    size_t nrec = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000000;
    size_t nal = argc > 3 ? strtoul(argv[3], NULL, 10) : 10000;
    size_t nconn = nrec / 2; /* the rest are TCP packet records */
    struct rec *r = calloc(nrec, sizeof *r);
    struct alert *al = calloc(nal ? nal : 1, sizeof *al);
    if (!r || !al)
        return 1;
    struct out conn, pkt;
    if (out_open(&conn, dir, REC_CONNECTION) != 0 || out_open(&pkt, dir, REC_TCP) != 0)
        return 1;
    char sip[16], dip[16];
    for (size_t i = 0; i < nrec; i++) {
        struct label_key *k = &r[i].k;
        k->addr_len = 4;
        host((uint32_t)(rnd() % HOSTS), k->a);
        host((uint32_t)(rnd() % HOSTS), k->b);
        k->has_ports = true;
        k->pa = (uint16_t)(1024 + rnd() % 60000);
        k->pb = (uint16_t)(rnd() % 2 ? 80 : 443);
        k->proto = 6;
        k->t0 = BASE_US + (int64_t)(rnd() % DAY_US);
        if (i < nconn) {
            k->t1 = k->t0 + (int64_t)(rnd() % 60000000);
            Netsift__Connection c = NETSIFT__CONNECTION__INIT;
            snprintf(sip, sizeof sip, "10.%u.%u.%u", k->a[1], k->a[2], k->a[3]);
            snprintf(dip, sizeof dip, "10.%u.%u.%u", k->b[1], k->b[2], k->b[3]);
            c.timestampfirst = k->t0;
            c.timestamplast = k->t1;
            c.linkproto = "EN10MB";
            c.networkproto = "IPv4";
            c.transportproto = "TCP";
            c.srcip = sip;
            c.dstip = dip;
            c.srcport = k->pa;
            c.dstport = k->pb;
            c.numpackets = 10;
            if (out_add(&conn, &c.base) != 0)
                return 1;
        } else {
            k->t1 = k->t0; /* a TCP record knows its time and ports only */
            k->addr_len = 0;
            k->proto = 6;
            Netsift__TCP t = NETSIFT__TCP__INIT;
            t.timestamp = k->t0;
            t.srcport = k->pa;
            t.dstport = k->pb;
            if (out_add(&pkt, &t.base) != 0)
                return 1;
        }
    }
    if (out_close(&conn) != 0 || out_close(&pkt) != 0) {
        fprintf(stderr, "label_bench: writing the records failed\n");
        return 1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/eve.json", dir);
    FILE *eve = fopen(path, "w");
    if (!eve)
        return 1;
    for (size_t i = 0; i < nal; i++) {
        struct alert *a = &al[i];
        const struct label_key *k = &r[rnd() % (nconn ? nconn : 1)].k;
        bool real = nconn && rnd() % 10 != 0, rev = rnd() % 2;
        a->addr_len = 4;
        a->proto = 6;
        a->order = (uint32_t)i;
        if (real && nrec > nconn && rnd() % 3 == 0) { /* at a TCP packet record's time and ports */
            k = &r[nconn + rnd() % (nrec - nconn)].k;
            host((uint32_t)(rnd() % HOSTS), a->src);
            host((uint32_t)(rnd() % HOSTS), a->dst);
            a->sport = rev ? k->pb : k->pa;
            a->dport = rev ? k->pa : k->pb;
            a->ts = k->t0;
        } else if (real) {
            memcpy(a->src, rev ? k->b : k->a, 16);
            memcpy(a->dst, rev ? k->a : k->b, 16);
            a->sport = rev ? k->pb : k->pa;
            a->dport = rev ? k->pa : k->pb;
            a->ts = k->t0 + (k->t1 > k->t0 ? (int64_t)(rnd() % (uint64_t)(k->t1 - k->t0)) : 0);
        } else {
            host((uint32_t)(rnd() % HOSTS), a->src);
            host((uint32_t)(rnd() % HOSTS), a->dst);
            a->sport = (uint16_t)rnd();
            a->dport = 80;
            a->ts = BASE_US + (int64_t)(rnd() % DAY_US);
        }
        time_t s = (time_t)(a->ts / 1000000);
        struct tm tm;
        gmtime_r(&s, &tm);
        char ts[64];
        strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
        fprintf(eve,
                "{\"timestamp\":\"%s.%06" PRId64
                "+0000\",\"event_type\":\"alert\",\"src_ip\":\"10.%u.%u.%u\","
                "\"src_port\":%u,\"dest_ip\":\"10.%u.%u.%u\",\"dest_port\":%u,\"proto\":\"TCP\","
                "\"alert\":{"
                "\"gid\":1,\"signature_id\":%zu,\"rev\":1,\"signature\":\"BENCH "
                "%zu\",\"category\":\"Class %zu\","
                "\"severity\":2}}\n",
                ts, a->ts % 1000000, a->src[1], a->src[2], a->src[3], a->sport, a->dst[1],
                a->dst[2], a->dst[3], a->dport, 100000 + i, i, i % 20);
    }
    fclose(eve);

    /* in process: the index against a scan of every alert */
    double t = now_s();
    struct label_index *ix = label_index_build(al, nal);
    uint32_t *ids = NULL;
    size_t cap = 0, hits = 0;
    for (size_t i = 0; i < nrec; i++)
        hits += label_index_match(ix, &r[i].k, &ids, &cap) > 0;
    double t_index = now_s() - t;
    size_t sample = nrec < 20000 ? nrec : 20000, shits = 0, ihits = 0;
    t = now_s();
    for (size_t i = 0; i < sample; i++) {
        bool any = false;
        for (size_t j = 0; j < nal; j++)
            any |= label_key_matches(&r[i].k, &al[j]);
        shits += any;
    }
    double t_scan = (now_s() - t) * (double)nrec / (double)sample;
    for (size_t i = 0; i < sample; i++)
        ihits += label_index_match(ix, &r[i].k, &ids, &cap) > 0;
    printf("records %zu, alerts %zu: index build + label %.3f s (%zu labeled); "
           "scan of every alert per record %.1f s (from %zu records); ratio %.0fx; sample agrees: "
           "%s\n",
           nrec, nal, t_index, hits, t_scan, sample, t_scan / t_index,
           shits == ihits ? "yes" : "NO");
    label_index_free(ix);
    free(ids);
    free(r);
    free(al);
    return shits == ihits ? 0 : 1;
}
