/*
 * classify.c - nDPI 4.2 detection, the way ndpiReader drives it (see
 * classify.h).
 */
#include "classify.h"

#include <ndpi_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprint.h"

#define NAME_CACHE 512 /* protocol names by (master, app), direct-mapped */

struct classifier {
    struct ndpi_detection_module_struct *ndpi;
    uint64_t last_ms; /* nDPI wants time that never goes back */
    struct {
        uint32_t key; /* master << 16 | app, + 1; 0: empty */
        char name[PROTO_NAME_MAX];
    } names[NAME_CACHE];
};

struct classifier *classifier_new(char *err, size_t errlen)
{
    struct classifier *cl = calloc(1, sizeof *cl);
    if (!cl || !(cl->ndpi = ndpi_init_detection_module(ndpi_no_prefs))) {
        snprintf(err, errlen, "cannot initialise nDPI (out of memory)");
        free(cl);
        return NULL;
    }
    NDPI_PROTOCOL_BITMASK all;
    NDPI_BITMASK_SET_ALL(all);
    ndpi_set_protocol_detection_bitmask2(cl->ndpi, &all);
    ndpi_finalize_initialization(cl->ndpi);
    return cl;
}

void classifier_free(struct classifier *cl)
{
    if (!cl)
        return;
    ndpi_exit_detection_module(cl->ndpi);
    free(cl);
}

struct ndpi_flow_struct *classifier_flow_new(void)
{
    struct ndpi_flow_struct *f = ndpi_flow_malloc(SIZEOF_FLOW_STRUCT);
    if (f)
        memset(f, 0, SIZEOF_FLOW_STRUCT);
    return f;
}

void classifier_flow_free(struct ndpi_flow_struct *f)
{
    if (f)
        ndpi_free_flow(f); /* its allocations, then the struct */
}

static void result(const struct ndpi_flow_struct *f, ndpi_protocol p, struct classification *out)
{
    out->master = p.master_protocol;
    out->app = p.app_protocol;
    out->confidence = (uint8_t)f->confidence;
}

const char *classifier_name(struct classifier *cl, const struct classification *c)
{
    uint32_t key = ((uint32_t)c->master << 16 | c->app) + 1;
    uint32_t slot = (key * 2654435761u) >> 23; /* 9 bits: NAME_CACHE slots */
    if (cl->names[slot].key != key) {
        ndpi_protocol p = NDPI_PROTOCOL_NULL;
        p.master_protocol = c->master;
        p.app_protocol = c->app;
        ndpi_protocol2name(cl->ndpi, p, cl->names[slot].name, sizeof cl->names[slot].name);
        cl->names[slot].key = key;
    }
    return cl->names[slot].name;
}

const char *classification_confidence(const struct classification *c)
{
    const char *s = ndpi_confidence_get_name((ndpi_confidence_t)c->confidence);
    return s ? s : "Unknown";
}

enum cls_state classifier_packet(struct classifier *cl, struct ndpi_flow_struct *f,
                                 const uint8_t *ip, uint32_t len, uint64_t time_us,
                                 uint32_t flow_packets, uint8_t l4, struct classification *out)
{
    uint64_t ms = time_us / 1000;
    if (ms < cl->last_ms)
        ms = cl->last_ms;
    cl->last_ms = ms;
    if (len > 65535)
        len = 65535; /* nDPI takes a 16-bit length; an IP packet is no longer */
    ndpi_protocol p = ndpi_detection_process_packet(cl->ndpi, f, ip, (unsigned short)len, ms);
    bool enough = (l4 == 17 && flow_packets > CLASSIFY_MAX_UDP_PACKETS) ||
                  (l4 == 6 && flow_packets > CLASSIFY_MAX_TCP_PACKETS);
    if (!enough && p.app_protocol == NDPI_PROTOCOL_UNKNOWN)
        return CLS_PENDING;
    if (!enough && ndpi_extra_dissection_possible(cl->ndpi, f)) {
        result(f, p, out); /* named; nDPI wants more (a certificate, an answer, ...) */
        return CLS_NAMED;
    }
    if (p.app_protocol == NDPI_PROTOCOL_UNKNOWN) {
        uint8_t guessed = 0;
        p = ndpi_detection_giveup(cl->ndpi, f, 1, &guessed);
    }
    result(f, p, out);
    return CLS_DONE;
}

void classifier_giveup(struct classifier *cl, struct ndpi_flow_struct *f,
                       struct classification *out)
{
    uint8_t guessed = 0;
    ndpi_protocol p = ndpi_detection_giveup(cl->ndpi, f, 1, &guessed);
    result(f, p, out);
}

bool classification_is_quic(const struct classification *c)
{
    return c->master == NDPI_PROTOCOL_QUIC || c->app == NDPI_PROTOCOL_QUIC;
}

void classifier_quic_sni(const struct ndpi_flow_struct *f, char *out, size_t size)
{
    char name[sizeof f->host_server_name + 1];
    memcpy(name, f->host_server_name, sizeof f->host_server_name);
    name[sizeof f->host_server_name] = '\0';
    char cut[FP_TEXT_MAX + 1];
    text_field((const uint8_t *)name, strlen(name), FP_QUIC_SNI_MAX, true, cut);
    snprintf(out, size, "%s", cut);
}
