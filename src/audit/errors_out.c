/*
 * errors_out.c - unknown.pcap, errors.pcap and errors.log (see
 * errors_out.h).
 */
#define _GNU_SOURCE
#include "errors_out.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../util/fsutil.h"

struct audit_errors {
    pthread_mutex_t lock;
    pcap_t *dead;
    pcap_dumper_t *unknown, *errors;
    FILE *log;
    uint64_t n_unknown, n_errors;
    uint64_t counts[2][LAYER_COUNT]; /* [0] truncated, [1] malformed */
    bool write_failed;
};

static const char *const kind_name[2] = {"truncated", "malformed"};

struct audit_errors *audit_errors_open(const char *dir, int linktype, uint32_t snaplen,
                                       char *err, size_t errlen)
{
    struct audit_errors *e = calloc(1, sizeof *e);
    if (!e) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&e->lock, NULL);
    char path[4200];
    e->dead = pcap_open_dead(linktype, snaplen ? (int)snaplen : 262144);
    if (!e->dead) {
        snprintf(err, errlen, "cannot create pcap output (link type %d)", linktype);
        audit_errors_free(e);
        return NULL;
    }
    static const char *const names[2] = {"unknown.pcap", "errors.pcap"};
    pcap_dumper_t **d[2] = {&e->unknown, &e->errors};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        FILE *f = create_stream(path);
        *d[i] = f ? pcap_dump_fopen(e->dead, f) : NULL;
        if (!*d[i]) {
            snprintf(err, errlen, "cannot create '%s': %s", path,
                     f ? pcap_geterr(e->dead) : strerror(errno));
            if (f)
                fclose(f);
            audit_errors_free(e);
            return NULL;
        }
    }
    snprintf(path, sizeof path, "%s/errors.log", dir);
    e->log = create_stream(path);
    if (!e->log) {
        snprintf(err, errlen, "cannot create '%s': %s", path, strerror(errno));
        audit_errors_free(e);
        return NULL;
    }
    return e;
}

static void dump(pcap_dumper_t *d, const struct packet *pkt)
{
    struct pcap_pkthdr h;
    h.ts.tv_sec = (time_t)(pkt->timestamp / 1000000u);
    h.ts.tv_usec = (suseconds_t)(pkt->timestamp % 1000000u);
    h.caplen = pkt->caplen;
    h.len = pkt->length;
    pcap_dump((u_char *)d, &h, pkt->data);
}

static void log_entry(FILE *f, const struct packet *pkt)
{
    time_t secs = (time_t)(pkt->timestamp / 1000000u);
    struct tm tm;
    char when[32] = "?";
    if (gmtime_r(&secs, &tm))
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(f, "%s.%06uZ\nError:", when, (unsigned)(pkt->timestamp % 1000000u));
    const uint32_t bits[2] = {pkt->truncated, pkt->malformed};
    const char *sep = " ";
    for (int k = 0; k < 2; k++)
        for (int l = 0; l < LAYER_COUNT; l++)
            if ((bits[k] >> l) & 1u) {
                fprintf(f, "%s%s %s", sep, kind_name[k], layer_name((enum layer)l));
                sep = ", ";
            }
    fprintf(f, "\n");
    fprintf(f, "Packet: %u bytes captured, %u on the wire\n", pkt->caplen, pkt->length);
    for (int l = 0; l < LAYER_COUNT; l++) {
        const struct layer_ref *r = &pkt->ref[l];
        bool bad = ((pkt->truncated | pkt->malformed) >> l) & 1u;
        if (!packet_has(pkt, (enum layer)l) && !bad)
            continue;
        if (packet_has(pkt, (enum layer)l) && r->hdr >= pkt->data)
            fprintf(f, "-- Layer %s: bytes %zu-%zu%s%s\n", layer_name((enum layer)l),
                    (size_t)(r->hdr - pkt->data), (size_t)(r->hdr - pkt->data) + r->len,
                    ((pkt->truncated >> l) & 1u) ? " (truncated)" : "",
                    ((pkt->malformed >> l) & 1u) ? " (malformed)" : "");
        else
            fprintf(f, "-- Layer %s:%s%s\n", layer_name((enum layer)l),
                    ((pkt->truncated >> l) & 1u) ? " truncated" : "",
                    ((pkt->malformed >> l) & 1u) ? " malformed" : "");
    }
    for (uint32_t off = 0; off < pkt->caplen; off += 16) {
        char hex[16 * 3 + 1], asc[17];
        uint32_t n = pkt->caplen - off < 16 ? pkt->caplen - off : 16;
        for (uint32_t i = 0; i < 16; i++) {
            if (i < n) {
                uint8_t b = pkt->data[off + i];
                snprintf(hex + 3 * i, 4, "%02x ", b);
                asc[i] = b >= 0x20 && b < 0x7f ? (char)b : '.';
            } else {
                memcpy(hex + 3 * i, "   ", 4);
                asc[i] = ' ';
            }
        }
        asc[16] = '\0';
        fprintf(f, "%08x  %s |%s|\n", off, hex, asc);
    }
    fprintf(f, "\n");
}

void audit_errors_packet(struct audit_errors *e, const struct packet *pkt)
{
    bool unknown = pkt->unknown_linktype || pkt->not_decoded;
    bool error = (pkt->truncated | pkt->malformed) != 0;
    if (!unknown && !error)
        return;
    pthread_mutex_lock(&e->lock);
    if (unknown) {
        dump(e->unknown, pkt);
        e->n_unknown++;
    }
    if (error) {
        dump(e->errors, pkt);
        e->n_errors++;
        for (int l = 0; l < LAYER_COUNT; l++) {
            e->counts[0][l] += (pkt->truncated >> l) & 1u;
            e->counts[1][l] += (pkt->malformed >> l) & 1u;
        }
        log_entry(e->log, pkt);
    }
    pthread_mutex_unlock(&e->lock);
}

int audit_errors_close(struct audit_errors *e, char *err, size_t errlen)
{
    int rc = 0;
    if (e->log) {
        fprintf(e->log, "Summary: %llu packets with errors\n", (unsigned long long)e->n_errors);
        for (int k = 0; k < 2; k++)
            for (int l = 0; l < LAYER_COUNT; l++)
                if (e->counts[k][l])
                    fprintf(e->log, "%s %s: %llu\n", kind_name[k], layer_name((enum layer)l),
                            (unsigned long long)e->counts[k][l]);
        if (ferror(e->log) | fclose(e->log)) {
            snprintf(err, errlen, "writing errors.log: %s", strerror(errno));
            rc = -1;
        }
        e->log = NULL;
    }
    pcap_dumper_t **d[2] = {&e->unknown, &e->errors};
    for (int i = 0; i < 2; i++)
        if (*d[i]) {
            if (pcap_dump_flush(*d[i]) != 0 && rc == 0) {
                snprintf(err, errlen, "writing %s.pcap failed", i ? "errors" : "unknown");
                rc = -1;
            }
            pcap_dump_close(*d[i]);
            *d[i] = NULL;
        }
    return rc;
}

uint64_t audit_errors_unknown(const struct audit_errors *e)
{
    return e->n_unknown;
}

uint64_t audit_errors_errors(const struct audit_errors *e)
{
    return e->n_errors;
}

void audit_errors_free(struct audit_errors *e)
{
    if (!e)
        return;
    if (e->log)
        fclose(e->log);
    if (e->unknown)
        pcap_dump_close(e->unknown);
    if (e->errors)
        pcap_dump_close(e->errors);
    if (e->dead)
        pcap_close(e->dead);
    pthread_mutex_destroy(&e->lock);
    free(e);
}
