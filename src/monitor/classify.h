/*
 * classify.h - the nDPI glue: one detection module per worker, one nDPI
 * flow state per flow still being classified.
 *
 * A flow is fed to nDPI packet by packet, exactly as ndpiReader 4.2 does
 * it, so the protocol names agree: detection is complete when nDPI names
 * an application protocol and wants no more packets (it may want a few
 * more, e.g. for a certificate), or after 80 TCP / 24 UDP packets; a
 * flow that ends before that is handed to ndpi_detection_giveup() with
 * guessing on.  The caller keeps the small struct classification, copies
 * what else it needs (classifier_quic_sni()) and frees the nDPI state at
 * once.  Nothing here is shared between workers.
 */
#ifndef NETSIFT_CLASSIFY_H
#define NETSIFT_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROTO_NAME_MAX 64 /* "TLS.Amazon" */
#define CLASSIFY_MAX_TCP_PACKETS 80
#define CLASSIFY_MAX_UDP_PACKETS 24

struct classifier;
struct ndpi_flow_struct;

/* What nDPI concluded about a flow: small, kept in every flow. */
struct classification {
    uint16_t master, app; /* nDPI protocol ids */
    uint8_t confidence;   /* ndpi_confidence_t */
};

/* A detection module with every protocol enabled.  NULL on failure. */
struct classifier *classifier_new(char *err, size_t errlen);
void classifier_free(struct classifier *cl);

/* nDPI state for a new flow, or NULL when out of memory. */
struct ndpi_flow_struct *classifier_flow_new(void);
void classifier_flow_free(struct ndpi_flow_struct *f);

enum cls_state {
    CLS_PENDING, /* no application protocol yet */
    CLS_NAMED,   /* nDPI named one (out) but wants more packets, which may refine it */
    CLS_DONE,    /* detection is complete (out is final) */
};

/*
 * One packet: ip points at its IPv4/IPv6 header, len bytes captured from
 * there.  flow_packets counts the flow's packets given to nDPI including
 * this one; l4 is the IP protocol.
 */
enum cls_state classifier_packet(struct classifier *cl, struct ndpi_flow_struct *f,
                                 const uint8_t *ip, uint32_t len, uint64_t time_us,
                                 uint32_t flow_packets, uint8_t l4, struct classification *out);

/* The flow ends before detection completed: nDPI's best guess. */
void classifier_giveup(struct classifier *cl, struct ndpi_flow_struct *f,
                       struct classification *out);

/* ndpi_protocol2name(): "TLS.Amazon", "DNS", "Unknown" (remembered: valid
 * until the classifier is freed or asked for many other names). */
const char *classifier_name(struct classifier *cl, const struct classification *c);

/* "DPI", "Match by port", ... */
const char *classification_confidence(const struct classification *c);

/* True for QUIC (as master or application protocol). */
bool classification_is_quic(const struct classification *c);

/* The server name nDPI decrypted from a QUIC Initial, as fingerprint
 * text cut at FP_QUIC_SNI_MAX ("" when none). */
void classifier_quic_sni(const struct ndpi_flow_struct *f, char *out, size_t size);

#endif
